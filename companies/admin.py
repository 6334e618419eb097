from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportMixin
from import_export.formats import base_formats
from simple_history.admin import SimpleHistoryAdmin

from contacts.models import Contact
from nexus.admin import ScopedAdminMixin, ScopedExportActionMixin
from nexus.exports import SafeCSV, SafeXLSX

from .forms import AdjustCreditsForm, CompanyAdminForm
from .models import (
    Company,
    CompanyFeatureOverride,
    CreditAccount,
    CreditTransaction,
    IssuedAccountNumber,
    Location,
    Plan,
    PlanFeature,
    RmmSiteLink,
)
from .resources import CompanyResource
from .services import LEDGER_SERVICES, delete_company, reserve_account_number

LEDGER_PREVIEW_ROWS = 20


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0
    fields = ("name", "address", "phone", "notes")


class RmmSiteLinkInline(admin.TabularInline):
    model = RmmSiteLink
    extra = 0
    fields = ("site_uid", "site_name", "last_synced_at")
    readonly_fields = ("last_synced_at",)


class CompanyFeatureOverrideInline(admin.TabularInline):
    model = CompanyFeatureOverride
    extra = 0
    fields = ("key", "value", "enabled")


class ContactLinkInline(admin.TabularInline):
    model = Contact.companies.through
    extra = 0
    raw_id_fields = ("contact",)
    verbose_name = _("contact")
    verbose_name_plural = _("contacts")


def company_delete_blockers(company: Company) -> list[str]:
    """What stops a company from being deleted, as readable phrases (seed rule)."""
    found = []
    counts = (
        (company.assets.count(), _("asset"), _("assets")),
        (company.contacts.count(), _("contact"), _("contacts")),
        (company.users.count(), _("user"), _("users")),
        (
            CreditTransaction.objects.filter(account__company=company).count(),
            _("credit transaction"),
            _("credit transactions"),
        ),
    )
    for count, singular, plural in counts:
        if count:
            found.append(f"{company}: {count} {singular if count == 1 else plural}")
    return found


@admin.register(Company)
class CompanyAdmin(
    ScopedAdminMixin, ImportMixin, ScopedExportActionMixin, SimpleHistoryAdmin
):
    form = CompanyAdminForm
    resource_classes = [CompanyResource]
    import_formats = [base_formats.CSV]
    export_formats = [SafeCSV, SafeXLSX]  # formula-safe (nexus.exports)
    list_display = (
        "name",
        "account_number",
        "kind",
        "status",
        "plan",
        "credit_balance",
        "freshservice_id",
        "updated_at",
    )
    list_filter = ("kind", "status", "plan", "profit_type")
    search_fields = ("name", "account_number", "head_name", "primary_contact_name")
    list_select_related = ("plan", "credit_account")
    autocomplete_fields = ("plan",)
    readonly_fields = ("created_at", "updated_at", "credit_ledger")
    inlines = (
        LocationInline,
        RmmSiteLinkInline,
        CompanyFeatureOverrideInline,
        ContactLinkInline,
    )
    actions = ("adjust_credits",)
    fieldsets = (
        (None, {"fields": ("name", "account_number", "kind", "status", "plan")}),
        (
            _("Details"),
            {
                "fields": (
                    "description",
                    "freshservice_id",
                    "profit_type",
                    "main_phone",
                    "start_date",
                    "head_name",
                    "primary_contact_name",
                    "domains",
                    "address",
                    "portal_url",
                    "notes",
                )
            },
        ),
        (
            _("Contract and managed services"),
            {
                "classes": ("collapse",),
                "fields": (
                    "contract_term",
                    "contract_start",
                    "contract_end",
                    "phone_system",
                    "email_system",
                    "managed_users",
                    "managed_devices",
                    "managed_network",
                ),
            },
        ),
        (_("Credits"), {"fields": ("credit_ledger",)}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description=_("credit balance"), ordering="credit_account__balance")
    def credit_balance(self, obj):
        account = getattr(obj, "credit_account", None)
        return account.balance if account else None

    @admin.display(description=_("credit ledger"))
    def credit_ledger(self, obj):
        if obj.pk is None:
            return "—"
        account = CreditAccount.objects.filter(company=obj).first()
        if account is None:
            return _("No credit account yet.")
        rows = account.transactions.select_related("actor")[:LEDGER_PREVIEW_ROWS]
        table = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    tx.created_at.strftime("%Y-%m-%d %H:%M"),
                    tx.get_kind_display(),
                    tx.amount,
                    tx.balance_after,
                    tx.reference,
                    tx.actor or "",
                )
                for tx in rows
            ),
        )
        url = (
            reverse("admin:companies_credittransaction_changelist")
            + f"?account__company__id__exact={obj.pk}"
        )
        return format_html(
            '<p><strong>{}: {}</strong> · <a href="{}">{}</a></p>'
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("Balance"),
            account.balance,
            url,
            _("All transactions"),
            _("When"),
            _("Kind"),
            _("Amount"),
            _("Balance after"),
            _("Reference"),
            _("Actor"),
            table,
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_admin:
            fields.append("account_number")
        return fields

    def save_model(self, request, obj, form, change):
        if not change or "account_number" in form.changed_data:
            # Registered so the number is never generated for another company.
            reserve_account_number(obj.account_number)
        super().save_model(request, obj, form, change)

    def has_import_permission(self, request):
        return request.user.has_perm("companies.add_company") and request.user.has_perm(
            "companies.change_company"
        )

    def has_export_permission(self, request):
        return request.user.has_perm("companies.view_company")

    # Deleting: the seed's rule is shown as Django's "protected objects" list, so the
    # confirmation page explains the refusal and the POST deletes nothing.
    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        blockers = [phrase for obj in objs for phrase in company_delete_blockers(obj)]
        if blockers:
            protected = list(dict.fromkeys([*blockers, *protected]))
        return deleted, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        delete_company(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for company in queryset:
            delete_company(company, actor=request.user)

    # Adjust credits: an intermediate form, then the ledger service per company.
    def has_adjust_credits_permission(self, request):
        return request.user.has_perm("companies.add_credittransaction")

    @admin.action(description=_("Adjust credits…"), permissions=["adjust_credits"])
    def adjust_credits(self, request, queryset):
        form = AdjustCreditsForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            service = LEDGER_SERVICES[form.cleaned_data["kind"]]
            done, failed = 0, []
            for company in queryset:
                try:
                    with transaction.atomic():
                        service(company, actor=request.user, **form.service_kwargs())
                    done += 1
                except ValidationError as exc:
                    failed.append(f"{company}: {' '.join(exc.messages)}")
            if done:
                self.message_user(
                    request,
                    ngettext(
                        "Credits recorded for %(count)d company.",
                        "Credits recorded for %(count)d companies.",
                        done,
                    )
                    % {"count": done},
                    messages.SUCCESS,
                )
            for failure in failed:
                self.message_user(request, failure, messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Adjust credits"),
            "opts": self.model._meta,
            "companies": queryset,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "companies/admin/adjust_credits.html", context)


class PlanFeatureInline(admin.TabularInline):
    model = PlanFeature
    extra = 1


@admin.register(Plan)
class PlanAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "monthly_price", "active", "feature_list")
    list_filter = ("active",)
    search_fields = ("name", "description")
    readonly_fields = ("created_at", "updated_at")
    inlines = (PlanFeatureInline,)

    @admin.display(description=_("features"))
    def feature_list(self, obj):
        return ", ".join(f"{f.key}={f.value}" for f in obj.features.all())


@admin.register(Location)
class LocationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "company", "phone", "updated_at")
    list_filter = ("company__kind",)
    search_fields = ("name", "address", "company__name", "company__account_number")
    list_select_related = ("company",)
    autocomplete_fields = ("company",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(RmmSiteLink)
class RmmSiteLinkAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("site_name", "site_uid", "company", "last_synced_at")
    list_filter = ("last_synced_at",)
    search_fields = (
        "site_name",
        "site_uid",
        "company__name",
        "company__account_number",
    )
    list_select_related = ("company",)
    autocomplete_fields = ("company",)
    readonly_fields = ("last_synced_at", "created_at", "updated_at")


@admin.register(CreditAccount)
class CreditAccountAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "company",
        "balance",
        "low_balance_threshold",
        "allow_overdraft",
        "updated_at",
    )
    list_filter = ("allow_overdraft",)
    search_fields = ("company__name", "company__account_number")
    list_select_related = ("company",)
    autocomplete_fields = ("company",)
    readonly_fields = ("balance", "created_at", "updated_at")
    # Deleting is left to Django's permissions: an account with ledger rows is
    # protected by the rows' PROTECT foreign key, an empty one may go with its company.


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: ledger rows are written only by the ledger services."""

    list_display = (
        "created_at",
        "company",
        "kind",
        "amount",
        "balance_after",
        "reference",
        "actor",
    )
    list_filter = ("kind", "created_at")
    search_fields = (
        "reference",
        "note",
        "account__company__name",
        "account__company__account_number",
    )
    list_select_related = ("account__company", "actor")
    date_hierarchy = "created_at"
    readonly_fields = (
        "account",
        "kind",
        "amount",
        "balance_after",
        "reference",
        "note",
        "actor",
        "created_at",
    )

    @admin.display(description=_("company"), ordering="account__company__name")
    def company(self, obj):
        return obj.account.company

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IssuedAccountNumber)
class IssuedAccountNumberAdmin(admin.ModelAdmin):
    """Read-only register of every number ever handed out."""

    list_display = ("number", "issued_at")
    search_fields = ("number",)
    readonly_fields = ("number", "issued_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
