from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin
from import_export.formats import base_formats
from simple_history.admin import SimpleHistoryAdmin

from nexus.admin import ScopedAdminMixin, ScopedExportActionMixin
from nexus.exports import SafeCSV, SafeXLSX

from .forms import LicenceAssignmentAdminForm, LicenceSeatsFormSet
from .models import Asset, Licence, LicenceAssignment, Software
from .resources import AssetResource
from .services import assign_licence_seat


class LicenceAssignmentInline(admin.TabularInline):
    model = LicenceAssignment
    formset = LicenceSeatsFormSet
    extra = 0
    fields = ("asset", "user", "contact", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("asset", "user", "contact")


class AssetLicenceInline(admin.TabularInline):
    model = LicenceAssignment
    fk_name = "asset"
    extra = 0
    fields = ("licence", "created_at")
    readonly_fields = ("licence", "created_at")
    can_delete = True
    verbose_name = _("licence")
    verbose_name_plural = _("licences")

    def has_add_permission(self, request, obj=None):
        return False  # seats are given from the licence, where the seat count is


@admin.register(Asset)
class AssetAdmin(
    ScopedAdminMixin, ImportMixin, ScopedExportActionMixin, SimpleHistoryAdmin
):
    resource_classes = [AssetResource]
    import_formats = [base_formats.CSV]
    export_formats = [SafeCSV, SafeXLSX]  # formula-safe (nexus.exports)
    list_display = (
        "hostname",
        "name",
        "company",
        "status",
        "online",
        "operating_system",
        "last_seen",
        "warranty_expires",
    )
    list_filter = ("status", "online", "hardware_type", "device_type")
    search_fields = (
        "hostname",
        "name",
        "serial_number",
        "asset_tag",
        "rmm_device_uid",
        "company__name",
        "company__account_number",
    )
    list_select_related = ("company", "location")
    autocomplete_fields = (
        "company",
        "location",
        "rmm_site",
        "assigned_contact",
        "assigned_user",
    )
    readonly_fields = ("stale_since", "created_at", "updated_at")
    inlines = (AssetLicenceInline,)
    fieldsets = (
        (
            None,
            {"fields": ("company", "location", "hostname", "name", "status")},
        ),
        (
            _("Hardware"),
            {
                "fields": (
                    "asset_tag",
                    "serial_number",
                    "manufacturer",
                    "model",
                    "hardware_type",
                    "device_type",
                    "warranty_expires",
                )
            },
        ),
        (
            _("Monitoring"),
            {
                "fields": (
                    "operating_system",
                    "online",
                    "last_seen",
                    "last_reboot",
                    "last_audit",
                    "last_logged_in_user",
                    "antivirus_product",
                    "antivirus_status",
                    "patch_status",
                    "int_ip_address",
                    "ext_ip_address",
                    "domain",
                    "backup_usage_tb",
                    "enabled_administrators",
                    "stale_since",
                )
            },
        ),
        (
            _("RMM"),
            {
                "classes": ("collapse",),
                "fields": (
                    "rmm_site",
                    "site_name",
                    "rmm_device_uid",
                    "portal_url",
                    "web_remote_url",
                    "udfs",
                ),
            },
        ),
        (
            _("Assignment"),
            {"fields": ("assigned_contact", "assigned_user", "description", "notes")},
        ),
        (_("Timestamps"), {"fields": ("created_at", "updated_at")}),
    )


@admin.register(Software)
class SoftwareAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "version", "vendor", "category", "updated_at")
    list_filter = ("category",)
    search_fields = ("name", "version", "vendor__name")
    list_select_related = ("vendor",)
    autocomplete_fields = ("vendor",)
    readonly_fields = ("created_at", "updated_at")


class LicenceAdminForm(forms.ModelForm):
    """The key is write-only here, as in the API (read masked unless revealed):
    never rendered back, so change and history pages show only the masked key;
    left empty, the stored key is kept."""

    licence_key = forms.CharField(
        label=_("licence key"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted. Leave empty to keep the current key."),
    )

    class Meta:
        model = Licence
        fields = (
            "software",
            "company",
            "licence_key",
            "seats",
            "purchase_date",
            "cost",
            "expires_on",
            "renewal_reminder_days",
            "status",
            "notes",
        )

    def clean_licence_key(self):
        value = self.cleaned_data.get("licence_key")
        if not value and self.instance.pk:
            return Licence.objects.get(pk=self.instance.pk).licence_key
        return value


@admin.register(Licence)
class LicenceAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    form = LicenceAdminForm
    list_display = (
        "software",
        "company",
        "masked_key",
        "seats",
        "seats_used",
        "expires_on",
        "status",
    )
    list_filter = ("status",)
    search_fields = ("software__name", "company__name", "company__account_number")
    list_select_related = ("software", "company")
    autocomplete_fields = ("software", "company")
    readonly_fields = ("masked_key", "created_at", "updated_at")
    inlines = (LicenceAssignmentInline,)

    def get_fields(self, request, obj=None):
        fields = [
            "software",
            "company",
            "licence_key",
            "masked_key",
            "seats",
            "purchase_date",
            "cost",
            "expires_on",
            "renewal_reminder_days",
            "status",
            "notes",
            "created_at",
            "updated_at",
        ]
        # Someone who may only view licences sees the masked key, never the key.
        if not self.has_change_permission(request, obj):
            fields.remove("licence_key")
        return fields

    @admin.display(description=_("licence key"))
    def masked_key(self, obj) -> str:
        return obj.masked_key

    @admin.display(description=_("seats used"), ordering="seats_used")
    def seats_used(self, obj) -> int:
        return obj.seats_used


@admin.register(LicenceAssignment)
class LicenceAssignmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = LicenceAssignmentAdminForm
    list_display = ("licence", "asset", "user", "contact", "created_at")
    search_fields = (
        "licence__software__name",
        "licence__company__name",
        "asset__hostname",
        "user__username",
        "contact__name",
    )
    list_select_related = (
        "licence__software",
        "licence__company",
        "asset",
        "user",
        "contact",
    )
    autocomplete_fields = ("licence", "asset", "user", "contact")
    readonly_fields = ("created_at",)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        try:
            saved = assign_licence_seat(
                obj.licence, asset=obj.asset, user=obj.user, contact=obj.contact
            )
        except ValidationError as exc:
            # Lost a race for the last seat after the form checked it.
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return None
        obj.pk = saved.pk
        return None


# Networks and hosts (issue 9).
from .network_models import Host, Network  # noqa: E402
from .networks import save_network  # noqa: E402


class HostInline(admin.TabularInline):
    model = Host
    extra = 0
    fields = ("ip", "hostname", "mac", "asset", "role")
    autocomplete_fields = ("asset",)
    show_change_link = True


@admin.register(Network)
class NetworkAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "cidr", "company", "location", "vlan", "gateway")
    list_filter = ("version",)
    search_fields = ("name", "cidr", "company__name", "company__account_number")
    list_select_related = ("company", "location")
    autocomplete_fields = ("company", "location")
    readonly_fields = ("version", "created_at", "updated_at")
    inlines = (HostInline,)

    def save_model(self, request, obj, form, change):
        save_network(obj)


@admin.register(Host)
class HostAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("ip", "hostname", "network", "mac", "asset", "role")
    list_filter = ("role",)
    search_fields = ("ip", "hostname", "mac", "network__name", "asset__hostname")
    list_select_related = ("network__company", "asset")
    autocomplete_fields = ("network", "asset")
    readonly_fields = ("created_at", "updated_at")


# Fleet monitoring (issue 9).
from .fleet import save_job_schedule  # noqa: E402
from .fleet_models import (  # noqa: E402
    Agent,
    AgentReport,
    AlertRule,
    EnrolmentToken,
    FleetAlert,
    FleetJob,
    JobSchedule,
)


@admin.register(EnrolmentToken)
class EnrolmentTokenAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Tokens are created on the fleet page or API (the secret is shown once);
    here they can be reviewed and revoked."""

    list_display = (
        "name",
        "company",
        "prefix",
        "uses",
        "max_uses",
        "expires_at",
        "revoked_at",
    )
    search_fields = ("name", "prefix", "company__name")
    list_select_related = ("company", "created_by")
    autocomplete_fields = ("company",)
    readonly_fields = ("prefix", "uses", "created_by", "created_at", "updated_at")
    fields = (
        "company",
        "name",
        "prefix",
        "uses",
        "max_uses",
        "expires_at",
        "revoked_at",
        "created_by",
        "created_at",
    )

    def has_add_permission(self, request):
        return False


@admin.register(Agent)
class AgentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "hostname",
        "company",
        "asset",
        "last_seen_at",
        "disk_percent",
        "revoked_at",
    )
    list_filter = ("platform",)
    search_fields = ("hostname", "tags", "company__name", "logged_in_user")
    list_select_related = ("company", "asset")
    autocomplete_fields = ("company", "asset")
    readonly_fields = (
        "prefix",
        "enrolment_token",
        "platform",
        "operating_system",
        "agent_version",
        "uptime_seconds",
        "cpu_percent",
        "memory_percent",
        "disk_percent",
        "logged_in_user",
        "ip_addresses",
        "last_seen_at",
        "created_at",
        "updated_at",
    )
    exclude = ("key_hash",)

    def has_add_permission(self, request):
        return False  # agents enrol themselves with a token


@admin.register(AgentReport)
class AgentReportAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "agent",
        "received_at",
        "cpu_percent",
        "memory_percent",
        "disk_percent",
    )
    search_fields = ("agent__hostname",)
    list_select_related = ("agent",)
    readonly_fields = (
        "agent",
        "received_at",
        "cpu_percent",
        "memory_percent",
        "disk_percent",
        "uptime_seconds",
        "payload",
    )
    date_hierarchy = "received_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AlertRule)
class AlertRuleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("kind", "company", "threshold", "open_ticket", "enabled")
    list_filter = ("kind", "open_ticket", "enabled")
    search_fields = ("company__name",)
    list_select_related = ("company",)
    autocomplete_fields = ("company",)


@admin.register(FleetAlert)
class FleetAlertAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("message", "agent", "kind", "created_at", "resolved_at", "ticket")
    list_filter = ("kind",)
    search_fields = ("message", "agent__hostname")
    list_select_related = ("agent__company", "ticket")
    autocomplete_fields = ("agent",)
    readonly_fields = ("agent", "kind", "message", "ticket", "created_at", "updated_at")


@admin.register(FleetJob)
class FleetJobAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The audit of remote jobs: read-only here; queue and cancel on the
    scheduler page or the API."""

    list_display = (
        "id",
        "agent",
        "kind",
        "status",
        "created_by",
        "created_at",
        "exit_code",
    )
    list_filter = ("status", "kind", "shell")
    search_fields = ("agent__hostname", "script", "file_name", "created_by__username")
    list_select_related = ("agent", "company", "created_by", "cancelled_by")
    autocomplete_fields = ("agent",)
    exclude = ("file_content",)
    readonly_fields = (
        "company",
        "agent",
        "schedule",
        "batch",
        "kind",
        "shell",
        "script",
        "file_name",
        "destination",
        "timeout_seconds",
        "status",
        "created_by",
        "cancelled_by",
        "sent_at",
        "deadline_at",
        "finished_at",
        "exit_code",
        "stdout",
        "stderr",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request):
        return False


@admin.register(JobSchedule)
class JobScheduleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "company", "agent", "tag", "interval_minutes", "enabled")
    list_filter = ("enabled", "shell")
    search_fields = ("name", "script", "company__name")
    list_select_related = ("company", "agent", "created_by")
    autocomplete_fields = ("company", "agent")
    readonly_fields = ("periodic_task", "created_by", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        save_job_schedule(obj)
