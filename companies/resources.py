"""Import/export of companies (django-import-export), used by the admin."""

from import_export import fields, resources, widgets

from .models import Company, Plan
from .services import generate_account_number, reserve_account_number


class DomainsWidget(widgets.Widget):
    """A JSON list of domains as one cell: "a.test, b.test" (commas or semicolons)."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return []
        parts = str(value).replace(";", ",").split(",")
        return [part.strip() for part in parts if part.strip()]

    def render(self, value, obj=None, **kwargs):
        return ", ".join(value or [])


class CompanyResource(resources.ModelResource):
    """Rows keyed by account number: a known number updates, a new or empty one
    creates (an empty number is generated like everywhere else)."""

    plan = fields.Field(
        attribute="plan",
        column_name="plan",
        widget=widgets.ForeignKeyWidget(Plan, field="name"),
    )
    domains = fields.Field(
        attribute="domains", column_name="domains", widget=DomainsWidget()
    )

    class Meta:
        model = Company
        import_id_fields = ("account_number",)
        fields = (
            "account_number",
            "name",
            "kind",
            "status",
            "description",
            "freshservice_id",
            "plan",
            "profit_type",
            "main_phone",
            "start_date",
            "head_name",
            "primary_contact_name",
            "domains",
            "address",
            "contract_term",
            "contract_start",
            "contract_end",
            "phone_system",
            "email_system",
            "managed_users",
            "managed_devices",
            "managed_network",
            "portal_url",
            "notes",
        )
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def import_instance(self, instance, row, **kwargs):
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            if instance.pk is None and instance.account_number is None:
                instance.account_number = generate_account_number()

    def save_instance(self, instance, is_create, row, **kwargs):
        if is_create:
            # Register an explicit number too, so it is never generated later.
            reserve_account_number(instance.account_number)
        super().save_instance(instance, is_create, row, **kwargs)
