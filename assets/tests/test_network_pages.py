"""Network pages and admin: list, detail host list, claim, export, map (issue 9)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.network_models import Host
from assets.tests.factories import AssetFactory
from assets.tests.test_networks import make_network
from companies.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def test_network_list_and_detail_render(staff_client):
    net = make_network(cidr="10.8.0.0/16", gateway="10.8.0.1", name="Office LAN")
    asset = AssetFactory(company=net.company, hostname="PRINTER-1")
    Host.objects.create(network=net, ip="10.8.1.5", hostname="printer", asset=asset)
    response = staff_client.get("/assets/networks/")
    assert response.status_code == 200 and b"Office LAN" in response.content
    response = staff_client.get(f"/assets/networks/{net.pk}/?page=2")
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        "10.8.1.1<" in body
        and "10.8.2.0<" in body
        and "10.8.1.5" in body
        and "PRINTER-1" in body
    )
    assert "10.8.0.2" in body  # next free address
    assert "Page 2 of 256" in body
    assert staff_client.get(f"/assets/networks/{net.pk}/?page=x").status_code == 200


def test_network_pages_claim_bulk_and_export(staff_client):
    net = make_network(cidr="10.9.0.0/24")
    response = staff_client.post(f"/assets/networks/{net.pk}/claim/", {"hostname": "a"})
    assert response.status_code == 302
    assert Host.objects.get(network=net).ip == "10.9.0.1"
    staff_client.post(
        f"/assets/networks/{net.pk}/bulk/", {"start": "10.9.0.10", "end": "10.9.0.12"}
    )
    assert Host.objects.filter(network=net).count() == 4
    response = staff_client.post(
        f"/assets/networks/{net.pk}/bulk/", {"start": "bad", "end": "10.9.0.12"}
    )
    assert response.status_code == 302 and Host.objects.filter(network=net).count() == 4
    response = staff_client.get(f"/assets/networks/{net.pk}/hosts.csv")
    assert b"".join(response.streaming_content).count(b"\n") == 255


def test_network_map_svg_and_download(staff_client):
    net = make_network(cidr="10.11.0.0/24", name="<b>LAN</b>")
    Host.objects.create(network=net, ip="10.11.0.7", hostname="srv")
    response = staff_client.get(f"/assets/networks/map/?company={net.company_id}")
    body = response.content.decode()
    assert "<svg" in body and "10.11.0.7" in body and "&lt;b&gt;LAN" in body
    response = staff_client.get(
        f"/assets/networks/map/?company={net.company_id}&download=svg"
    )
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert staff_client.get("/assets/networks/map/").status_code == 200


def test_network_list_queries_do_not_grow(staff_client, django_assert_max_num_queries):
    def batch(n):
        for _ in range(n):
            net = make_network(cidr="10.0.0.0/24")
            Host.objects.create(network=net, ip="10.0.0.3")

    batch(2)
    for url in ("/assets/networks/", "/admin/assets/network/", "/admin/assets/host/"):
        with CaptureQueriesContext(connection) as few:
            assert staff_client.get(url).status_code == 200
        batch(5)
        with django_assert_max_num_queries(len(few)):
            staff_client.get(url)


def test_client_sees_only_own_networks_on_pages(portal_client_for):
    mine, theirs = CompanyFactory(), CompanyFactory()
    own = make_network(mine, "10.0.0.0/24", name="mine-net")
    other = make_network(theirs, "10.0.0.0/24", name="their-net")
    Host.objects.create(network=other, ip="10.0.0.9", hostname="secret-host")
    client = portal_client_for(mine)
    body = client.get("/assets/networks/").content.decode()
    assert "mine-net" in body and "their-net" not in body
    assert f"company={theirs.pk}" not in body
    assert (
        client.get(f"/assets/networks/?company={theirs.pk}").content.count(b"their-net")
        == 0
    )
    assert client.get(f"/assets/networks/{own.pk}/").status_code == 200
    for url in (
        f"/assets/networks/{other.pk}/",
        f"/assets/networks/{other.pk}/hosts.csv",
    ):
        assert client.get(url).status_code == 404
    # The map of a portal user is always their own company's.
    body = client.get(f"/assets/networks/map/?company={theirs.pk}").content.decode()
    assert "mine-net" in body and "secret-host" not in body
    assert client.post(f"/assets/networks/{own.pk}/claim/").status_code == 403
    assert client.post(f"/assets/networks/{other.pk}/claim/").status_code in (403, 404)
    assert not Host.objects.filter(network=own).exists()


def test_admin_refuses_overlapping_network(staff_client):
    net = make_network(cidr="10.12.0.0/16")
    response = staff_client.post(
        "/admin/assets/network/add/",
        {
            "company": net.company_id,
            "name": "clash",
            "cidr": "10.12.3.0/24",
            "dns_servers": "[]",
            "hosts-TOTAL_FORMS": "0",
            "hosts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "overlaps" in response.content.decode()
