"""The sandbox upstreams themselves behave like §5 of the reference says."""

import base64

import httpx
import pytest
from django.core.management import call_command

from integrations.choices import ConnectionKind, SyncJobKind, SyncStatus
from integrations.models import Connection, SyncRun
from integrations.sandbox import build_world

from .conftest import DATTO_KEY, DATTO_SECRET, FS_KEY


def fs_headers(key=FS_KEY):
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:X".encode()).decode()}


def datto_token(sandbox):
    response = httpx.post(
        f"{sandbox.url}/auth/oauth/token",
        data={
            "grant_type": "password",
            "username": DATTO_KEY,
            "password": DATTO_SECRET,
        },
        auth=("public-client", "public"),
    )
    body = response.json()
    assert set(body) >= {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "jti",
    }
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_build_world_is_deterministic_and_tricky():
    a, b = build_world(seed=3), build_world(seed=3)
    assert a.devices == b.devices and a.requesters == b.requesters
    names = [s["name"] for s in a.sites]
    assert "Deleted Devices" in names and "Unmapped Lab" in names
    assert any(d["deviceClass"] == "printer" for d in a.devices)
    assert any(d["deviceClass"] == "esxihost" for d in a.devices)
    assert any(d["custom_fields"]["account_number"] is None for d in a.departments)
    assert len({d["name"] for d in a.departments}) < len(a.departments)  # a duplicate
    assert all(len(d["udf"]) == 30 for d in a.devices)


def test_datto_requires_public_client_and_bearer(datto_sandbox):
    assert httpx.get(f"{datto_sandbox.url}/api/v2/system/status").status_code == 200
    assert httpx.get(f"{datto_sandbox.url}/api/v2/account").status_code == 401
    bad = httpx.post(
        f"{datto_sandbox.url}/auth/oauth/token",
        data={
            "grant_type": "password",
            "username": DATTO_KEY,
            "password": DATTO_SECRET,
        },
    )
    assert bad.status_code == 401
    headers = datto_token(datto_sandbox)
    assert (
        httpx.get(f"{datto_sandbox.url}/api/v2/account", headers=headers).status_code
        == 200
    )
    datto_sandbox.revoke_all_tokens()
    assert (
        httpx.get(f"{datto_sandbox.url}/api/v2/account", headers=headers).status_code
        == 401
    )


def test_datto_pagination_shape_and_clamp(datto_sandbox):
    headers = datto_token(datto_sandbox)
    body = httpx.get(
        f"{datto_sandbox.url}/api/v2/account/sites?max=5000&page=0", headers=headers
    ).json()
    details = body["pageDetails"]
    assert details["count"] == len(body["sites"]) == len(datto_sandbox.sites)
    assert details["nextPageUrl"] is None and details["prevPageUrl"] is None
    body = httpx.get(
        f"{datto_sandbox.url}/api/v2/account/sites?max=2&page=1", headers=headers
    ).json()
    assert body["pageDetails"]["nextPageUrl"].startswith(datto_sandbox.url)
    assert body["pageDetails"]["nextPageUrl"].endswith("max=2&page=2")
    site = body["sites"][0]
    assert site["devicesStatus"]["numberOfDevices"] >= 0
    single = httpx.get(
        f"{datto_sandbox.url}/api/v2/site/{site['uid']}", headers=headers
    ).json()
    assert single["uid"] == site["uid"]  # unwrapped, as upstream
    assert (
        httpx.get(f"{datto_sandbox.url}/api/v2/site/nope", headers=headers).status_code
        == 404
    )


def test_datto_audit_refuses_printers(datto_sandbox):
    headers = datto_token(datto_sandbox)
    printer = next(
        d for d in datto_sandbox.devices.values() if d["deviceClass"] == "printer"
    )
    response = httpx.get(
        f"{datto_sandbox.url}/api/v2/audit/device/{printer['uid']}", headers=headers
    )
    assert response.status_code == 400


def test_datto_rate_limit_then_ip_block(world):
    from integrations.sandbox import DattoSandbox

    with DattoSandbox(world, api_key=DATTO_KEY, api_secret=DATTO_SECRET, rate_limit=2,
                      slowdown=0, block_after=1, block_seconds=60) as sandbox:  # fmt: skip
        headers = datto_token(sandbox)
        url = f"{sandbox.url}/api/v2/account"
        codes = [httpx.get(url, headers=headers).status_code for _ in range(5)]
    assert codes[:2] == [200, 200] and codes[2] == 429 and codes[-1] == 403


def test_admin_endpoint_injects_faults_and_mutates(datto_sandbox):
    response = httpx.post(f"{datto_sandbox.url}/_sandbox/faults",
                          json={"route": "account", "kind": "503", "times": 1})  # fmt: skip
    assert response.status_code == 201
    headers = datto_token(datto_sandbox)
    assert (
        httpx.get(f"{datto_sandbox.url}/api/v2/account", headers=headers).status_code
        == 503
    )
    assert (
        httpx.get(f"{datto_sandbox.url}/api/v2/account", headers=headers).status_code
        == 200
    )
    uid = next(iter(datto_sandbox.sites))
    httpx.post(f"{datto_sandbox.url}/_sandbox/mutate",
               json={"op": "rename_site", "site_uid": uid, "name": "Renamed"})  # fmt: skip
    assert datto_sandbox.sites[uid]["name"] == "Renamed"
    state = httpx.get(f"{datto_sandbox.url}/_sandbox/state").json()
    assert state["sites"] == len(datto_sandbox.sites)


def test_freshservice_paging_rules_and_headers(fs_sandbox):
    url = f"{fs_sandbox.url}/api/v2/requesters"
    assert (
        httpx.get(url, params={"per_page": 101}, headers=fs_headers()).status_code
        == 400
    )
    assert httpx.get(url, params={"page": 0}, headers=fs_headers()).status_code == 400
    response = httpx.get(url, params={"per_page": 10}, headers=fs_headers())
    assert 'rel="next"' in response.headers["Link"]
    assert response.headers["X-Freshservice-Api-Version"] == "latest=v2; requested=v2"
    assert "X-Ratelimit-Remaining" in response.headers
    last = httpx.get(url, params={"per_page": 100}, headers=fs_headers())
    assert "Link" not in last.headers
    denied = httpx.get(url, headers=fs_headers("wrong"))
    assert denied.status_code == 401 and denied.json()["code"] == "invalid_credentials"


def test_freshservice_put_validation_and_requester_delete(fs_sandbox):
    dept_id = next(iter(fs_sandbox.departments))
    url = f"{fs_sandbox.url}/api/v2/departments/{dept_id}"
    unknown = httpx.put(
        url, json={"name": "A", "custom_fields": {"nope": 1}}, headers=fs_headers()
    )
    assert unknown.json()["errors"][0]["code"] == "invalid_field"
    missing = httpx.put(f"{fs_sandbox.url}/api/v2/departments/1", json={"name": "A"},
                        headers=fs_headers())  # fmt: skip
    assert missing.status_code == 404
    requester_id = next(iter(fs_sandbox.requesters))
    gone = httpx.delete(
        f"{fs_sandbox.url}/api/v2/requesters/{requester_id}", headers=fs_headers()
    )
    assert (
        gone.status_code == 204
        and fs_sandbox.requesters[requester_id]["active"] is False
    )


def test_sync_command_runs_a_job_with_dry_run(connections, capsys):
    call_command("sync", "freshservice", "--dry-run", "--no-progress")
    run = SyncRun.objects.get()
    assert run.dry_run and run.status == SyncStatus.SUCCEEDED
    assert "created" in capsys.readouterr().out


def test_sync_command_fails_loudly(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="failed"):
        call_command("sync", SyncJobKind.SYNC_DATTO, "--no-progress")


def test_demo_points_connections_at_sandbox_and_keeps_real_ones(db):
    from integrations import demo

    demo.load()
    demo.load()  # idempotent
    datto = Connection.objects.get(kind=ConnectionKind.DATTO)
    assert datto.base_url == demo.DATTO_URL and datto.is_configured
    fs = Connection.objects.get(kind=ConnectionKind.FRESHSERVICE)
    fs.base_url = "https://acme.freshservice.com"
    fs.save()
    demo.load()
    fs.refresh_from_db()
    assert fs.base_url == "https://acme.freshservice.com"
