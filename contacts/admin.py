from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin
from import_export.formats import base_formats
from simple_history.admin import SimpleHistoryAdmin

from nexus.admin import ScopedExportActionMixin
from nexus.exports import SafeCSV, SafeXLSX

from .models import Contact
from .resources import ContactResource


@admin.register(Contact)
class ContactAdmin(ImportMixin, ScopedExportActionMixin, SimpleHistoryAdmin):
    resource_classes = [ContactResource]
    import_formats = [base_formats.CSV]
    export_formats = [SafeCSV, SafeXLSX]  # formula-safe (nexus.exports)
    list_display = (
        "name",
        "email",
        "kind",
        "title",
        "company_list",
        "active",
        "updated_at",
    )
    list_filter = ("kind", "active", "employment_type")
    search_fields = (
        "name",
        "email",
        "title",
        "work_phone",
        "mobile_phone",
        "companies__name",
        "companies__account_number",
    )
    autocomplete_fields = ("companies", "assets", "user")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "email", "kind", "title", "employment_type")}),
        (
            _("Contact"),
            {"fields": ("work_phone", "mobile_phone", "secondary_emails", "active")},
        ),
        (_("Links"), {"fields": ("companies", "assets", "user", "freshservice_id")}),
        (_("Notes"), {"fields": ("notes", "created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request).visible_to(request.user)
        return queryset.for_list(request.user)

    @admin.display(description=_("companies"))
    def company_list(self, obj) -> str:
        return ", ".join(
            f"{company.name} ({company.account_number})"
            for company in obj.companies.all()
        )
