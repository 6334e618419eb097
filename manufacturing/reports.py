"""Manufacturing report figures, shared by the API, the reports page and CSV export.

Each function takes already-scoped querysets' owner (the user) and a date range,
and returns plain dicts and lists so every surface shows the same numbers.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from .choices import (
    OPEN_STATUSES,
    WORKABLE_STATUSES,
    ChangeRequestStatus,
    CoatingType,
    Result,
    StepStatus,
    TravelerStatus,
    WorkCentre,
)
from .models import ChangeRequest, CoatingLog, LaborLog, ProcessStep, Traveler

TWO = Decimal("0.01")


def default_range(date_from=None, date_to=None, *, days: int = 30):
    today = timezone.localdate()
    date_to = date_to or today
    date_from = date_from or (date_to - dt.timedelta(days=days - 1))
    return date_from, date_to


def _bounds(date_from: dt.date, date_to: dt.date):
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _dec(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(TWO, rounding=ROUND_HALF_UP)


def _rate(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TWO, rounding=ROUND_HALF_UP)


def dashboard_stats(user, *, today: dt.date | None = None) -> dict:
    """Headline counts for the manufacturing dashboard."""
    today = today or timezone.localdate()
    travelers = Traveler.objects.visible_to(user)
    by_status = dict.fromkeys(TravelerStatus.values, 0)
    for row in travelers.values("status").annotate(n=Count("pk")):
        by_status[row["status"]] = row["n"]
    start, _end = _bounds(today - dt.timedelta(days=29), today)
    steps = ProcessStep.objects.visible_to(user)
    wip = dict(
        steps.filter(
            status=StepStatus.IN_PROGRESS, traveler__status__in=WORKABLE_STATUSES
        )
        .values_list("work_centre")
        .annotate(n=Count("pk"))
    )
    return {
        "by_status": by_status,
        "open": travelers.filter(status__in=OPEN_STATUSES).count(),
        "overdue": travelers.overdue(today=today).count(),
        "due_next_7_days": travelers.open()
        .filter(due_date__gte=today, due_date__lte=today + dt.timedelta(days=7))
        .count(),
        "completed_last_30_days": travelers.filter(
            status=TravelerStatus.COMPLETED, completed_at__gte=start
        ).count(),
        "running_timers": LaborLog.objects.visible_to(user).open().count(),
        "awaiting_signoff": steps.filter(
            status=StepStatus.DONE, requires_signoff=True, signed_off_at__isnull=True
        ).count(),
        "pending_change_requests": ChangeRequest.objects.visible_to(user)
        .filter(status=ChangeRequestStatus.PENDING)
        .count(),
        "wip_by_work_centre": [
            {"work_centre": code, "label": str(label), "in_progress": wip.get(code, 0)}
            for code, label in WorkCentre.choices
        ],
    }


def traveler_completion(user, *, date_from: dt.date, date_to: dt.date) -> dict:
    """Travelers completed per day in the range, on time vs late, and lead time."""
    start, end = _bounds(date_from, date_to)
    done = Traveler.objects.visible_to(user).filter(
        status=TravelerStatus.COMPLETED, completed_at__gte=start, completed_at__lt=end
    )
    rows = {
        row["day"]: row
        for row in done.annotate(day=TruncDate("completed_at"))
        .values("day")
        .annotate(
            completed=Count("pk"),
            late=Count("pk", filter=Q(due_date__lt=F("day"))),
        )
    }
    days = []
    day = date_from
    while day <= date_to:
        row = rows.get(day, {})
        completed = row.get("completed", 0)
        late = row.get("late", 0)
        days.append(
            {
                "date": day,
                "completed": completed,
                "on_time": completed - late,
                "late": late,
            }
        )
        day += dt.timedelta(days=1)
    lead_days = [
        (t.completed_at - t.released_at).total_seconds() / 86400
        for t in done.only("completed_at", "released_at")
        if t.released_at
    ]
    total = sum(d["completed"] for d in days)
    late = sum(d["late"] for d in days)
    return {
        "date_from": date_from,
        "date_to": date_to,
        "completed": total,
        "on_time": total - late,
        "late": late,
        "on_time_rate": _rate(total - late, total),
        "average_lead_days": _dec(sum(lead_days) / len(lead_days))
        if lead_days
        else None,
        "days": days,
    }


def _efficiency_rows(logs, group: str, label: str | None = None) -> list[dict]:
    fields = [group] + ([label] if label else [])
    rows = []
    for row in (
        logs.values(*fields)
        .annotate(
            logs=Count("pk"),
            quantity=Sum("quantity"),
            actual=Sum("minutes"),
            standard=Sum("earned"),
        )
        .order_by(group)
    ):
        actual, standard = _dec(row["actual"]), _dec(row["standard"])
        rows.append(
            {
                "key": row[group],
                "label": str(row[label]) if label else row[group],
                "logs": row["logs"],
                "quantity": row["quantity"] or 0,
                "actual_minutes": actual,
                "standard_minutes": standard,
                "efficiency_pct": _rate(standard, actual),
                "variance_minutes": actual - standard,
            }
        )
    return rows


def labor_efficiency(user, *, date_from: dt.date, date_to: dt.date) -> dict:
    """Earned standard minutes (standard per unit × quantity) against actual minutes,
    by operation, operator and work centre, for logs stopped in the range."""
    start, end = _bounds(date_from, date_to)
    logs = (
        LaborLog.objects.visible_to(user)
        .closed()
        .filter(stopped_at__gte=start, stopped_at__lt=end)
        .annotate(
            earned=ExpressionWrapper(
                F("step__standard_minutes") * F("quantity"),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
            operation=F("step__operation"),
            work_centre=F("step__work_centre"),
            operator_name=F("operator__full_name"),
        )
    )
    by_centre = _efficiency_rows(logs, "work_centre")
    labels = dict(WorkCentre.choices)
    for row in by_centre:
        row["label"] = str(labels.get(row["key"], row["key"]))
    by_operator = _efficiency_rows(logs, "operator", "operator_name")
    totals = logs.aggregate(
        actual=Sum("minutes"), standard=Sum("earned"), n=Count("pk")
    )
    actual, standard = _dec(totals["actual"]), _dec(totals["standard"])
    return {
        "date_from": date_from,
        "date_to": date_to,
        "logs": totals["n"],
        "actual_minutes": actual,
        "standard_minutes": standard,
        "efficiency_pct": _rate(standard, actual),
        "by_operation": _efficiency_rows(logs, "operation"),
        "by_operator": by_operator,
        "by_work_centre": by_centre,
    }


def coating_status(user, *, date_from: dt.date, date_to: dt.date) -> dict:
    """Coating results by coating type and the coating steps still waiting."""
    start, end = _bounds(date_from, date_to)
    logs = CoatingLog.objects.visible_to(user).filter(
        recorded_at__gte=start, recorded_at__lt=end
    )
    counts = {
        row["coating_type"]: row
        for row in logs.values("coating_type").annotate(
            total=Count("pk"),
            passed=Count("pk", filter=Q(result=Result.PASS)),
            failed=Count("pk", filter=Q(result=Result.FAIL)),
        )
    }
    by_type = []
    for code, label in CoatingType.choices:
        row = counts.get(code, {"total": 0, "passed": 0, "failed": 0})
        by_type.append(
            {
                "coating_type": code,
                "label": str(label),
                "total": row["total"],
                "passed": row["passed"],
                "failed": row["failed"],
                "pass_rate": _rate(row["passed"], row["total"]),
            }
        )
    total = sum(r["total"] for r in by_type)
    passed = sum(r["passed"] for r in by_type)
    waiting = (
        ProcessStep.objects.visible_to(user)
        .filter(
            requires_coating=True,
            signed_off_at__isnull=True,
            traveler__status__in=[*WORKABLE_STATUSES, TravelerStatus.ON_HOLD],
        )
        .exclude(status=StepStatus.SKIPPED)
        .select_related("traveler")
        .annotate(
            passing_logs=Count(
                "coating_logs", filter=Q(coating_logs__result=Result.PASS)
            )
        )
        .order_by("traveler__due_date", "traveler__number")
    )
    return {
        "date_from": date_from,
        "date_to": date_to,
        "total": total,
        "passed": passed,
        "failed": total - passed,
        "pass_rate": _rate(passed, total),
        "by_type": by_type,
        "waiting": [
            {
                "traveler": step.traveler.number,
                "traveler_id": step.traveler_id,
                "step_id": step.pk,
                "sequence": step.sequence,
                "operation": step.operation,
                "step_status": step.status,
                "has_passing_coating": step.passing_logs > 0,
                "due_date": step.traveler.due_date,
            }
            for step in waiting
        ],
    }
