from django import template

from ..models import SyncJob

register = template.Library()


@register.inclusion_tag("integrations/_job_health.html", takes_context=True)
def sync_job_health(context):
    """Each job's latest run and health, for the dashboard (two queries in all)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("integrations.view_syncjob"):
        return {"jobs": [], "visible": False}
    return {
        "jobs": list(SyncJob.objects.visible_to(user).with_last_run()),
        "visible": True,
    }


@register.filter
def health_pill(health: str) -> str:
    return {"ok": "pill-ok", "warn": "pill-warn", "bad": "pill-bad"}.get(
        health, "pill-info"
    )


@register.filter
def status_pill(status: str) -> str:
    return {
        "succeeded": "pill-ok",
        "partial": "pill-warn",
        "failed": "pill-bad",
    }.get(status, "pill-info")
