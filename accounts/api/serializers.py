from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer

from nexus.representation import FastRepresentationMixin

from ..models import ApiKey, Department, User


class DepartmentBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name"]


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "description", "manager", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class UserBriefSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display"]


class UserSerializer(serializers.ModelSerializer):
    """A user as admins see it (the Nexus seed's /api/users)."""

    roles = serializers.SlugRelatedField(
        source="groups", slug_field="name", many=True, read_only=True
    )
    department = DepartmentBriefSerializer(read_only=True)
    company_account_number = serializers.IntegerField(
        source="company.account_number", read_only=True, allow_null=True, default=None
    )
    permission_level = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "full_name",
            "phone",
            "position",
            "employee_code",
            "hire_date",
            "department",
            "company_account_number",
            "roles",
            "permission_level",
            "is_active",
            "last_login",
            "date_joined",
        ]

    def get_permission_level(self, user: User) -> str:
        """The Nexus seed's single level: admin, technician, billing or client."""
        names = {g.name for g in user.groups.all()}
        if user.is_superuser or "Admin" in names:
            return "admin"
        if user.company_id:
            return "client"
        if "Billing" in names and "Technician" not in names:
            return "billing"
        return "technician"


class MeSerializer(UserSerializer):
    permissions = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "permissions"]

    def get_permissions(self, user: User) -> list[str]:
        return sorted(user.get_all_permissions())


class ApiKeySerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(read_only=True)
    key = serializers.SerializerMethodField(
        help_text=_("The full key; returned only in the response that creates it."),
    )

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "user",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "created_at",
            "key",
        ]
        read_only_fields = ["prefix", "revoked_at", "last_used_at", "created_at"]

    def get_key(self, obj) -> str | None:
        return self.context.get("plain_key")


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class LegacyTokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class LegacyTokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class EmailTokenObtainPairSerializer(TokenObtainPairSerializer):
    """The NEXO seed's login: email (or username) and password → access + refresh."""

    username_field = "email"

    def validate(self, attrs):
        data = super().validate(attrs)
        data["user"] = UserBriefSerializer(self.user).data
        return data


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["id", "name"]


class EmployeeSerializer(serializers.ModelSerializer):
    """A staff member (the NEXO seed's employees resource, over the User model)."""

    department = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
    )
    roles = serializers.SlugRelatedField(
        source="groups",
        slug_field="name",
        many=True,
        required=False,
        queryset=Group.objects.exclude(name="Client"),
    )
    password = serializers.CharField(
        write_only=True,
        required=False,
        style={"input_type": "password"},
        help_text=_("Optional; without one the employee cannot sign in until reset."),
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "full_name",
            "phone",
            "position",
            "department",
            "employee_code",
            "hire_date",
            "roles",
            "is_active",
            "password",
            "date_joined",
        ]
        read_only_fields = ["employee_code", "date_joined"]
        extra_kwargs = {"username": {"required": False}}
