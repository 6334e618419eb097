from django.db import models
from django.db.models import Prefetch


class ContactQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_portal:
            return self.filter(companies=user.company_id)
        return self

    def professionals(self):
        from .choices import ContactKind

        return self.filter(kind=ContactKind.PROFESSIONAL)

    def for_api(self, user=None):
        """Prefetch the links; with `user`, only the companies and assets that
        user may see (a portal user must not learn of a contact's other
        companies)."""
        from assets.models import Asset
        from companies.models import Company

        companies = Company.objects.only("id", "account_number", "name")
        assets = Asset.objects.only("id")
        if user is not None:
            companies = companies.visible_to(user)
            assets = assets.visible_to(user)
        return self.prefetch_related(
            Prefetch("companies", queryset=companies),
            Prefetch("assets", queryset=assets),
        )

    def for_list(self, user=None):
        return self.for_api(user)
