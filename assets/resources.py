"""Import/export of assets (django-import-export), used by the admin."""

from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from companies.models import Company

from .models import Asset


class AccountNumberWidget(widgets.ForeignKeyWidget):
    """A company by its account number; an unknown number is a row error."""

    def __init__(self, **kwargs):
        super().__init__(Company, field="account_number", **kwargs)

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (Company.DoesNotExist, ValueError, TypeError) as exc:
            raise ValueError(
                _("No company with account number %(value)s.") % {"value": value}
            ) from exc


class AssetResource(resources.ModelResource):
    """Rows keyed by id (empty: a new asset); the company by its account number."""

    company_account_number = fields.Field(
        attribute="company",
        column_name="company_account_number",
        widget=AccountNumberWidget(),
    )

    class Meta:
        model = Asset
        import_id_fields = ("id",)
        fields = (
            "id",
            "hostname",
            "company_account_number",
            "name",
            "asset_tag",
            "serial_number",
            "manufacturer",
            "model",
            "hardware_type",
            "device_type",
            "operating_system",
            "status",
            "online",
            "last_seen",
            "warranty_expires",
            "int_ip_address",
            "ext_ip_address",
            "domain",
            "last_logged_in_user",
            "antivirus_product",
            "patch_status",
            "rmm_device_uid",
            "notes",
        )
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_import_row(self, row, **kwargs):
        # An empty tag or uid means "none" (NULL), so blanks never collide.
        for column in ("asset_tag", "rmm_device_uid"):
            if column in row and not (row[column] or "").strip():
                row[column] = None
