"""Race-free counters (STYLE R7): ticket, traveler, employee and project numbers."""

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import Sequence


@transaction.atomic
def next_value(name: str, *, start: int = 1) -> int:
    """Return the next value of the named counter; safe under concurrent callers.

    The UPDATE takes the row lock until commit, so two callers can never read the
    same value; the first caller for a name creates the row inside a savepoint.
    """
    updated = Sequence.objects.filter(name=name).update(value=F("value") + 1)
    if not updated:
        try:
            with transaction.atomic():
                Sequence.objects.create(name=name, value=start)
            return start
        except IntegrityError:
            Sequence.objects.filter(name=name).update(value=F("value") + 1)
    return Sequence.objects.values_list("value", flat=True).get(name=name)
