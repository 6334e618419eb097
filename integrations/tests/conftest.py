"""Sandbox upstreams started in-process on free ports, and clients that never wait."""

from importlib import import_module

import pytest
from django.apps import apps

from integrations.choices import ConnectionKind, SyncJobKind, SyncTrigger
from integrations.clients import DattoRMMClient, FreshserviceClient
from integrations.models import Connection, SyncJob
from integrations.sandbox import DattoSandbox, FreshserviceSandbox, build_world
from integrations.services import Clients, run_sync_job

DATTO_KEY, DATTO_SECRET, FS_KEY = "test-key", "test-secret", "test-fs-key"


@pytest.fixture
def world():
    return build_world(seed=11, sites=8, devices_per_site=5, requesters=40)


@pytest.fixture
def datto_sandbox(world):
    with DattoSandbox(
        world, api_key=DATTO_KEY, api_secret=DATTO_SECRET, slowdown=0
    ) as sandbox:
        yield sandbox


@pytest.fixture
def fs_sandbox(world):
    with FreshserviceSandbox(world, api_key=FS_KEY) as sandbox:
        yield sandbox


@pytest.fixture
def waits():
    """Every wait a client asked for; nothing really sleeps."""
    return []


@pytest.fixture
def make_datto(datto_sandbox, waits):
    def _make(**options):
        options = {
            "sleep": waits.append,
            "backoff_base": 0.01,
            "rate_limit_wait": 0.01,
            "ip_block_seconds": 0.01,
            "timeout": 5,
            **options,
        }
        return DattoRMMClient(datto_sandbox.url, DATTO_KEY, DATTO_SECRET, **options)

    return _make


@pytest.fixture
def make_fs(fs_sandbox, waits):
    def _make(**options):
        options = {
            "sleep": waits.append,
            "backoff_base": 0.01,
            "rate_limit_wait": 0.01,
            "timeout": 5,
            **options,
        }
        return FreshserviceClient(fs_sandbox.url, FS_KEY, **options)

    return _make


@pytest.fixture
def connections(db, datto_sandbox, fs_sandbox, settings):
    """The seeded connections pointed at the sandboxes (what `make run` does)."""
    settings.NEXUS_SYNC_BACKOFF_SECONDS = 0.01
    settings.NEXUS_SYNC_IP_BLOCK_SECONDS = 0.01
    Connection.objects.update_or_create(
        kind=ConnectionKind.DATTO,
        defaults={
            "base_url": datto_sandbox.url,
            "api_key": DATTO_KEY,
            "api_secret": DATTO_SECRET,
            "rate_limit_per_minute": 0,
        },
    )
    Connection.objects.update_or_create(
        kind=ConnectionKind.FRESHSERVICE,
        defaults={"base_url": fs_sandbox.url, "api_key": FS_KEY},
    )
    return Connection.objects.all()


@pytest.fixture
def run_job(db, make_datto, make_fs):
    """run_job(kind, dry_run=False, datto=None, freshservice=None) -> SyncRun."""

    def _run(kind, *, dry_run=False, datto=None, freshservice=None, **kwargs):
        job = SyncJob.objects.get(kind=kind)
        clients = Clients(
            datto=datto or make_datto(),
            freshservice=freshservice or make_fs(),
            fetch_serials=kwargs.pop("fetch_serials", False),
        )
        return run_sync_job(
            job, trigger=SyncTrigger.MANUAL, dry_run=dry_run, clients=clients, **kwargs
        )

    return _run


@pytest.fixture
def synced(run_job):
    """Companies and contacts from Freshservice, then assets from Datto."""
    fs_run = run_job(SyncJobKind.SYNC_FRESHSERVICE)
    datto_run = run_job(SyncJobKind.SYNC_DATTO)
    return fs_run, datto_run


@pytest.fixture
def seeded_datto_job(transactional_db):
    """The Datto job in a transactional test, which starts from a flushed database
    (an earlier transactional test may have flushed the seeded jobs too)."""
    import_module("integrations.migrations.0002_seed_jobs_and_schedules").seed(
        apps, None
    )
    job, _ = SyncJob.objects.get_or_create(
        kind=SyncJobKind.SYNC_DATTO,
        defaults={"enabled": True, "interval_minutes": 1440},
    )
    return job
