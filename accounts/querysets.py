from django.db import models
from django.db.models import Q
from django.utils import timezone


class DepartmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated or user.is_portal:
            return self.none()
        return self

    def for_api(self):
        return self.select_related("manager")

    def for_list(self):
        return self.for_api()


class UserQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_portal:
            return self.filter(company_id=user.company_id)
        if user.is_admin or user.has_perm("accounts.view_user"):
            return self
        return self.filter(pk=user.pk)

    def staff(self):
        return self.filter(company__isnull=True)

    def portal(self):
        return self.filter(company__isnull=False)

    def for_api(self):
        return self.select_related("department", "company").prefetch_related("groups")

    def for_list(self):
        return self.for_api()


class ApiKeyQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_admin:
            return self
        return self.filter(user=user)

    def active(self, *, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )

    def for_api(self):
        return self.select_related("user")

    def for_list(self):
        return self.for_api()
