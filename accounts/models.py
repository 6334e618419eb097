"""Users, departments and API keys."""

import hmac
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus.models import TimeStampedModel
from nexus.sequences import next_value

from .choices import Role
from .permcache import cached
from .querysets import ApiKeyQuerySet, DepartmentQuerySet, UserQuerySet


class Department(TimeStampedModel):
    """A team of staff (service desk, workshop…); managers are scoped to theirs."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_departments",
    )

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class NexusUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who signs in: staff (by role) or a client contact in the portal."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_("Set only for client-portal users: they see only this company."),
    )
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    employee_code = models.CharField(
        _("employee code"), max_length=20, unique=True, null=True, blank=True
    )
    position = models.CharField(_("position"), max_length=150, blank=True)
    hire_date = models.DateField(_("hire date"), null=True, blank=True)

    objects = NexusUserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(company__isnull=True)
                | Q(is_staff=False, is_superuser=False),
                name="%(app_label)s_%(class)s_portal_not_staff",
                violation_error_message=_(
                    "A client-portal user (with a company) cannot be staff."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def save(self, *args, **kwargs):
        # Staff get an employee code and hire date (NEXO seed) the first time
        # they are saved; the counter is race-free (nexus.sequences).
        if self.company_id is None and not self.employee_code:
            self.employee_code = f"EMP-{next_value('employee_code'):05d}"
            if self.hire_date is None:
                self.hire_date = timezone.localdate()
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username

    @cached_property
    def roles(self) -> frozenset[str]:
        if self.pk is None:
            return frozenset()
        return cached(
            self, "roles", lambda: frozenset(self.groups.values_list("name", flat=True))
        )

    def has_role(self, *names: str) -> bool:
        return self.is_superuser or bool(self.roles.intersection(names))

    @property
    def is_portal(self) -> bool:
        """A client contact: sees only the rows of their own company."""
        return self.company_id is not None

    @property
    def is_staff_member(self) -> bool:
        return self.is_authenticated and not self.is_portal

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or Role.ADMIN in self.roles

    @property
    def is_manager(self) -> bool:
        return Role.MANAGER in self.roles


class ApiKey(TimeStampedModel):
    """A named key that acts as its user; only a hash of the secret is stored."""

    PREFIX = "nx"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.PREFIX}_{self.prefix}_…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        pepper = settings.NEXUS_API_KEY_PEPPER.encode()
        return hmac.new(pepper, secret.encode(), "sha256").hexdigest()

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.key_hash, self.hash_secret(secret))

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > now
        )
