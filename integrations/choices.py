from django.db import models
from django.utils.translation import gettext_lazy as _


class ConnectionKind(models.TextChoices):
    DATTO = "datto", _("Datto RMM")
    FRESHSERVICE = "freshservice", _("Freshservice")


class SyncJobKind(models.TextChoices):
    SYNC_FRESHSERVICE = "sync_freshservice", _("Sync Freshservice data")
    SYNC_DATTO = "sync_datto", _("Sync Datto RMM assets")
    ASSIGN_ACCOUNT_NUMBERS = (
        "assign_account_numbers",
        _("Assign missing Freshservice account numbers"),
    )
    PUSH_ACCOUNT_NUMBERS = (
        "push_account_numbers_to_datto",
        _("Push account numbers to Datto RMM"),
    )


class SyncTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    MANUAL = "manual", _("Manual")


class SyncStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    PARTIAL = "partial", _("Completed with errors")
    FAILED = "failed", _("Failed")


ACTIVE_STATUSES = frozenset({SyncStatus.QUEUED, SyncStatus.RUNNING})
FINISHED_STATUSES = frozenset(
    {SyncStatus.SUCCEEDED, SyncStatus.PARTIAL, SyncStatus.FAILED}
)


class JobHealth(models.TextChoices):
    OK = "ok", _("Healthy")
    WARN = "warn", _("Needs attention")
    BAD = "bad", _("Failing")
    IDLE = "idle", _("Never run")
    DISABLED = "disabled", _("Disabled")


# Which connection each job talks to (both for the account-number push).
JOB_CONNECTIONS = {
    SyncJobKind.SYNC_FRESHSERVICE: (ConnectionKind.FRESHSERVICE,),
    SyncJobKind.SYNC_DATTO: (ConnectionKind.DATTO,),
    SyncJobKind.ASSIGN_ACCOUNT_NUMBERS: (ConnectionKind.FRESHSERVICE,),
    SyncJobKind.PUSH_ACCOUNT_NUMBERS: (ConnectionKind.DATTO,),
}

# The seed of the original scheduler: both syncs on, both account-number jobs off.
DEFAULT_ENABLED_JOBS = frozenset(
    {SyncJobKind.SYNC_FRESHSERVICE, SyncJobKind.SYNC_DATTO}
)
DEFAULT_INTERVAL_MINUTES = 1440
