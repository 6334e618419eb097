import pytest

from assets import demo as assets_demo
from assets.fleet_models import Agent, AgentReport
from assets.network_models import Host, Network
from companies import demo as companies_demo
from contacts import demo as contacts_demo


@pytest.mark.django_db
def test_network_and_fleet_demo_loads_and_is_idempotent():
    companies_demo.load()
    contacts_demo.load()
    assets_demo.load()
    counts = (
        Network.objects.count(),
        Host.objects.count(),
        Agent.objects.count(),
        AgentReport.objects.count(),
    )
    assert all(counts), counts
    assert Host.objects.filter(asset__isnull=False).count() == counts[1]
    assert Agent.objects.filter(asset__isnull=False).count() == counts[2]
    assets_demo.load()
    assert counts == (
        Network.objects.count(),
        Host.objects.count(),
        Agent.objects.count(),
        AgentReport.objects.count(),
    )
