from django.db import models
from django.db.models import Count


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
        return self.select_related(
            "company", "location", "assigned_contact", "assigned_user"
        )

    def for_list(self):
        return self.select_related("company", "location")


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
        return self.select_related("software__vendor", "company").with_seats_used()

    def for_list(self):
        return self.for_api()


class LicenceAssignmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _company_scoped(self, user, "licence__company_id")

    def for_api(self):
        return self.select_related("licence__software", "asset", "user", "contact")

    def for_list(self):
        return self.for_api()
