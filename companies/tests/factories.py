import factory

from companies.models import Company, CreditAccount, Location, Plan


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Plan {n}")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Faker("company")
    account_number = factory.Sequence(lambda n: 100000 + n)


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Office {n}")


class CreditAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditAccount
        django_get_or_create = ("company",)

    company = factory.SubFactory(CompanyFactory)
