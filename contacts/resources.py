"""Import/export of contacts (django-import-export), used by the admin."""

from import_export import fields, resources, widgets

from companies.models import Company

from .models import Contact


class ContactResource(resources.ModelResource):
    """Rows keyed by email (the seed's identity for a contact); companies as
    comma-separated account numbers, which replace the links (as in the API)."""

    company_account_numbers = fields.Field(
        attribute="companies",
        column_name="company_account_numbers",
        widget=widgets.ManyToManyWidget(Company, field="account_number", separator=","),
    )

    class Meta:
        model = Contact
        import_id_fields = ("email",)
        fields = (
            "email",
            "name",
            "title",
            "kind",
            "employment_type",
            "active",
            "work_phone",
            "mobile_phone",
            "freshservice_id",
            "company_account_numbers",
            "notes",
        )
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_import_row(self, row, **kwargs):
        if row.get("email"):
            row["email"] = row["email"].strip().lower()
