"""Health checks for /api/status: database, cache and broker."""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, connection.vendor
    except Exception as exc:
        return False, type(exc).__name__


def check_cache() -> tuple[bool, str]:
    key = f"nexus:health:{uuid.uuid4().hex}"
    try:
        cache.set(key, "ok", 5)
        ok = cache.get(key) == "ok"
        cache.delete(key)
        return ok, "ok" if ok else "value not read back"
    except Exception as exc:
        return False, type(exc).__name__


def check_broker() -> tuple[bool, str]:
    from nexus.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2, interval_start=0)
            transport = conn.transport_cls
            if transport in ("filesystem", "nexusfs"):
                folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
                from pathlib import Path

                Path(folder).mkdir(parents=True, exist_ok=True)
            return True, str(transport)
    except Exception as exc:
        return False, type(exc).__name__


def status_report() -> dict:
    import nexus

    checks = {
        "database": check_database(),
        "cache": check_cache(),
        "broker": check_broker(),
    }
    return {
        "status": "ok" if all(ok for ok, _ in checks.values()) else "degraded",
        "version": nexus.__version__,
        "checks": {name: {"ok": ok, "detail": d} for name, (ok, d) in checks.items()},
    }
