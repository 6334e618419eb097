"""Companies (tenants, clients, suppliers), their locations, plans and credit ledger."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from nexus.models import TimeStampedModel

from .choices import (
    ACCOUNT_NUMBER_MAX,
    ACCOUNT_NUMBER_MIN,
    CompanyKind,
    CompanyStatus,
    CreditTransactionKind,
    ProfitType,
)
from .querysets import (
    CompanyQuerySet,
    CreditAccountQuerySet,
    CreditTransactionQuerySet,
    LocationQuerySet,
    PlanQuerySet,
    RmmSiteLinkQuerySet,
)

account_number_validators = [
    MinValueValidator(ACCOUNT_NUMBER_MIN),
    MaxValueValidator(ACCOUNT_NUMBER_MAX),
]


class Plan(TimeStampedModel):
    """A billing plan (e.g. "Managed Pro") with a set of feature values."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    monthly_price = models.DecimalField(
        _("monthly price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return self.name


class PlanFeature(models.Model):
    """One feature of a plan and its value (e.g. backup = "1 TB")."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="features")
    key = models.SlugField(_("feature"), max_length=100)
    value = models.CharField(_("value"), max_length=200, blank=True)

    class Meta:
        ordering = ["plan", "key"]
        verbose_name = _("plan feature")
        verbose_name_plural = _("plan features")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "key"], name="%(app_label)s_%(class)s_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class IssuedAccountNumber(models.Model):
    """Every account number ever handed out, so a number is never reused."""

    number = models.PositiveIntegerField(_("number"), unique=True)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("issued account number")
        verbose_name_plural = _("issued account numbers")

    def __str__(self) -> str:
        return str(self.number)


class Company(TimeStampedModel):
    """An organisation we serve or buy from; a client company is a portal tenant."""

    name = models.CharField(_("name"), max_length=200, db_index=True)
    account_number = models.PositiveIntegerField(
        _("account number"),
        unique=True,
        validators=account_number_validators,
        help_text=_("Six digits, 100000–999999. Generated when left empty."),
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=CompanyKind.choices,
        default=CompanyKind.CLIENT,
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CompanyStatus.choices,
        default=CompanyStatus.ACTIVE,
    )
    description = models.TextField(_("description"), blank=True)
    freshservice_id = models.BigIntegerField(
        _("Freshservice id"), unique=True, null=True, blank=True
    )
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("plan"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="companies",
    )
    profit_type = models.CharField(
        _("profit or non-profit"), max_length=20, choices=ProfitType.choices, blank=True
    )
    main_phone = models.CharField(_("main phone"), max_length=50, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    head_name = models.CharField(_("head"), max_length=150, blank=True)
    primary_contact_name = models.CharField(
        _("primary contact"), max_length=150, blank=True
    )
    domains = models.JSONField(_("domains"), default=list, blank=True)
    address = models.TextField(_("address"), blank=True)
    contract_term = models.CharField(_("contract term"), max_length=100, blank=True)
    contract_start = models.DateField(_("contract start"), null=True, blank=True)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    phone_system = models.CharField(_("phone system"), max_length=150, blank=True)
    email_system = models.CharField(_("email system"), max_length=150, blank=True)
    managed_users = models.CharField(_("managed users"), max_length=100, blank=True)
    managed_devices = models.CharField(_("managed devices"), max_length=100, blank=True)
    managed_network = models.CharField(_("managed network"), max_length=100, blank=True)
    portal_url = models.URLField(_("portal URL"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = CompanyQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.CheckConstraint(
                condition=Q(account_number__gte=ACCOUNT_NUMBER_MIN)
                & Q(account_number__lte=ACCOUNT_NUMBER_MAX),
                name="%(app_label)s_%(class)s_account_number_range",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=CompanyKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CompanyStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(contract_end__isnull=True)
                | Q(contract_start__isnull=True)
                | Q(contract_end__gte=models.F("contract_start")),
                name="%(app_label)s_%(class)s_contract_dates",
                violation_error_message=_("The contract cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("companies:company_detail", args=[self.account_number])

    @property
    def effective_features(self) -> dict[str, str]:
        """Plan features with the enabled per-company overrides applied.

        Reads `plan.features` and `feature_overrides` through prefetches when the
        queryset has them (`CompanyQuerySet.with_features()`).
        """
        features = {}
        if self.plan_id is not None:
            features = {f.key: f.value for f in self.plan.features.all()}
        for override in self.feature_overrides.all():
            if override.enabled:
                features[override.key] = override.value
        return features


class CompanyFeatureOverride(models.Model):
    """A per-company value that replaces (or adds) a plan feature."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="feature_overrides"
    )
    key = models.SlugField(_("feature"), max_length=100)
    value = models.CharField(_("value"), max_length=200, blank=True)
    enabled = models.BooleanField(_("override enabled"), default=True)

    class Meta:
        ordering = ["company", "key"]
        verbose_name = _("feature override")
        verbose_name_plural = _("feature overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "key"], name="%(app_label)s_%(class)s_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.company}: {self.key}={self.value}"


class Location(TimeStampedModel):
    """A physical place of a company (office, warehouse, data centre)."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="locations"
    )
    name = models.CharField(_("name"), max_length=150)
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["company", "name"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "name"], name="%(app_label)s_%(class)s_name_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.company} – {self.name}"


class RmmSiteLink(TimeStampedModel):
    """A Datto RMM site that belongs to a company (a company can have several)."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="rmm_sites"
    )
    site_uid = models.CharField(_("site uid"), max_length=100, unique=True)
    site_name = models.CharField(_("site name"), max_length=200, blank=True)
    last_synced_at = models.DateTimeField(_("last synced at"), null=True, blank=True)

    objects = RmmSiteLinkQuerySet.as_manager()

    class Meta:
        ordering = ["company", "site_name"]
        verbose_name = _("RMM site link")
        verbose_name_plural = _("RMM site links")

    def __str__(self) -> str:
        return self.site_name or self.site_uid


class CreditAccount(TimeStampedModel):
    """A company's prepaid balance of support credits (hours)."""

    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, related_name="credit_account"
    )
    balance = models.DecimalField(
        _("balance"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    allow_overdraft = models.BooleanField(
        _("allow overdraft"),
        default=False,
        help_text=_("Let deductions take the balance below zero."),
    )
    low_balance_threshold = models.DecimalField(
        _("low balance threshold"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("2"),
    )

    objects = CreditAccountQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")
        # No "balance >= 0" constraint: overdraft is decided per movement by the
        # ledger services (a caller may allow it for one deduction), and an account
        # already in overdraft must still accept purchases that do not clear it.

    def __str__(self) -> str:
        return f"{self.company}: {self.balance}"


class CreditTransaction(models.Model):
    """One movement on a credit account; the balance is the sum of these."""

    account = models.ForeignKey(
        CreditAccount, on_delete=models.PROTECT, related_name="transactions"
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=CreditTransactionKind.choices
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Positive adds credit, negative removes it."),
    )
    balance_after = models.DecimalField(
        _("balance after"), max_digits=12, decimal_places=2
    )
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("What caused it, e.g. time-entry:42."),
    )
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="credit_transactions",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    objects = CreditTransactionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("credit transaction")
        verbose_name_plural = _("credit transactions")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CreditTransactionKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(amount=0), name="%(app_label)s_%(class)s_amount_nonzero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
