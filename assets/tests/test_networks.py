"""Networks and hosts: validation, host lists, claims, API and isolation (issue 9)."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from assets.network_models import Host, Network, normalise_mac
from assets.networks import (
    bulk_create_hosts,
    claim_next_free,
    iter_host_list,
    iter_host_list_csv,
    network_summary,
    save_network,
)
from assets.tests.factories import AssetFactory
from companies.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def make_network(company=None, cidr="10.0.0.0/24", **fields) -> Network:
    return save_network(
        Network(
            company=company or CompanyFactory(),
            name=fields.pop("name", f"net {cidr}"),
            cidr=cidr,
            **fields,
        )
    )


def test_overlapping_network_in_same_company_is_refused():
    company = CompanyFactory()
    make_network(company, "10.0.0.0/16")
    with pytest.raises(ValidationError) as exc:
        make_network(company, "10.0.5.0/24")
    assert "overlaps" in str(exc.value.message_dict["cidr"])
    make_network(CompanyFactory(), "10.0.5.0/24")  # another company may


def test_network_validates_gateway_dhcp_vlan_and_normalises_cidr():
    net = make_network(cidr="192.168.1.7/24", gateway="192.168.1.1")
    assert net.cidr == "192.168.1.0/24" and net.version == 4
    for fields, key in (
        ({"gateway": "10.9.9.9"}, "gateway"),
        ({"dhcp_start": "192.168.3.10", "dhcp_end": "192.168.3.20"}, "dhcp_start"),
        ({"dhcp_start": "192.168.2.50", "dhcp_end": "192.168.2.20"}, "dhcp_end"),
        ({"vlan": 5000}, "vlan"),
        ({"dns_servers": ["1.1.1.1", "nope"]}, "dns_servers"),
    ):
        with pytest.raises(ValidationError) as exc:
            make_network(cidr="192.168.2.0/24", **fields)
        assert key in exc.value.message_dict
    with pytest.raises(ValidationError):
        make_network(cidr="not-a-net")


def test_host_must_lie_in_network_and_be_unique():
    net = make_network(cidr="10.1.0.0/24")
    Host(network=net, ip="10.1.0.5").full_clean()
    Host.objects.create(network=net, ip="10.1.0.5")
    for ip in ("10.1.0.5", "10.2.0.1", "10.1.0.0", "10.1.0.255"):
        with pytest.raises(ValidationError) as exc:
            Host(network=net, ip=ip).full_clean()
        assert "ip" in exc.value.message_dict


def test_host_asset_must_be_of_network_company():
    net = make_network()
    host = Host(network=net, ip="10.0.0.9", asset=AssetFactory())
    with pytest.raises(ValidationError) as exc:
        host.full_clean()
    assert "asset" in exc.value.message_dict


@pytest.mark.parametrize(
    "raw", ["aa-bb-cc-dd-ee-ff", "aabb.ccdd.eeff", "AABBCCDDEEFF", "aa:bb:cc:dd:ee:ff"]
)
def test_mac_is_normalised(raw):
    assert normalise_mac(raw) == "AA:BB:CC:DD:EE:FF"


def test_bad_mac_is_refused():
    with pytest.raises(ValidationError):
        normalise_mac("zz:bb:cc:dd:ee:ff")


def test_host_list_states_summary_and_next_free():
    net = make_network(
        cidr="10.0.0.0/28",
        gateway="10.0.0.1",
        dhcp_start="10.0.0.10",
        dhcp_end="10.0.0.14",
    )
    Host.objects.create(network=net, ip="10.0.0.2", hostname="srv")
    rows = list(iter_host_list(net, offset=0, limit=100))
    assert len(rows) == 14  # .1 – .14
    states = {row.ip: row.state for row in rows}
    assert states["10.0.0.1"] == "gateway"
    assert states["10.0.0.2"] == "assigned"
    assert states["10.0.0.3"] == "free"
    assert states["10.0.0.12"] == "dhcp"
    summary = network_summary(net)
    assert summary == {
        "usable": 14,
        "assigned": 1,
        "reserved": 6,
        "free": 7,
        "utilisation": 50.0,
        "next_free": "10.0.0.3",
    }


def test_host_list_of_a_slash_16_is_paginated_and_fast(django_assert_max_num_queries):
    net = make_network(cidr="172.16.0.0/16")
    bulk_create_hosts(net, start="172.16.200.1", end="172.16.200.100")
    assert net.usable_count == 65534
    generator = iter_host_list(net, offset=51200, limit=1000)
    assert not isinstance(generator, list | tuple)  # a generator, never all rows
    started = time.perf_counter()
    with django_assert_max_num_queries(1):
        rows = list(generator)
    assert time.perf_counter() - started < 1.0
    assert rows[0].ip == "172.16.200.1" and rows[0].state == "assigned"
    assert len(rows) == 1000 and rows[-1].ip == "172.16.203.232"
    last = list(iter_host_list(net, offset=65000, limit=1000))
    assert len(last) == 534 and last[-1].ip == "172.16.255.254"


def test_ipv6_host_list_and_claim():
    net = make_network(cidr="2001:db8::/64")
    assert net.usable_count == 2**64 - 1
    rows = list(iter_host_list(net, offset=2**63, limit=3))
    assert [r.state for r in rows] == ["free"] * 3
    host = claim_next_free(net, hostname="v6")
    assert host.ip == "2001:db8::1"


def test_bulk_create_hosts_is_validated_and_atomic():
    net = make_network(cidr="10.3.0.0/24")
    created = bulk_create_hosts(
        net, start="10.3.0.10", end="10.3.0.19", hostname_prefix="pc-"
    )
    assert len(created) == 10
    assert Host.objects.get(ip="10.3.0.12").hostname == "pc-12"
    with pytest.raises(ValidationError) as exc:
        bulk_create_hosts(net, start="10.3.0.5", end="10.3.0.10")
    assert "10.3.0.10" in str(exc.value)
    assert Host.objects.filter(network=net).count() == 10  # nothing of the range
    with pytest.raises(ValidationError):
        bulk_create_hosts(net, start="10.3.0.30", end="10.3.0.20")
    with pytest.raises(ValidationError):
        bulk_create_hosts(net, start="10.4.0.1", end="10.4.0.2")


def test_host_list_csv_is_formula_safe():
    net = make_network(cidr="10.5.0.0/29")
    Host.objects.create(network=net, ip="10.5.0.2", hostname="=HYPERLINK(1)")
    body = "".join(iter_host_list_csv(net))
    assert "'=HYPERLINK(1)" in body
    assert body.count("\n") == 7  # header + 6 usable


def test_claims_serial_give_distinct_addresses():
    net = make_network(cidr="10.6.0.0/27", gateway="10.6.0.1")
    ips = {claim_next_free(net).ip for _ in range(20)}
    assert len(ips) == 20 and "10.6.0.1" not in ips


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need real threads on PG"
)
@pytest.mark.django_db(transaction=True)
def test_claims_race_free_under_20_threads(make_user):
    from rest_framework.test import APIClient

    from accounts.choices import Role

    net = make_network(cidr="10.7.0.0/24")
    tech = make_user(Role.TECHNICIAN)
    results, barrier = [], threading.Barrier(20)

    def claim():
        client = APIClient()
        client.force_authenticate(tech)
        barrier.wait()
        response = client.post(
            f"/api/networks/{net.pk}/available-ips", {}, format="json"
        )
        results.append((response.status_code, response.json().get("ip")))
        connection.close()

    threads = [threading.Thread(target=claim) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [code for code, _ in results] == [201] * 20
    assert len({ip for _, ip in results}) == 20
    assert Host.objects.filter(network=net).count() == 20


# --- API -------------------------------------------------------------------


def test_api_network_crud_and_overlap_message(tech_api):
    company = CompanyFactory()
    response = tech_api.post(
        "/api/networks",
        {
            "company_id": company.pk,
            "name": "LAN",
            "cidr": "10.10.0.0/16",
            "vlan": 10,
            "dns_servers": ["10.10.0.2"],
            "gateway": "10.10.0.1",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["cidr"] == "10.10.0.0/16"
    response = tech_api.post(
        "/api/networks",
        {"company_id": company.pk, "name": "Clash", "cidr": "10.10.4.0/24"},
        format="json",
    )
    assert response.status_code == 400
    assert "overlaps" in response.json()["cidr"][0]
    response = tech_api.post(
        "/api/networks",
        {
            "company_id": company.pk,
            "name": "Bad",
            "cidr": "x",
            "vlan": 0,
            "dns_servers": ["bad"],
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"vlan", "dns_servers"} <= response.json().keys()


def test_api_hosts_claim_host_list_and_csv(tech_api):
    net = make_network(cidr="10.20.0.0/24", gateway="10.20.0.1")
    url = f"/api/networks/{net.pk}"
    response = tech_api.post(
        f"{url}/hosts", {"ip": "10.20.0.2", "mac": "aabbccddeeff"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["mac"] == "AA:BB:CC:DD:EE:FF"
    response = tech_api.post(f"{url}/hosts", {"ip": "10.20.0.2"}, format="json")
    assert response.status_code == 400 and "ip" in response.json()
    response = tech_api.post(f"{url}/hosts", {"ip": "10.99.0.2"}, format="json")
    assert response.status_code == 400 and "ip" in response.json()
    response = tech_api.post(f"{url}/available-ips", {"hostname": "new"}, format="json")
    assert response.status_code == 201 and response.json()["ip"] == "10.20.0.3"
    response = tech_api.get(f"{url}/available-ips?limit=5")
    data = response.json()
    assert data["results"] == [f"10.20.0.{n}" for n in range(4, 9)]
    assert data["count"] == 251 and "start=10.20.0.9" in data["next"]
    response = tech_api.get(f"{url}/host-list?limit=3&offset=0")
    data = response.json()
    assert data["count"] == 254 and data["summary"]["next_free"] == "10.20.0.4"
    assert [r["state"] for r in data["results"]] == ["gateway", "assigned", "assigned"]
    assert "offset=3" in data["next"]
    assert tech_api.get(f"{url}/host-list?limit=x").status_code == 400
    response = tech_api.get(f"{url}/host-list-csv")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).count(b"\n") == 255
    response = tech_api.post(
        f"{url}/bulk-hosts", {"start": "10.20.0.50", "end": "10.20.0.59"}, format="json"
    )
    assert response.status_code == 201 and response.json()["created"] == 10
    response = tech_api.post(
        f"{url}/bulk-hosts", {"start": "10.20.0.50", "end": "nope"}, format="json"
    )
    assert response.status_code == 400 and "end" in response.json()
    assert tech_api.get(f"/api/hosts?network={net.pk}").json()["count"] == 12


def test_api_network_and_host_lists_queries_do_not_grow(
    tech_api, django_assert_max_num_queries
):
    def batch(n):
        for _ in range(n):
            net = make_network(cidr="10.0.0.0/24")
            Host.objects.create(
                network=net, ip="10.0.0.5", asset=AssetFactory(company=net.company)
            )

    batch(2)
    for url in ("/api/networks", "/api/hosts"):
        with CaptureQueriesContext(connection) as few:
            assert tech_api.get(url).status_code == 200
        batch(5)
        with django_assert_max_num_queries(len(few)):
            tech_api.get(url)


def test_client_sees_only_own_networks_and_cannot_write(portal_api_for):
    mine, theirs = CompanyFactory(), CompanyFactory()
    own = make_network(mine, "10.0.0.0/24", name="mine-net")
    other = make_network(theirs, "10.0.0.0/24", name="their-net")
    Host.objects.create(network=other, ip="10.0.0.9", hostname="secret-host")
    api = portal_api_for(mine)
    listed = api.get("/api/networks").json()["results"]
    assert [n["id"] for n in listed] == [own.pk]
    assert api.get(f"/api/networks?company={theirs.pk}").json()["count"] == 0
    assert api.get("/api/networks?search=their").json()["count"] == 0
    assert api.get("/api/hosts?search=secret").json()["count"] == 0
    for suffix in ("", "/hosts", "/host-list", "/host-list-csv", "/available-ips"):
        assert api.get(f"/api/networks/{other.pk}{suffix}").status_code == 404
    assert (
        api.post(f"/api/networks/{own.pk}/available-ips", {}, format="json").status_code
        == 403
    )
    assert api.post(
        f"/api/networks/{other.pk}/available-ips", {}, format="json"
    ).status_code in (403, 404)
    assert (
        api.post(
            "/api/networks",
            {"company_id": theirs.pk, "name": "x", "cidr": "10.9.0.0/24"},
            format="json",
        ).status_code
        == 403
    )
    assert Host.objects.filter(network=other).count() == 1


def test_staff_cannot_attach_asset_of_other_company(tech_api):
    net = make_network()
    response = tech_api.post(
        f"/api/networks/{net.pk}/hosts",
        {"ip": "10.0.0.8", "asset": AssetFactory().pk},
        format="json",
    )
    assert response.status_code == 400 and "asset" in response.json()


def test_bulk_hosts_schema_is_the_count_it_answers_with():
    """The action answers 201 `{"created": n}`; the schema said 200 and a list of
    hosts, with the list's filter and page parameters on the POST."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/networks/{id}/bulk-hosts/"]["post"]
    assert not [p for p in operation["parameters"] if p["in"] == "query"]
    assert [c for c in operation["responses"] if c.startswith("2")] == ["201"]
    ref = operation["responses"]["201"]["content"]["application/json"]["schema"]
    created = schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]
    assert created["properties"] == {"created": {"type": "integer"}}
