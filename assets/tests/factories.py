import factory

from assets.models import Asset, Licence, LicenceAssignment, Software
from companies.tests.factories import CompanyFactory


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    company = factory.SubFactory(CompanyFactory)
    hostname = factory.Sequence(lambda n: f"HOST-{n:05d}")


class SoftwareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Software

    name = factory.Sequence(lambda n: f"Product {n}")


class LicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Licence

    software = factory.SubFactory(SoftwareFactory)
    company = factory.SubFactory(CompanyFactory)
    seats = 5


class LicenceAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LicenceAssignment

    licence = factory.SubFactory(LicenceFactory)
    asset = factory.SubFactory(
        AssetFactory, company=factory.SelfAttribute("..licence.company")
    )
