from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.choices import Role
from accounts.models import User
from assets.api.serializers import AssetSerializer
from assets.models import Asset
from contacts.api.serializers import ContactSerializer
from contacts.models import Contact

from ..choices import CompanyKind
from ..models import Company, CreditAccount, CreditTransaction, Location, Plan
from ..services import (
    LEDGER_SERVICES,
    DuplicateAccountNumber,
    create_company,
    delete_company,
    update_company,
)
from .filters import (
    CompanyFilterSet,
    CreditAccountFilterSet,
    CreditTransactionFilterSet,
    LocationFilterSet,
    PlanFilterSet,
)
from .serializers import (
    BillingSummarySerializer,
    CompanySerializer,
    CompanyUserSerializer,
    CreateCreditTransactionSerializer,
    CreditAccountSerializer,
    CreditTransactionSerializer,
    LocationSerializer,
    PlanSerializer,
    SupplierSerializer,
)

COMPANY_SEARCH_FIELDS = [
    "name",
    "account_number",
    "description",
    "head_name",
    "primary_contact_name",
    "main_phone",
    "address",
]
COMPANY_ORDERING_FIELDS = [
    "name",
    "account_number",
    "kind",
    "status",
    "created_at",
    "updated_at",
]


def _conflict(exc: DjangoValidationError) -> Response:
    """409 with a readable `detail` plus the field messages (seed: duplicate number)."""
    body = {"detail": " ".join(exc.messages)}
    if hasattr(exc, "error_dict"):
        body.update(exc.message_dict)
    return Response(body, status=status.HTTP_409_CONFLICT)


CONFLICT_RESPONSE = OpenApiResponse(
    description="The account number is taken, or the company still has dependants."
)


class _CompanyCrudViewSet(viewsets.ModelViewSet):
    """Create, update and delete go through the company services."""

    queryset = Company.objects.none()  # scoped in get_queryset()
    lookup_field = "account_number"
    lookup_value_regex = r"[0-9]+"
    filterset_class = CompanyFilterSet
    search_fields = COMPANY_SEARCH_FIELDS
    ordering_fields = COMPANY_ORDERING_FIELDS
    ordering = ["name"]
    forced_kind: str | None = None

    def get_queryset(self):
        queryset = Company.objects.visible_to(self.request.user).for_api()
        if self.forced_kind:
            queryset = queryset.filter(kind=self.forced_kind)
        return queryset

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if self.forced_kind:
            data["kind"] = self.forced_kind
        try:
            company = create_company(actor=request.user, **data)
        except DuplicateAccountNumber as exc:
            return _conflict(exc)
        company = self.get_queryset().get(pk=company.pk)
        return Response(
            self.get_serializer(company).data, status=status.HTTP_201_CREATED
        )

    def update(self, request, *args, **kwargs):
        # The seed's PUT is a partial update; PATCH is the same.
        company = self.get_object()
        serializer = self.get_serializer(company, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if self.forced_kind:
            data.pop("kind", None)
        try:
            update_company(company, actor=request.user, **data)
        except DuplicateAccountNumber as exc:
            return _conflict(exc)
        company = self.get_queryset().get(pk=company.pk)
        return Response(self.get_serializer(company).data)

    def destroy(self, request, *args, **kwargs):
        company = self.get_object()
        try:
            delete_company(company, actor=request.user)
        except DjangoValidationError as exc:
            return _conflict(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _crud_schema(serializer_class) -> dict:
    return {
        "create": extend_schema(
            responses={201: serializer_class, 409: CONFLICT_RESPONSE},
            description="Creates a company; without account_number a fresh one is "
            "generated. An account number already in use answers 409.",
        ),
        "update": extend_schema(
            description="A partial update, as in the seed (PATCH is the same). "
            "Changing account_number needs an administrator.",
            request=serializer_class(partial=True),
            responses={200: serializer_class, 409: CONFLICT_RESPONSE},
        ),
        "partial_update": extend_schema(
            responses={200: serializer_class, 409: CONFLICT_RESPONSE}
        ),
        "destroy": extend_schema(
            responses={204: None, 409: CONFLICT_RESPONSE},
            description="Refused (409) while the company has assets, contacts, users "
            "or credit transactions.",
        ),
    }


@extend_schema_view(**_crud_schema(CompanySerializer))
class CompanyViewSet(_CompanyCrudViewSet):
    """Companies (the seed's /api/companies), looked up by account number."""

    serializer_class = CompanySerializer

    def _company(self) -> Company:
        # Not get_object(): the list filters (?search=…) of the company list must
        # not apply to the company whose related rows are asked for.
        company = get_object_or_404(
            Company.objects.visible_to(self.request.user),
            account_number=self.kwargs["account_number"],
        )
        self.check_object_permissions(self.request, company)
        return company

    def _require(self, perm: str) -> None:
        if not self.request.user.has_perm(perm):
            raise PermissionDenied

    def _list(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        context = self.get_serializer_context()
        data = serializer_class(page, many=True, context=context).data
        return self.get_paginated_response(data)

    @extend_schema(responses=CompanyUserSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        serializer_class=CompanyUserSerializer,
    )
    def users(self, request, account_number=None):
        """The company's users (seed: id, username, email, permission_level)."""
        company = self._company()
        users = (
            User.objects.filter(company=company)
            .prefetch_related("groups")
            .order_by("username")
        )
        return self._list(users, CompanyUserSerializer)

    @extend_schema(responses=LocationSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        serializer_class=LocationSerializer,
    )
    def locations(self, request, account_number=None):
        """The company's locations."""
        company = self._company()
        self._require("companies.view_location")
        locations = (
            Location.objects.visible_to(request.user).for_api().filter(company=company)
        )
        return self._list(locations, LocationSerializer)

    @extend_schema(responses=ContactSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        serializer_class=ContactSerializer,
    )
    def contacts(self, request, account_number=None):
        """The company's contacts (the contacts API's rows and scoping)."""
        company = self._company()
        self._require("contacts.view_contact")
        contacts = (
            Contact.objects.visible_to(request.user)
            .for_api(request.user)
            .filter(companies=company)
            .order_by("name", "pk")
        )
        return self._list(contacts, ContactSerializer)

    @extend_schema(responses=AssetSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        serializer_class=AssetSerializer,
    )
    def assets(self, request, account_number=None):
        """The company's assets (the assets API's rows and scoping)."""
        company = self._company()
        self._require("assets.view_asset")
        assets = (
            Asset.objects.visible_to(request.user).for_api().filter(company=company)
        )
        return self._list(assets, AssetSerializer)

    @extend_schema(responses=CreditTransactionSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        serializer_class=CreditTransactionSerializer,
    )
    def credits(self, request, account_number=None):
        """The company's credit transactions, newest first."""
        company = self._company()
        self._require("companies.view_credittransaction")
        transactions = (
            CreditTransaction.objects.visible_to(request.user)
            .for_api()
            .filter(account__company=company)
        )
        return self._list(transactions, CreditTransactionSerializer)


@extend_schema_view(**_crud_schema(SupplierSerializer))
class SupplierViewSet(_CompanyCrudViewSet):
    """Companies of kind supplier (the NEXO seed's suppliers); kind is fixed."""

    serializer_class = SupplierSerializer
    forced_kind = CompanyKind.SUPPLIER


class BillingSummaryPermission(permissions.BasePermission):
    """Seed roles admin, technician and billing (managers too): staff only."""

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.is_staff_member
            and user.has_role(Role.ADMIN, Role.TECHNICIAN, Role.BILLING, Role.MANAGER)
            and user.has_perm("companies.view_company")
        )


class BillingSummaryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Per company: plan, features, phone, domains, assets and users (seed)."""

    queryset = Company.objects.none()
    serializer_class = BillingSummarySerializer
    permission_classes = [BillingSummaryPermission]
    filterset_class = CompanyFilterSet
    search_fields = COMPANY_SEARCH_FIELDS
    ordering_fields = COMPANY_ORDERING_FIELDS
    ordering = ["name"]

    def get_queryset(self):
        return Company.objects.visible_to(self.request.user).for_billing()


class PlanViewSet(viewsets.ModelViewSet):
    """Billing plans with their features."""

    queryset = Plan.objects.none()
    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "monthly_price", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return Plan.objects.visible_to(self.request.user).for_api()


class LocationViewSet(viewsets.ModelViewSet):
    """Locations (offices, sites) of companies."""

    queryset = Location.objects.none()
    serializer_class = LocationSerializer
    filterset_class = LocationFilterSet
    search_fields = ["name", "address", "company__name"]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        return Location.objects.visible_to(self.request.user).for_api()


class CreditAccountViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Credit balances; the balance itself changes only through transactions."""

    queryset = CreditAccount.objects.none()
    serializer_class = CreditAccountSerializer
    filterset_class = CreditAccountFilterSet
    search_fields = ["company__name", "company__account_number"]
    ordering_fields = ["balance", "updated_at"]
    ordering = ["company__name"]

    def get_queryset(self):
        return CreditAccount.objects.visible_to(self.request.user).for_api()


@extend_schema_view(
    create=extend_schema(
        request=CreateCreditTransactionSerializer,
        responses={201: CreditTransactionSerializer},
    )
)
class CreditTransactionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The credit ledger; a new row is written by the matching ledger service."""

    queryset = CreditTransaction.objects.none()
    serializer_class = CreditTransactionSerializer
    filterset_class = CreditTransactionFilterSet
    search_fields = ["reference", "note", "account__company__name"]
    ordering_fields = ["created_at", "amount"]

    def get_queryset(self):
        return CreditTransaction.objects.visible_to(self.request.user).for_api()

    def get_serializer_class(self):
        if self.action == "create":
            return CreateCreditTransactionSerializer
        return CreditTransactionSerializer

    def create(self, request, *args, **kwargs):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        service = LEDGER_SERVICES[data.pop("kind")]
        company = data.pop("company_account_number")
        overdraft = data.pop("allow_overdraft")
        if overdraft is not None:
            data["allow_overdraft"] = overdraft
        transaction = service(company, actor=request.user, **data)
        transaction = self.get_queryset().get(pk=transaction.pk)
        return Response(
            CreditTransactionSerializer(
                transaction, context=self.get_serializer_context()
            ).data,
            status=status.HTTP_201_CREATED,
        )
