from django import template
from django.db.models import Count
from django.utils import timezone

from ..choices import OPEN_STATUSES, TicketPriority
from ..models import Ticket, TimeEntry

register = template.Library()


@register.inclusion_tag("tickets/partials/dashboard_cards.html", takes_context=True)
def ticket_dashboard_cards(context):
    """Open tickets by priority, breached tickets and today's logged time, as the
    signed-in user may see them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if (
        user is None
        or not user.is_authenticated
        or not user.has_perm("tickets.view_ticket")
    ):
        return {"show": False}
    tickets = Ticket.objects.visible_to(user).filter(status__in=OPEN_STATUSES)
    counts = dict(tickets.values_list("priority").annotate(n=Count("pk")).order_by())
    by_priority = [
        (p.label, p.value, counts.get(p.value, 0)) for p in reversed(TicketPriority)
    ]
    breached = (
        (tickets.filter(sla_breached=True) | tickets.breached_now()).distinct().count()
    )
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = 0
    if not user.is_portal:
        minutes = (
            TimeEntry.objects.visible_to(user)
            .filter(started_at__gte=start)
            .total_minutes()
        )
    return {
        "show": True,
        "by_priority": by_priority,
        "open_total": sum(counts.values()),
        "breached": breached,
        "minutes_today": minutes,
        "hours_today": f"{minutes // 60}:{minutes % 60:02d}",
        "is_portal": user.is_portal,
    }
