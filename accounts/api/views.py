from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView

from nexus.permissions import IsStaffAdmin, ModelPermissions

from ..axes import is_locked_out
from ..models import ApiKey, Department, User
from ..services import (
    create_api_key,
    create_employee,
    deactivate_employee,
    register_user,
    revoke_api_key,
    update_employee,
)
from .serializers import (
    ApiKeySerializer,
    DepartmentSerializer,
    EmailTokenObtainPairSerializer,
    EmployeeSerializer,
    LegacyTokenRequestSerializer,
    LegacyTokenResponseSerializer,
    LogoutSerializer,
    MeSerializer,
    RegisterSerializer,
    UserSerializer,
)


class LoginThrottleMixin:
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"


class LockoutAwareTokenMixin(LoginThrottleMixin):
    """simplejwt views: a locked-out account gets 429, not 401."""

    # Explicit so the schema says these need no credentials.
    permission_classes = [permissions.AllowAny]

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if response.status_code == 401 and is_locked_out(request):
            raise Throttled(
                detail=_("Too many failed login attempts. Try again later.")
            )
        return response


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """Users, for admins only (the Nexus seed's /api/users)."""

    queryset = User.objects.none()
    serializer_class = UserSerializer
    permission_classes = [IsStaffAdmin]
    search_fields = ["username", "email", "full_name", "employee_code"]
    ordering_fields = ["username", "email", "date_joined"]
    filterset_fields = {
        "department": ["exact"],
        "company": ["exact"],
        "is_active": ["exact"],
    }

    def get_queryset(self):
        return User.objects.visible_to(self.request.user).for_api()


class EmployeeViewSet(viewsets.ModelViewSet):
    """Staff members (NEXO employees): employee code and hire date are automatic.

    DELETE deactivates the account instead of removing it.
    """

    queryset = User.objects.none()
    serializer_class = EmployeeSerializer
    permission_classes = [ModelPermissions]
    search_fields = ["username", "email", "full_name", "employee_code", "position"]
    ordering_fields = ["full_name", "employee_code", "hire_date", "date_joined"]
    filterset_fields = {
        "department": ["exact"],
        "department__name": ["exact"],
        "is_active": ["exact"],
        "hire_date": ["gte", "lte"],
    }

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated or user.is_portal:
            return User.objects.none()
        return User.objects.staff().for_api()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        roles = data.pop("groups", ())
        serializer.instance = create_employee(roles=roles, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        roles = data.pop("groups", None)
        serializer.instance = update_employee(serializer.instance, roles=roles, **data)

    def perform_destroy(self, instance):
        deactivate_employee(instance)


class DepartmentViewSet(viewsets.ModelViewSet):
    queryset = Department.objects.none()
    serializer_class = DepartmentSerializer
    permission_classes = [ModelPermissions]
    search_fields = ["name"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return Department.objects.visible_to(self.request.user).for_api()


class ApiKeyViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Your API keys (admins see all). The full key is shown once, on creation."""

    queryset = ApiKey.objects.none()
    serializer_class = ApiKeySerializer
    permission_classes = [permissions.IsAuthenticated]
    search_fields = ["name", "prefix"]
    ordering_fields = ["created_at", "name", "last_used_at"]

    def get_queryset(self):
        return ApiKey.objects.visible_to(self.request.user).for_api()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key, plain = create_api_key(request.user, **serializer.validated_data)
        context = {**self.get_serializer_context(), "plain_key": plain}
        return Response(
            ApiKeySerializer(key, context=context).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        key = revoke_api_key(self.get_object())
        return Response(self.get_serializer(key).data)


class MeView(APIView):
    """The signed-in user, with roles and permissions (also at /api/auth/profile)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = User.objects.for_api().get(pk=request.user.pk)
        return Response(MeSerializer(user, context={"request": request}).data)


class RegisterView(LoginThrottleMixin, APIView):
    """Self-registration; refused unless NEXUS_ALLOW_REGISTRATION is on."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(request=RegisterSerializer, responses={201: MeSerializer})
    def post(self, request):
        if not settings.NEXUS_ALLOW_REGISTRATION:
            return Response(
                {"detail": _("Registration is disabled on this server.")},
                status=status.HTTP_403_FORBIDDEN,
            )
        payload = RegisterSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = register_user(**payload.validated_data)
        return Response(MeSerializer(user).data, status=status.HTTP_201_CREATED)


class LogoutView(APIView):
    """Blacklist a refresh token so it can never be used again."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(request=LogoutSerializer, responses={205: None})
    def post(self, request):
        payload = LogoutSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            RefreshToken(payload.validated_data["refresh"]).blacklist()
        except TokenError as exc:
            raise ValidationError({"refresh": [str(exc)]}) from exc
        return Response(status=status.HTTP_205_RESET_CONTENT)


class EmailTokenObtainPairView(LockoutAwareTokenMixin, TokenObtainPairView):
    """NEXO login: {email, password} → {access, refresh, user}."""

    serializer_class = EmailTokenObtainPairSerializer


class LegacyTokenView(LoginThrottleMixin, APIView):
    """The Nexus seed's `POST /api/token`: {username, password} → {"token": JWT}."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(
        request=LegacyTokenRequestSerializer, responses=LegacyTokenResponseSerializer
    )
    def post(self, request):
        payload = LegacyTokenRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = authenticate(request=request._request, **payload.validated_data)
        if user is None and is_locked_out(request):
            raise Throttled(
                detail=_("Too many failed login attempts. Try again later.")
            )
        if user is None:
            return Response(
                {"detail": _("Invalid credentials.")},
                status=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": 'Bearer realm="api"'},
            )
        token = AccessToken.for_user(user)
        token.set_exp(lifetime=timedelta(hours=24))
        token["permission_level"] = UserSerializer().get_permission_level(user)
        token["company_account_number"] = (
            user.company.account_number if user.company_id else None
        )
        return Response({"token": str(token)})


class PairTokenObtainView(LockoutAwareTokenMixin, TokenObtainPairView):
    """{username, password} → {access, refresh}."""
