"""Which service each job runs, and the upstream clients built from connections."""

from __future__ import annotations

from django.conf import settings

from ..choices import ConnectionKind, SyncJobKind
from ..clients import DattoRMMClient, FreshserviceClient, NotConfigured
from ..models import Connection


def build_client(connection: Connection, **overrides):
    """An httpx client for a connection (env fallbacks applied); never logs secrets."""
    if not connection.enabled:
        raise NotConfigured(f"{connection}: the connection is disabled")
    if not connection.is_configured:
        raise NotConfigured(
            f"{connection}: set its base URL and credentials in the admin "
            "or the environment"
        )
    options = {
        "timeout": connection.timeout_seconds,
        "rate_limit_per_minute": connection.rate_limit_per_minute,
        "backoff_base": getattr(settings, "NEXUS_SYNC_BACKOFF_SECONDS", 1.0),
        "max_retries": getattr(settings, "NEXUS_SYNC_MAX_RETRIES", 4),
        **overrides,
    }
    if connection.kind == ConnectionKind.DATTO:
        options.setdefault(
            "ip_block_seconds", getattr(settings, "NEXUS_SYNC_IP_BLOCK_SECONDS", 300.0)
        )
        return DattoRMMClient(
            connection.effective_base_url,
            connection.effective_api_key,
            connection.effective_api_secret,
            **options,
        )
    return FreshserviceClient(
        connection.effective_base_url, connection.effective_api_key, **options
    )


def connection_for(kind: str) -> Connection:
    """The saved connection of a kind, or an unsaved one that reads the environment."""
    return Connection.objects.filter(kind=kind).first() or Connection(kind=kind)


class Clients:
    """Lazily opened clients for one run; tests and the bench pass their own."""

    def __init__(self, *, datto=None, freshservice=None, fetch_serials=None):
        self._given = {
            ConnectionKind.DATTO: datto,
            ConnectionKind.FRESHSERVICE: freshservice,
        }
        self._fetch_serials = fetch_serials
        self.opened: dict[str, object] = {}

    def _get(self, kind: str):
        if kind not in self.opened:
            client = self._given.get(kind)
            if client is None:
                client = build_client(connection_for(kind))
                client.owned = True
            self.opened[kind] = client
        return self.opened[kind]

    @property
    def datto(self) -> DattoRMMClient:
        return self._get(ConnectionKind.DATTO)

    @property
    def freshservice(self) -> FreshserviceClient:
        return self._get(ConnectionKind.FRESHSERVICE)

    @property
    def fetch_serials(self) -> bool:
        if self._fetch_serials is None:
            self._fetch_serials = connection_for(ConnectionKind.DATTO).fetch_serials
        return self._fetch_serials

    def close(self) -> None:
        for client in self.opened.values():
            if getattr(client, "owned", False):
                client.close()


def _sync_freshservice(recorder, clients, *, dry_run):
    from .freshservice import sync_freshservice

    sync_freshservice(recorder, clients.freshservice, dry_run=dry_run)


def _sync_datto(recorder, clients, *, dry_run):
    from .datto import sync_datto

    sync_datto(
        recorder, clients.datto, dry_run=dry_run, fetch_serials=clients.fetch_serials
    )


def _assign(recorder, clients, *, dry_run):
    from .account_numbers import assign_account_numbers

    assign_account_numbers(recorder, clients.freshservice, dry_run=dry_run)


def _push(recorder, clients, *, dry_run):
    from .account_numbers import push_account_numbers_to_datto

    push_account_numbers_to_datto(recorder, clients.datto, dry_run=dry_run)


JOB_RUNNERS = {
    SyncJobKind.SYNC_FRESHSERVICE: _sync_freshservice,
    SyncJobKind.SYNC_DATTO: _sync_datto,
    SyncJobKind.ASSIGN_ACCOUNT_NUMBERS: _assign,
    SyncJobKind.PUSH_ACCOUNT_NUMBERS: _push,
}
