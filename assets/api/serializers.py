"""Asset, software, licence and seat serializers (full + brief, STYLE R11)."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from companies.models import Company, Location, RmmSiteLink
from contacts.models import Contact
from nexus.api import VisiblePKField, VisibleSlugField
from nexus.fields import mask_secret
from nexus.representation import DetailUrlField, FastRepresentationMixin

from ..models import Asset, Licence, LicenceAssignment, Software

UNKNOWN_ACCOUNT_NUMBER = _("No company with account number {value}.")


class CompanyRefSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """A company as nested in asset, licence and contact rows.

    Kept here rather than importing the companies app's brief serializer: that
    module imports ours (its /contacts and /assets actions), so importing it back
    at module level would be circular.
    """

    class Meta:
        model = Company
        fields = ["id", "account_number", "name"]
        read_only_fields = fields


def company_account_number_field(**kwargs) -> VisibleSlugField:
    """The seed's `company_account_number`: read and written as the number,
    looked up only among the companies the caller can see."""
    return VisibleSlugField(
        source="company",
        slug_field="account_number",
        queryset=Company.objects.all(),
        error_messages={
            "does_not_exist": UNKNOWN_ACCOUNT_NUMBER,
            "invalid": _("Enter a six-digit account number."),
        },
        **kwargs,
    )


class AssetBriefSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    url = DetailUrlField(view_name="api:asset-detail")
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Asset
        fields = ["id", "url", "display", "hostname"]


class AssetSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """A hardware asset; `company_account_number` is the seed's way to name the
    company on reads and writes, `company` is the same company nested."""

    # str(asset) is its name, else its hostname (assets.api.sqljson renders it).
    sql_str_columns = ("name", "hostname")
    url = DetailUrlField(view_name="api:asset-detail")
    display = serializers.CharField(source="__str__", read_only=True)
    company = CompanyRefSerializer(read_only=True)
    company_account_number = company_account_number_field()
    location = VisiblePKField(
        queryset=Location.objects.all(), allow_null=True, required=False
    )
    rmm_site = VisiblePKField(
        queryset=RmmSiteLink.objects.all(), allow_null=True, required=False
    )
    assigned_contact = VisiblePKField(
        queryset=Contact.objects.all(), allow_null=True, required=False
    )
    assigned_user = VisiblePKField(
        queryset=User.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Asset
        fields = [
            "id",
            "url",
            "display",
            "hostname",
            "company_account_number",
            "company",
            "location",
            "rmm_site",
            "name",
            "asset_tag",
            "serial_number",
            "manufacturer",
            "model",
            "hardware_type",
            "device_type",
            "operating_system",
            "description",
            "last_logged_in_user",
            "antivirus_product",
            "antivirus_status",
            "patch_status",
            "int_ip_address",
            "ext_ip_address",
            "domain",
            "site_name",
            "last_seen",
            "last_reboot",
            "last_audit",
            "online",
            "backup_usage_tb",
            "enabled_administrators",
            "warranty_expires",
            "status",
            "stale_since",
            "assigned_contact",
            "assigned_user",
            "portal_url",
            "web_remote_url",
            "rmm_device_uid",
            "udfs",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["stale_since", "created_at", "updated_at"]

    def validate_asset_tag(self, value):
        return value or None

    def validate_rmm_device_uid(self, value):
        return value or None

    def validate_udfs(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Enter an object of field values."))
        return value

    def validate(self, attrs):
        company = attrs.get("company", getattr(self.instance, "company", None))
        errors = {}
        location = attrs.get("location")
        if location is not None and company is not None:
            if location.company_id != company.pk:
                errors["location"] = _("This location belongs to another company.")
        rmm_site = attrs.get("rmm_site")
        if rmm_site is not None and company is not None:
            if rmm_site.company_id != company.pk:
                errors["rmm_site"] = _("This RMM site belongs to another company.")
        contact = attrs.get("assigned_contact")
        if contact is not None and company is not None:
            if not contact.companies.filter(pk=company.pk).exists():
                errors["assigned_contact"] = _(
                    "This contact does not work for the asset's company."
                )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class SoftwareBriefSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    url = DetailUrlField(view_name="api:software-detail")
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Software
        fields = ["id", "url", "display", "name", "version"]


class SoftwareSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    url = DetailUrlField(view_name="api:software-detail")
    display = serializers.CharField(source="__str__", read_only=True)
    vendor = VisiblePKField(
        queryset=Company.objects.suppliers(), allow_null=True, required=False
    )
    vendor_name = serializers.CharField(
        source="vendor.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Software
        fields = [
            "id",
            "url",
            "display",
            "name",
            "version",
            "vendor",
            "vendor_name",
            "category",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class LicenceKeyField(serializers.CharField):
    """Written in full; read masked unless the view asked to reveal it (the
    caller holds assets.change_licence and passed ?reveal=1)."""

    def to_representation(self, value):
        return self.fast_value(value, self.context)

    @staticmethod
    def fast_value(value, context):
        if not value:
            return value
        return value if context.get("reveal_key") else mask_secret(value)


class LicenceBriefSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    url = DetailUrlField(view_name="api:licence-detail")
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Licence
        fields = ["id", "url", "display"]


class LicenceSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """A licence; `seats_used` is counted from its assignments (annotation)."""

    url = DetailUrlField(view_name="api:licence-detail")
    display = serializers.CharField(source="__str__", read_only=True)
    software = VisiblePKField(queryset=Software.objects.all())
    software_name = serializers.CharField(source="software.name", read_only=True)
    company = CompanyRefSerializer(read_only=True)
    company_account_number = company_account_number_field()
    licence_key = LicenceKeyField(
        required=False, allow_blank=True, style={"input_type": "password"}
    )
    seats_used = serializers.IntegerField(read_only=True)

    class Meta:
        model = Licence
        fields = [
            "id",
            "url",
            "display",
            "software",
            "software_name",
            "company_account_number",
            "company",
            "licence_key",
            "seats",
            "seats_used",
            "purchase_date",
            "cost",
            "expires_on",
            "renewal_reminder_days",
            "status",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def to_representation(self, instance):
        if not hasattr(instance, "seats_used"):  # just written, not annotated
            instance.seats_used = instance.assignments.count()
        return super().to_representation(instance)

    def validate_seats(self, value):
        if value < 1:
            raise serializers.ValidationError(_("A licence has at least one seat."))
        return value

    def update(self, instance, validated_data):
        seats = validated_data.get("seats")
        if seats is None:
            return super().update(instance, validated_data)
        with transaction.atomic():
            # Lock the licence like assign_licence_seat does, so a seat cannot be
            # handed out between our count and the save.
            locked = Licence.objects.select_for_update().get(pk=instance.pk)
            used = locked.assignments.count()
            if seats < used:
                raise serializers.ValidationError(
                    {
                        "seats": _("%(used)d seats are assigned; unassign some first.")
                        % {"used": used}
                    }
                )
            return super().update(instance, validated_data)


class LicenceAssignmentSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """One seat: exactly one of asset, user or contact."""

    url = DetailUrlField(view_name="api:licence-assignment-detail")
    licence = VisiblePKField(queryset=Licence.objects.all())
    asset = VisiblePKField(
        queryset=Asset.objects.all(), allow_null=True, required=False
    )
    user = VisiblePKField(queryset=User.objects.all(), allow_null=True, required=False)
    contact = VisiblePKField(
        queryset=Contact.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = LicenceAssignment
        fields = ["id", "url", "licence", "asset", "user", "contact", "created_at"]
        read_only_fields = ["created_at"]
        # The service checks uniqueness under the licence lock and says which
        # target is already assigned; DRF's generic validators would run first.
        validators = []
