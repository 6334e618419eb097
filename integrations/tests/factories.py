import factory
from django.utils import timezone

from integrations.choices import SyncJobKind, SyncStatus, SyncTrigger
from integrations.models import SyncJob, SyncRun


class SyncRunFactory(factory.django.DjangoModelFactory):
    """A finished run of the Datto sync (the four jobs themselves are seeded)."""

    class Meta:
        model = SyncRun

    job = factory.LazyFunction(lambda: SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO))
    trigger = SyncTrigger.SCHEDULE
    status = SyncStatus.SUCCEEDED
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)
    progress_done = 10
    progress_total = 10
    created_count = 3
    log = "12:00:00 done"
