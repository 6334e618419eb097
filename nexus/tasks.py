from celery import shared_task
from django.core.cache import cache


@shared_task(name="nexus.heartbeat")
def heartbeat_task(token: str) -> str:
    """Mark `token` as seen by a worker (smoke test and ops); repeating is harmless."""
    cache.set(f"nexus:heartbeat:{token}", "ok", 300)
    return token
