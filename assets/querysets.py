from datetime import timedelta

from django.db import models
from django.db.models import Count
from django.utils import timezone


def _company_scoped(queryset, user, company_field: str):
    if not user.is_authenticated:
        return queryset.none()
    if user.is_portal:
        return queryset.filter(**{company_field: user.company_id})
    return queryset


class AssetQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _company_scoped(self, user, "company_id")

    def for_api(self):
        # Only the company is nested, and only its id, number and name are shown;
        # other relations are written out as ids, so joining or loading more would
        # only cost time on every list (issue 3's throughput targets).
        own = [field.name for field in self.model._meta.concrete_fields]
        return self.select_related("company").only(
            *own, "company__id", "company__account_number", "company__name"
        )

    def for_list(self):
        return self.select_related("company", "location")

    def for_detail(self):
        return self.select_related(
            "company", "location", "rmm_site", "assigned_contact", "assigned_user"
        )

    def offline_since(self, days: int, *, now=None):
        since = (now or timezone.now()) - timedelta(days=days)
        return self.filter(online=False, last_seen__lt=since)

    def warranty_expiring(self, days: int, *, today=None):
        today = today or timezone.localdate()
        return self.filter(
            warranty_expires__gte=today, warranty_expires__lte=today + timedelta(days)
        )

    # Bulk writes send no signals; they still have to invalidate cached list
    # counts and page anchors (assets.listcache).
    def update(self, **kwargs):
        from .listcache import bump_asset_list_version

        rows = super().update(**kwargs)
        bump_asset_list_version()
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        from .listcache import bump_asset_list_version

        created = super().bulk_create(objs, *args, **kwargs)
        bump_asset_list_version()
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        from .listcache import bump_asset_list_version

        rows = super().bulk_update(objs, fields, *args, **kwargs)
        bump_asset_list_version()
        return rows


class SoftwareQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_portal:
            return self.filter(licences__company_id=user.company_id).distinct()
        return self

    def for_api(self):
        return self.select_related("vendor")

    def for_list(self):
        return self.for_api()


class LicenceQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _company_scoped(self, user, "company_id")

    def with_seats_used(self):
        return self.annotate(seats_used=Count("assignments", distinct=True))

    def for_api(self):
        return self.select_related("software", "company").with_seats_used()

    def expiring(self, days: int, *, today=None):
        today = today or timezone.localdate()
        return self.filter(
            expires_on__gte=today, expires_on__lte=today + timedelta(days)
        )

    def for_list(self):
        return self.for_api()


class LicenceAssignmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _company_scoped(self, user, "licence__company_id")

    def for_api(self):
        return self.all()

    def for_list(self):
        return self.select_related(
            "licence__software", "licence__company", "asset", "user", "contact"
        )
