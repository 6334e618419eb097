from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiKey, Department, User
from .services import create_api_key, revoke_api_key


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "manager", "created_at")
    search_fields = ("name",)
    autocomplete_fields = ("manager",)
    list_select_related = ("manager",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "email",
        "full_name",
        "department",
        "company",
        "employee_code",
        "is_staff",
        "is_active",
    )
    list_filter = ("is_staff", "is_active", "groups", "department")
    search_fields = ("username", "email", "full_name", "employee_code")
    list_select_related = ("department", "company")
    autocomplete_fields = ("department", "company")
    readonly_fields = ("employee_code", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "email", "phone", "position")}),
        (
            _("Organisation"),
            {"fields": ("department", "company", "employee_code", "hire_date")},
        ),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "full_name", "password1", "password2"),
            },
        ),
    )


class ApiKeyAdminForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("user", "name", "expires_at")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyAdminForm
    list_display = (
        "name",
        "user",
        "prefix",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("name", "prefix", "user__username", "user__email")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)
    readonly_fields = ("prefix", "revoked_at", "last_used_at", "created_at")
    actions = ("revoke_selected",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name", "expires_at")
        return (
            "user",
            "name",
            "prefix",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "created_at",
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, plain = create_api_key(
            form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            expires_at=form.cleaned_data.get("expires_at"),
        )
        obj.pk = key.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            _("New API key (copy it now, it is not shown again): %s") % plain,
            messages.WARNING,
        )

    @admin.action(description=_("Revoke selected API keys"))
    def revoke_selected(self, request, queryset):
        for key in queryset:
            revoke_api_key(key)
        self.message_user(request, _("%d key(s) revoked.") % queryset.count())
