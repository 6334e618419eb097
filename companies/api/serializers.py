from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from nexus.api import VisiblePKField, VisibleSlugField
from nexus.representation import FastRepresentationMixin

from ..choices import (
    ACCOUNT_NUMBER_MAX,
    ACCOUNT_NUMBER_MIN,
    CreditTransactionKind,
)
from ..models import (
    Company,
    CreditAccount,
    CreditTransaction,
    Location,
    Plan,
    PlanFeature,
)

# ----------------------------------------------------------------------------- plans


class PlanFeatureSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanFeature
        fields = ["key", "value"]


class PlanBriefSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["id", "name"]


class PlanSerializer(serializers.ModelSerializer):
    """A billing plan; `features` is replaced as a whole on write."""

    features = PlanFeatureSerializer(many=True, required=False)

    class Meta:
        model = Plan
        fields = [
            "id",
            "name",
            "description",
            "monthly_price",
            "active",
            "features",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_features(self, features):
        # A PATCH validates nested items partially, yet the list replaces the
        # plan's features as a whole, so each item still needs its key.
        if any("key" not in f for f in features):
            raise serializers.ValidationError(_("Each feature needs a key."))
        keys = [f["key"] for f in features]
        if len(keys) != len(set(keys)):
            raise serializers.ValidationError(_("Each feature may appear only once."))
        return features

    @transaction.atomic
    def create(self, validated_data):
        features = validated_data.pop("features", [])
        plan = super().create(validated_data)
        PlanFeature.objects.bulk_create(PlanFeature(plan=plan, **f) for f in features)
        return plan

    @transaction.atomic
    def update(self, instance, validated_data):
        features = validated_data.pop("features", None)
        plan = super().update(instance, validated_data)
        if features is not None:
            plan.features.all().delete()
            PlanFeature.objects.bulk_create(
                PlanFeature(plan=plan, **f) for f in features
            )
            # Drop the prefetched list so the response shows the new features.
            getattr(plan, "_prefetched_objects_cache", {}).pop("features", None)
        return plan


# ------------------------------------------------------------------------- companies


class CompanyUrlField(serializers.HyperlinkedIdentityField):
    """A company's API URL (by account number), reversed once per serializer."""

    def __init__(self, **kwargs):
        kwargs.setdefault("view_name", "api:company-detail")
        kwargs.setdefault("lookup_field", "account_number")
        super().__init__(**kwargs)

    def to_representation(self, value):
        template = self.__dict__.get("_template")
        if template is None:
            marker = "999999999"
            path = reverse(self.view_name, kwargs={self.lookup_url_kwarg: marker})
            request = self.context.get("request")
            url = request.build_absolute_uri(path) if request is not None else path
            template = self._template = url.split(marker)
        return f"{template[0]}{value.account_number}{template[1]}"


class CompanyBriefSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """The only company representation used for nesting (STYLE R11)."""

    url = CompanyUrlField()
    display = serializers.CharField(source="name", read_only=True)

    class Meta:
        model = Company
        fields = ["id", "url", "account_number", "name", "display"]


class CompanySerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """A company with every column of the seed's Company; writes go to services.

    Reads take the fast path of `FastRepresentationMixin` (same output as DRF's,
    see test_api.py::test_fast_representation_matches_drf).
    """

    url = CompanyUrlField()
    account_number = serializers.IntegerField(
        min_value=ACCOUNT_NUMBER_MIN,
        max_value=ACCOUNT_NUMBER_MAX,
        required=False,
        help_text=_("Six digits; generated when left out. Only admins may change it."),
    )
    plan = PlanBriefSerializer(read_only=True, allow_null=True)
    plan_id = VisiblePKField(
        source="plan",
        queryset=Plan.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    plan_selected = serializers.CharField(
        source="plan.name",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_("The plan's name (the seed's plan_selected)."),
    )
    domains = serializers.ListField(
        child=serializers.CharField(max_length=253), required=False
    )
    credit_balance = serializers.DecimalField(
        source="credit_account.balance",
        max_digits=12,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        default=None,
    )

    class Meta:
        model = Company
        fields = [
            "id",
            "url",
            "account_number",
            "name",
            "kind",
            "status",
            "description",
            "freshservice_id",
            "plan",
            "plan_id",
            "plan_selected",
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
            "credit_balance",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness is checked by the services, which answer 409 for a number.
        extra_kwargs = {"freshservice_id": {"validators": []}}

    def validate(self, attrs):
        start = attrs.get(
            "contract_start", getattr(self.instance, "contract_start", None)
        )
        end = attrs.get("contract_end", getattr(self.instance, "contract_end", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"contract_end": _("The contract cannot end before it starts.")}
            )
        return attrs


class SupplierSerializer(CompanySerializer):
    """A company of kind supplier (the NEXO seed's suppliers); kind is fixed."""

    kind = serializers.CharField(read_only=True)

    class Meta(CompanySerializer.Meta):
        pass


class CompanyUserSerializer(serializers.Serializer):
    """A user of a company, as the seed's /api/companies/<acct>/users lists it."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    permission_level = serializers.SerializerMethodField()

    def get_permission_level(self, user) -> str:
        names = {g.name for g in user.groups.all()}
        if user.is_superuser or "Admin" in names:
            return "admin"
        if user.company_id:
            return "client"
        if "Billing" in names and "Technician" not in names:
            return "billing"
        return "technician"


class BillingAssetSerializer(serializers.Serializer):
    hostname = serializers.CharField()
    hardware_type = serializers.CharField()
    operating_system = serializers.CharField()


class BillingUserSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField()


class BillingSummarySerializer(serializers.ModelSerializer):
    """One company in the seed's /api/billing_summary."""

    plan_selected = serializers.CharField(
        source="plan.name", read_only=True, allow_null=True, default=None
    )
    company_main_number = serializers.CharField(source="main_phone", read_only=True)
    domains = serializers.ListField(child=serializers.CharField(), read_only=True)
    features = serializers.DictField(
        child=serializers.CharField(),
        source="effective_features",
        read_only=True,
        help_text=_("Plan features with the company's overrides applied."),
    )
    credit_balance = serializers.DecimalField(
        source="credit_account.balance",
        max_digits=12,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        default=None,
    )
    assets = BillingAssetSerializer(many=True, read_only=True)
    users = BillingUserSerializer(many=True, read_only=True)

    class Meta:
        model = Company
        fields = [
            "account_number",
            "name",
            "plan_selected",
            "company_main_number",
            "domains",
            "features",
            "credit_balance",
            "assets",
            "users",
        ]


# ------------------------------------------------------------------------- locations


class LocationBriefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="name", read_only=True)

    class Meta:
        model = Location
        fields = ["id", "name", "display"]


class LocationSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    company = CompanyBriefSerializer(read_only=True)
    company_account_number = VisibleSlugField(
        source="company",
        slug_field="account_number",
        queryset=Company.objects.all(),
        write_only=True,
    )

    class Meta:
        model = Location
        fields = [
            "id",
            "company",
            "company_account_number",
            "name",
            "address",
            "phone",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # (company, name) is checked in validate() with a field error

    def validate(self, attrs):
        company = attrs.get("company", getattr(self.instance, "company", None))
        name = attrs.get("name", getattr(self.instance, "name", None))
        clash = Location.objects.filter(company=company, name=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if company is not None and clash.exists():
            raise serializers.ValidationError(
                {"name": _("This company already has a location with this name.")}
            )
        return attrs


# ---------------------------------------------------------------------------- ledger


class CreditAccountSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    company = CompanyBriefSerializer(read_only=True)

    class Meta:
        model = CreditAccount
        fields = [
            "id",
            "company",
            "balance",
            "allow_overdraft",
            "low_balance_threshold",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["balance", "created_at", "updated_at"]


class CreditTransactionSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    company = CompanyBriefSerializer(source="account.company", read_only=True)
    actor = serializers.CharField(
        source="actor.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = CreditTransaction
        fields = [
            "id",
            "company",
            "kind",
            "amount",
            "balance_after",
            "reference",
            "note",
            "actor",
            "created_at",
        ]
        read_only_fields = fields


class CreateCreditTransactionSerializer(serializers.Serializer):
    """Input of a ledger movement; it is written by the matching service."""

    company_account_number = VisibleSlugField(
        slug_field="account_number", queryset=Company.objects.all()
    )
    kind = serializers.ChoiceField(choices=CreditTransactionKind.choices)
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text=_(
            "Positive for purchase, deduction and refund; signed for an adjustment."
        ),
    )
    reference = serializers.CharField(max_length=100, required=False, default="")
    note = serializers.CharField(required=False, default="", allow_blank=True)
    allow_overdraft = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Deductions and adjustments only: override the account's rule."),
    )

    def validate(self, attrs):
        if attrs["kind"] == CreditTransactionKind.ADJUSTMENT:
            if attrs["amount"] == 0:
                raise serializers.ValidationError(
                    {"amount": _("An adjustment cannot be zero.")}
                )
        elif attrs["amount"] <= Decimal("0"):
            raise serializers.ValidationError(
                {"amount": _("The amount must be greater than zero.")}
            )
        if attrs["allow_overdraft"] is not None and attrs["kind"] not in (
            CreditTransactionKind.DEDUCTION,
            CreditTransactionKind.ADJUSTMENT,
        ):
            raise serializers.ValidationError(
                {"allow_overdraft": _("Only deductions and adjustments can overdraw.")}
            )
        return attrs
