"""Writes that must hold an invariant across rows: licence seats."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Asset, Licence, LicenceAssignment


@transaction.atomic
def assign_licence_seat(
    licence: Licence,
    *,
    asset: Asset | None = None,
    user=None,
    contact=None,
) -> LicenceAssignment:
    """Give one seat of `licence` to exactly one asset, user or contact.

    The licence row is locked (SELECT … FOR UPDATE) before the seats are counted,
    so two concurrent assignments cannot both take the last seat; on SQLite the
    IMMEDIATE transaction mode serialises writers instead.
    """
    targets = [t for t in (asset, user, contact) if t is not None]
    if len(targets) != 1:
        raise ValidationError(
            {"asset": _("Assign a seat to exactly one asset, user or contact.")}
        )
    locked = Licence.objects.select_for_update().get(pk=licence.pk)
    if asset is not None and asset.company_id != locked.company_id:
        raise ValidationError({"asset": _("The asset belongs to another company.")})
    if (
        contact is not None
        and not contact.companies.filter(pk=locked.company_id).exists()
    ):
        raise ValidationError(
            {"contact": _("The contact does not work for the licence's company.")}
        )
    if user is not None and user.company_id not in (None, locked.company_id):
        raise ValidationError({"user": _("The user belongs to another company.")})
    existing = LicenceAssignment.objects.filter(licence=locked)
    target_field = (
        "asset" if asset is not None else "user" if user is not None else "contact"
    )
    if existing.filter(**{target_field: targets[0]}).exists():
        raise ValidationError(
            {target_field: _("This licence is already assigned to it.")}
        )
    used = existing.count()
    if used >= locked.seats:
        raise ValidationError(
            {
                "licence": _("All %(seats)d seats of this licence are in use.")
                % {"seats": locked.seats}
            }
        )
    assignment = LicenceAssignment(
        licence=locked, asset=asset, user=user, contact=contact
    )
    assignment.full_clean()
    assignment.save()
    return assignment
