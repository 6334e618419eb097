"""The clients against the sandbox upstreams over real HTTP (no patching)."""

from datetime import UTC, datetime

import pytest

from integrations.clients import (
    DattoRMMClient,
    ForeignOriginError,
    FreshserviceClient,
    UpstreamAuthError,
    UpstreamRateLimited,
    UpstreamUnavailable,
    UpstreamValidationError,
)
from integrations.clients.base import SlidingWindowPacer, parse_retry_after
from integrations.clients.datto import normalize_datto_url
from integrations.clients.freshservice import normalize_freshservice_url
from integrations.sandbox import DattoSandbox
from integrations.services.mapping import parse_timestamp

from .conftest import DATTO_KEY, DATTO_SECRET


def test_datto_lists_every_site_across_pages(make_datto, datto_sandbox):
    client = make_datto(page_size=3)
    sites = list(client.iter_sites())
    assert len(sites) == len(datto_sandbox.sites)
    assert len({s["uid"] for s in sites}) == len(sites)
    assert datto_sandbox.calls("sites") == -(-len(sites) // 3)


def test_datto_streams_device_pages_one_at_a_time(make_datto, datto_sandbox):
    client = make_datto(page_size=2)
    site_uid = next(iter(datto_sandbox.sites))
    pages = client.iter_site_device_pages(site_uid)
    first = next(pages)
    assert len(first) == 2
    assert datto_sandbox.calls("site_devices") == 1  # the rest is not fetched yet


def test_datto_bad_secret_raises_auth_error(datto_sandbox):
    client = DattoRMMClient(datto_sandbox.url, DATTO_KEY, "wrong", sleep=lambda s: None)
    with pytest.raises(UpstreamAuthError) as caught:
        client.account()
    assert "wrong" not in str(caught.value)


def test_datto_reauthenticates_once_when_token_expires_mid_run(
    datto_sandbox, make_datto
):
    datto_sandbox.expire_tokens_after = 3
    client = make_datto(page_size=2)
    sites = list(client.iter_sites())
    assert len(sites) == len(datto_sandbox.sites)
    assert client.stats.reauthentications == 1
    assert datto_sandbox.calls("token") == 2


def test_datto_refuses_foreign_next_page_url(world, waits):
    with DattoSandbox(
        world, api_key=DATTO_KEY, api_secret=DATTO_SECRET, foreign_next_url=True
    ) as sandbox:
        client = DattoRMMClient(
            sandbox.url, DATTO_KEY, DATTO_SECRET, page_size=2, sleep=waits.append
        )
        with pytest.raises(ForeignOriginError):
            list(client.iter_sites())
        assert sandbox.calls("sites") == 1


@pytest.mark.parametrize("kind", ["500", "504", "409", "drop", "garbage", "truncated"])
def test_datto_retries_transient_faults(datto_sandbox, make_datto, waits, kind):
    datto_sandbox.inject("sites", kind, page=1, times=2)
    client = make_datto(page_size=3)
    assert len(list(client.iter_sites())) == len(datto_sandbox.sites)
    assert client.stats.retries == 2
    assert len(waits) == 2


def test_datto_gives_up_after_bounded_retries(datto_sandbox, make_datto, waits):
    datto_sandbox.inject("sites", "500", times=None)
    client = make_datto(max_retries=3)
    with pytest.raises(UpstreamUnavailable):
        list(client.iter_sites())
    assert client.stats.retries == 3
    assert waits == sorted(waits)  # exponential back-off grows


def test_datto_honours_retry_after_on_429(datto_sandbox, make_datto, waits):
    datto_sandbox.inject("sites", "429", times=1)
    client = make_datto()
    list(client.iter_sites())
    assert waits == [1.0]  # the sandbox's Retry-After
    assert client.stats.rate_limited == 1


def test_datto_waits_its_default_on_429_without_retry_after(
    datto_sandbox, make_datto, waits
):
    datto_sandbox.inject("sites", "429_no_retry_after", times=2)
    client = make_datto(rate_limit_wait=60)
    list(client.iter_sites())
    assert waits == [60, 120]


def test_datto_backs_off_on_403_ip_block(world):
    """Over the limit → 429s; ignoring them → 403 block; backing off recovers."""
    with DattoSandbox(
        world,
        api_key=DATTO_KEY,
        api_secret=DATTO_SECRET,
        rate_limit=3,
        window=0.5,
        slowdown=0,
        block_after=1,
        block_seconds=0.3,
        retry_after=False,
    ) as sandbox:
        import time

        client = DattoRMMClient(
            sandbox.url,
            DATTO_KEY,
            DATTO_SECRET,
            sleep=time.sleep,
            rate_limit_wait=0.01,
            ip_block_seconds=0.6,
        )
        for _ in range(3):
            client.account()
        assert client.account()["uid"]  # 429 → 403 block → waited → ok
        assert [reason.split()[0] for reason, _s in client.stats.waits] == [
            "429",
            "403",
        ]


def test_datto_persistent_403_raises_rate_limited(datto_sandbox, make_datto):
    datto_sandbox.inject("sites", "403", times=None)
    with pytest.raises(UpstreamRateLimited):
        list(make_datto().iter_sites())


def test_datto_client_pacing_slows_above_ninety_percent():
    now = [0.0]
    pacer = SlidingWindowPacer(10, slowdown=1.0, clock=lambda: now[0])
    delays = [pacer.delay() for _ in range(12)]
    assert delays[:9] == [0.0] * 9
    assert delays[9] == 1.0
    assert delays[10] == 60.0  # at the limit: wait for the window


def test_datto_site_variable_create_and_update(make_datto, datto_sandbox):
    client = make_datto()
    uid = datto_sandbox.site_uid_by_name("Unmapped Lab")
    created = client.create_site_variable(uid, "AccountNumber", "123456")
    client.update_site_variable(uid, created["id"], "AccountNumber", "654321")
    assert datto_sandbox.variable(uid) == "654321"
    assert [v["value"] for v in client.site_variables(uid)] == ["654321"]


def test_datto_iso_timestamps_parse_like_epoch_ms(world, waits):
    with (
        DattoSandbox(
            world, api_key=DATTO_KEY, api_secret=DATTO_SECRET, timestamps="iso"
        ) as iso,
        DattoSandbox(world, api_key=DATTO_KEY, api_secret=DATTO_SECRET) as ms,
    ):
        uid = next(iter(ms.devices))
        a = DattoRMMClient(iso.url, DATTO_KEY, DATTO_SECRET).device(uid)
        b = DattoRMMClient(ms.url, DATTO_KEY, DATTO_SECRET).device(uid)
    assert isinstance(a["lastSeen"], str) and isinstance(b["lastSeen"], int)
    assert parse_timestamp(a["lastSeen"]) == parse_timestamp(b["lastSeen"])


def test_parse_timestamp_formats():
    expected = datetime(2024, 9, 6, 5, 20, tzinfo=UTC)
    assert parse_timestamp(1725600000000) == expected
    assert parse_timestamp(1725600000) == expected
    assert parse_timestamp("1725600000000") == expected
    assert parse_timestamp("2024-09-06T05:20:00Z") == expected
    assert parse_timestamp("2024-09-06T05:20:00") == expected
    assert parse_timestamp(None) is None and parse_timestamp("garbage") is None


def test_url_normalisation():
    assert normalize_datto_url("merlot") == "https://merlot-api.centrastage.net"
    assert normalize_datto_url("https://x.example/api/") == "https://x.example"
    assert normalize_freshservice_url("acme") == "https://acme.freshservice.com"
    assert normalize_freshservice_url("https://a.example/api/v2") == "https://a.example"


def test_parse_retry_after_seconds_and_dates():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after(None) is None


def test_freshservice_follows_link_header(make_fs, fs_sandbox):
    client = make_fs(per_page=7)
    requesters = [r for page in client.iter_requesters() for r in page]
    assert len(requesters) == len(fs_sandbox.requesters)
    assert fs_sandbox.calls("requesters") == -(-len(requesters) // 7)
    names = [r["first_name"] for r in requesters]
    assert names == sorted(names)  # the upstream sorts by first name
    assert client.stats.ratelimit_remaining is not None


def test_freshservice_wrong_key_is_auth_error(fs_sandbox):
    client = FreshserviceClient(fs_sandbox.url, "nope", sleep=lambda s: None)
    with pytest.raises(UpstreamAuthError):
        client.check()


def test_freshservice_waits_retry_after_on_429_page(make_fs, fs_sandbox, waits):
    fs_sandbox.inject("requesters", "429", page=2, times=1)
    client = make_fs(per_page=10)
    total = sum(len(p) for p in client.iter_requesters())
    assert total == len(fs_sandbox.requesters)
    assert waits == [1.0]


def test_freshservice_429_too_long_raises(make_fs, fs_sandbox):
    fs_sandbox.inject("departments", "429", times=None)
    with pytest.raises(UpstreamRateLimited):
        list(make_fs(max_rate_limit_waits=2).iter_departments())


def test_freshservice_real_rate_limit_answers_429_with_retry_after(waits):
    from integrations.sandbox import FreshserviceSandbox, build_world

    world = build_world(sites=6, devices_per_site=1, requesters=60)
    with FreshserviceSandbox(world, api_key="k", plan="starter") as sandbox:
        client = FreshserviceClient(sandbox.url, "k", per_page=1, sleep=waits.append)
        with pytest.raises(UpstreamRateLimited):
            list(client.iter_requesters())  # 40 pages allowed per minute, then 429
        ok = [s for m, r, s in sandbox.request_log if r == "requesters" and s == 200]
        assert len(ok) == 40
        assert waits and all(0 < w <= 60 for w in waits)


def test_freshservice_400_is_readable(make_fs, fs_sandbox):
    client = make_fs()
    dept_id = next(iter(fs_sandbox.departments))
    with pytest.raises(UpstreamValidationError) as caught:
        client.update_department(
            dept_id, {"name": "X", "custom_fields": {"account_number": "123456"}}
        )
    assert "should be of type Integer" in str(caught.value)
    assert caught.value.errors[0]["code"] == "datatype_mismatch"
    with pytest.raises(UpstreamValidationError, match="missing_field"):
        client.update_department(dept_id, {"custom_fields": {"account_number": 123456}})


def test_freshservice_put_then_get_shows_change(make_fs, fs_sandbox):
    client = make_fs()
    dept_id = next(iter(fs_sandbox.departments))
    dept = client.department(dept_id)
    client.update_department(
        dept_id,
        {"name": dept["name"], "custom_fields": {"account_number": 424242}},
    )
    assert client.department(dept_id)["custom_fields"]["account_number"] == 424242


def test_datto_slow_response_times_out_and_is_retried(datto_sandbox, make_datto, waits):
    datto_sandbox.inject("sites", "slow", delay=1.0, times=1)
    client = make_datto(timeout=0.3)
    assert len(list(client.iter_sites())) == len(datto_sandbox.sites)
    assert client.stats.retries == 1
    assert "Timeout" in client.stats.waits[0][0]
