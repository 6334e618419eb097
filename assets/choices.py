from django.db import models
from django.utils.translation import gettext_lazy as _


class AssetStatus(models.TextChoices):
    IN_USE = "in_use", _("In use")
    IN_STOCK = "in_stock", _("In stock")
    IN_REPAIR = "in_repair", _("In repair")
    RETIRED = "retired", _("Retired")


class LicenceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PENDING = "pending", _("Pending renewal")
    EXPIRED = "expired", _("Expired")
    RETIRED = "retired", _("Retired")


class HostRole(models.TextChoices):
    SERVER = "server", _("Server")
    WORKSTATION = "workstation", _("Workstation")
    PRINTER = "printer", _("Printer")
    NETWORK = "network", _("Network device")
    PHONE = "phone", _("Phone")
    CAMERA = "camera", _("Camera")
    OTHER = "other", _("Other")


class AddressState(models.TextChoices):
    """What a usable address of a network is used for (host list generation)."""

    ASSIGNED = "assigned", _("Assigned")
    GATEWAY = "gateway", _("Gateway")
    DHCP = "dhcp", _("DHCP range")
    FREE = "free", _("Free")


class JobKind(models.TextChoices):
    SCRIPT = "script", _("Script")
    FILE = "file", _("File upload")


class JobShell(models.TextChoices):
    SH = "sh", _("Shell (sh)")
    POWERSHELL = "powershell", _("PowerShell")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent to agent")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    TIMED_OUT = "timed_out", _("Timed out")


PENDING_JOB_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.SENT})
FINISHED_JOB_STATUSES = frozenset(
    {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.TIMED_OUT}
)


class AlertKind(models.TextChoices):
    DISK_FULL = "disk_full", _("Disk almost full")
    OFFLINE = "offline", _("Offline")
