from django.db import models


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

    def for_api(self):
        return self.prefetch_related("companies")

    def for_list(self):
        return self.for_api()
