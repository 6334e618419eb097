"""Hardware assets, software products, licences and their seat assignments."""

from django.conf import settings
from django.db import models
from django.db.models import Q, signals
from django.db.models.base import ModelState
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from nexus.fields import EncryptedTextField, mask_secret
from nexus.models import TimeStampedModel

from .choices import AssetStatus, LicenceStatus
from .querysets import (
    AssetQuerySet,
    LicenceAssignmentQuerySet,
    LicenceQuerySet,
    SoftwareQuerySet,
)


class Asset(TimeStampedModel):
    """A piece of hardware a company owns (workstation, server, network device…)."""

    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="assets",
    )
    location = models.ForeignKey(
        "companies.Location",
        verbose_name=_("location"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assets",
    )
    rmm_site = models.ForeignKey(
        "companies.RmmSiteLink",
        verbose_name=_("RMM site"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assets",
    )
    hostname = models.CharField(_("hostname"), max_length=150, db_index=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    asset_tag = models.CharField(
        _("asset tag"), max_length=100, null=True, blank=True, unique=True
    )
    serial_number = models.CharField(
        _("serial number"), max_length=150, blank=True, db_index=True
    )
    manufacturer = models.CharField(_("manufacturer"), max_length=150, blank=True)
    model = models.CharField(_("model"), max_length=150, blank=True)
    hardware_type = models.CharField(_("hardware type"), max_length=100, blank=True)
    device_type = models.CharField(_("device type"), max_length=100, blank=True)
    operating_system = models.CharField(
        _("operating system"), max_length=200, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    last_logged_in_user = models.CharField(
        _("last logged-in user"), max_length=150, blank=True
    )
    antivirus_product = models.CharField(
        _("antivirus product"), max_length=150, blank=True
    )
    antivirus_status = models.CharField(
        _("antivirus status"), max_length=100, blank=True
    )
    patch_status = models.CharField(_("patch status"), max_length=100, blank=True)
    int_ip_address = models.CharField(_("internal IP"), max_length=100, blank=True)
    ext_ip_address = models.CharField(_("external IP"), max_length=100, blank=True)
    domain = models.CharField(_("domain"), max_length=150, blank=True)
    site_name = models.CharField(_("RMM site name"), max_length=200, blank=True)
    last_seen = models.DateTimeField(
        _("last seen"), null=True, blank=True, db_index=True
    )
    last_reboot = models.DateTimeField(_("last reboot"), null=True, blank=True)
    last_audit = models.DateTimeField(_("last audit"), null=True, blank=True)
    online = models.BooleanField(_("online"), default=False)
    backup_usage_tb = models.DecimalField(
        _("backup usage (TB)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    enabled_administrators = models.TextField(_("enabled administrators"), blank=True)
    warranty_expires = models.DateField(_("warranty expires"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AssetStatus.choices,
        default=AssetStatus.IN_USE,
    )
    stale_since = models.DateTimeField(
        _("stale since"),
        null=True,
        blank=True,
        help_text=_("Set when the RMM stopped reporting this device."),
    )
    assigned_contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("assigned contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_assets",
    )
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_assets",
    )
    portal_url = models.URLField(_("portal URL"), max_length=500, blank=True)
    web_remote_url = models.URLField(_("web remote URL"), max_length=500, blank=True)
    rmm_device_uid = models.CharField(
        _("RMM device uid"), max_length=100, null=True, blank=True, unique=True
    )
    udfs = models.JSONField(_("user-defined fields"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = AssetQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["hostname", "id"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        indexes = [
            models.Index(
                fields=["company", "hostname"], name="assets_company_hostname"
            ),
            # The default ordering: lets pages and offsets be read from the index.
            models.Index(fields=["hostname", "id"], name="assets_hostname_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AssetStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.hostname

    @classmethod
    def from_db(cls, db, field_names, values):
        """Load a full row without running Model.__init__ (Django's documented
        hook for custom loading): __init__ sets ~45 attributes one by one through
        its generic argument handling, which was a third of a 1000-asset API page.
        The result is the same instance: every column in __dict__, a fresh
        ModelState marked as loaded from `db`. Partial rows (only()/defer()) and
        models with init signals take Django's own path."""
        attnames = cls.__dict__.get("_concrete_attnames")
        if attnames is None:
            attnames = tuple(f.attname for f in cls._meta.concrete_fields)
            cls._concrete_attnames = attnames
        if (
            len(values) != len(attnames)
            or signals.pre_init.has_listeners(cls)
            or signals.post_init.has_listeners(cls)
        ):
            return super().from_db(db, field_names, values)
        new = cls.__new__(cls)
        new.__dict__.update(zip(attnames, values, strict=True))
        state = new._state = ModelState()
        state.adding = False
        state.db = db
        return new

    def get_absolute_url(self) -> str:
        return reverse("assets:asset_detail", args=[self.pk])


class Software(TimeStampedModel):
    """A software product we track licences for (e.g. Microsoft 365 Business)."""

    name = models.CharField(_("product"), max_length=200)
    vendor = models.ForeignKey(
        "companies.Company",
        verbose_name=_("vendor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="software_products",
        limit_choices_to={"kind": "supplier"},
    )
    version = models.CharField(_("version"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = SoftwareQuerySet.as_manager()

    class Meta:
        ordering = ["name", "version"]
        verbose_name = _("software")
        verbose_name_plural = _("software")
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version"],
                name="%(app_label)s_%(class)s_name_version_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()


class Licence(TimeStampedModel):
    """A licence for a software product held by a company, with a number of seats."""

    software = models.ForeignKey(
        Software, on_delete=models.PROTECT, related_name="licences"
    )
    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="licences",
    )
    licence_key = EncryptedTextField(_("licence key"), blank=True)
    seats = models.PositiveIntegerField(_("seats"), default=1)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    cost = models.DecimalField(
        _("cost"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    expires_on = models.DateField(_("expires on"), null=True, blank=True, db_index=True)
    renewal_reminder_days = models.PositiveIntegerField(
        _("renewal reminder (days)"), default=30
    )
    status = models.CharField(
        _("lifecycle status"),
        max_length=20,
        choices=LicenceStatus.choices,
        default=LicenceStatus.ACTIVE,
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = LicenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["software__name", "company__name"]
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=LicenceStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(seats__gte=1), name="%(app_label)s_%(class)s_seats_min"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.software} – {self.company}"

    @property
    def masked_key(self) -> str:
        return mask_secret(self.licence_key)


class LicenceAssignment(TimeStampedModel):
    """One seat of a licence given to an asset or to a user."""

    licence = models.ForeignKey(
        Licence, on_delete=models.CASCADE, related_name="assignments"
    )
    asset = models.ForeignKey(
        Asset,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="licence_assignments",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="licence_assignments",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="licence_assignments",
    )

    objects = LicenceAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("licence assignment")
        verbose_name_plural = _("licence assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(asset__isnull=False, user__isnull=True, contact__isnull=True)
                    | Q(asset__isnull=True, user__isnull=False, contact__isnull=True)
                    | Q(asset__isnull=True, user__isnull=True, contact__isnull=False)
                ),
                name="%(app_label)s_%(class)s_one_target",
                violation_error_message=_(
                    "Assign a seat to exactly one asset, user or contact."
                ),
            ),
            models.UniqueConstraint(
                fields=["licence", "asset"], name="%(app_label)s_%(class)s_asset_unique"
            ),
            models.UniqueConstraint(
                fields=["licence", "user"], name="%(app_label)s_%(class)s_user_unique"
            ),
            models.UniqueConstraint(
                fields=["licence", "contact"],
                name="%(app_label)s_%(class)s_contact_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.licence}: {self.asset or self.user or self.contact}"


# Networks and fleet monitoring live in their own modules (issue 9); they are
# imported here so Django finds them as models of this app.
from .fleet_models import (  # noqa: E402, F401
    Agent,
    AgentReport,
    AgentScreenshot,
    AlertRule,
    EnrolmentToken,
    FleetAlert,
    FleetJob,
    JobSchedule,
)
from .network_models import Host, Network  # noqa: E402, F401
