"""Contact serializers (full + brief, STYLE R11)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from assets.api.serializers import UNKNOWN_ACCOUNT_NUMBER, CompanyRefSerializer
from assets.models import Asset
from companies.choices import ACCOUNT_NUMBER_MAX, ACCOUNT_NUMBER_MIN
from companies.models import Company
from nexus.api import VisiblePKField
from nexus.representation import DetailUrlField, FastRepresentationMixin

from ..choices import ContactKind
from ..models import Contact


class AccountNumberListField(serializers.ListField):
    """The seed's `company_account_numbers`: the numbers of the linked companies."""

    child = serializers.IntegerField(
        min_value=ACCOUNT_NUMBER_MIN, max_value=ACCOUNT_NUMBER_MAX
    )

    def to_representation(self, value):
        return self.fast_value(value, self.context)

    @staticmethod
    def fast_value(value, context):
        return sorted(company.account_number for company in value.all())

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # ListField reports {index: [...]}; integer keys are not valid JSON
            # object keys (the orjson renderer refuses them), so flatten.
            if isinstance(exc.detail, dict):
                raise serializers.ValidationError(
                    [
                        f"{index}: {message}"
                        for index, messages in exc.detail.items()
                        for message in messages
                    ]
                ) from exc
            raise


class ContactBriefSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    url = DetailUrlField(view_name="api:contact-detail")
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "url", "display", "name", "email"]


class ContactSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """A contact. On write, `company_account_numbers` replaces the company links
    (as in the seed); every number must name a company the caller can see."""

    url = DetailUrlField(view_name="api:contact-detail")
    display = serializers.CharField(source="__str__", read_only=True)
    company_account_numbers = AccountNumberListField(source="companies", required=False)
    companies = CompanyRefSerializer(many=True, read_only=True)
    assets = VisiblePKField(many=True, queryset=Asset.objects.all(), required=False)

    class Meta:
        model = Contact
        fields = [
            "id",
            "url",
            "display",
            "name",
            "email",
            "secondary_emails",
            "title",
            "employment_type",
            "active",
            "work_phone",
            "mobile_phone",
            "freshservice_id",
            "kind",
            "company_account_numbers",
            "companies",
            "assets",
            "user",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["user", "created_at", "updated_at"]

    def validate_email(self, value):
        value = value.strip().lower()
        clash = Contact.objects.filter(email=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(_("A contact with this email exists."))
        return value

    def validate_secondary_emails(self, value):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise serializers.ValidationError(_("Enter a list of email addresses."))
        field = serializers.EmailField()
        try:
            return [field.run_validation(v.strip().lower()) for v in value]
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(exc.detail) from exc

    def validate_company_account_numbers(self, numbers):
        request = self.context.get("request")
        wanted = set(numbers)
        if request is None:
            raise serializers.ValidationError(_("No request to check companies."))
        found = {
            company.account_number: company
            for company in Company.objects.visible_to(request.user).filter(
                account_number__in=wanted
            )
        }
        missing = sorted(wanted - found.keys())
        if missing:
            raise serializers.ValidationError(
                [UNKNOWN_ACCOUNT_NUMBER.format(value=number) for number in missing]
            )
        return [found[number] for number in sorted(wanted)]


class ProfessionalSerializer(ContactSerializer):
    """An external professional (the NEXO seed's resource): a contact whose kind
    is always `professional`."""

    url = DetailUrlField(view_name="api:professional-detail")
    kind = serializers.CharField(read_only=True)

    def create(self, validated_data):
        validated_data["kind"] = ContactKind.PROFESSIONAL
        return super().create(validated_data)
