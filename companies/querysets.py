from django.db import models


def _staff_or_company(queryset, user, company_field: str):
    """Staff see all (their permissions decide what they may do); portal users see
    only rows of their own company; anonymous users see nothing."""
    if not user.is_authenticated:
        return queryset.none()
    if user.is_portal:
        return queryset.filter(**{company_field: user.company_id})
    return queryset


class PlanQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_portal:
            return self.filter(companies=user.company_id)
        return self

    def for_api(self):
        return self.prefetch_related("features")

    def for_list(self):
        return self.for_api()


class CompanyQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _staff_or_company(self, user, "pk")

    def clients(self):
        from .choices import CompanyKind

        return self.filter(kind=CompanyKind.CLIENT)

    def suppliers(self):
        from .choices import CompanyKind

        return self.filter(kind=CompanyKind.SUPPLIER)

    def with_features(self):
        return self.prefetch_related("plan__features", "feature_overrides")

    def for_api(self):
        return self.select_related("plan", "credit_account")

    def for_list(self):
        return self.select_related("plan", "credit_account")

    def for_billing(self):
        from django.db.models import Prefetch

        from accounts.models import User
        from assets.models import Asset

        return (
            self.with_features()
            .select_related("plan", "credit_account")
            .prefetch_related(
                Prefetch(
                    "assets",
                    queryset=Asset.objects.only(
                        "id",
                        "company_id",
                        "hostname",
                        "hardware_type",
                        "operating_system",
                    ).order_by("hostname"),
                ),
                Prefetch(
                    "users",
                    queryset=User.objects.only("id", "company_id", "username", "email"),
                ),
            )
        )


class LocationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _staff_or_company(self, user, "company_id")

    def for_api(self):
        return self.select_related("company")

    def for_list(self):
        return self.for_api()


class RmmSiteLinkQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated or user.is_portal:
            return self.none()
        return self

    def for_api(self):
        return self.select_related("company")

    def for_list(self):
        return self.for_api()


class CreditAccountQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _staff_or_company(self, user, "company_id")

    def low(self):
        return self.filter(balance__lte=models.F("low_balance_threshold"))

    def for_api(self):
        return self.select_related("company")

    def for_list(self):
        return self.for_api()


class CreditTransactionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _staff_or_company(self, user, "account__company_id")

    def for_api(self):
        return self.select_related("account__company", "actor")

    def for_list(self):
        return self.for_api()
