"""Fleet pages: dashboard, agent detail (htmx refresh), screenshots, scheduler.

Fleet data is a staff tool: every page needs assets.view_agent, which the Client
role does not have, and the querysets show portal users nothing anyway.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .fleet import cancel_job, delete_job_schedule, queue_jobs, save_job_schedule
from .fleet_forms import JobScheduleForm, QueueJobForm
from .fleet_models import Agent, AgentScreenshot, FleetAlert, FleetJob, JobSchedule

RECENT_JOBS = 50


def _agents(user):
    return (
        Agent.objects.visible_to(user)
        .for_list()
        .annotate(
            has_screenshot=Exists(AgentScreenshot.objects.filter(agent=OuterRef("pk")))
        )
    )


@login_required
@permission_required("assets.view_agent", raise_exception=True)
def fleet_dashboard(request):
    agents = list(_agents(request.user).filter(revoked_at__isnull=True)[:1000])
    online = sum(1 for a in agents if a.online)
    alerts = FleetAlert.objects.visible_to(request.user).for_list().open()[:50]
    return render(
        request,
        "assets/fleet_dashboard.html",
        {
            "agents": agents,
            "online": online,
            "offline": len(agents) - online,
            "alerts": alerts,
        },
    )


def _agent_context(request, pk: int) -> dict:
    agent = get_object_or_404(_agents(request.user), pk=pk)
    jobs = (
        FleetJob.objects.visible_to(request.user)
        .for_list()
        .filter(agent=agent)[:RECENT_JOBS]
    )
    return {
        "agent": agent,
        "jobs": jobs,
        "alerts": agent.alerts.order_by("-created_at")[:10],
        "can_queue": request.user.has_perm("assets.add_fleetjob"),
        "can_cancel": request.user.has_perm("assets.change_fleetjob"),
    }


@login_required
@permission_required("assets.view_agent", raise_exception=True)
def fleet_agent(request, pk: int):
    context = _agent_context(request, pk)
    if request.method == "POST":
        if not context["can_queue"]:
            raise PermissionDenied
        form = QueueJobForm(
            {**request.POST.dict(), "agents": [str(pk)]},
            request.FILES,
            user=request.user,
        )
        if form.is_valid():
            _queue_from_form(request, form)
            return redirect("assets:fleet_agent", pk=pk)
    else:
        form = QueueJobForm(user=request.user, initial={"agents": [pk]})
    context["form"] = form
    return render(request, "assets/fleet_agent.html", context)


@login_required
@permission_required("assets.view_agent", raise_exception=True)
def fleet_agent_status(request, pk: int):
    """The part of the agent page that htmx refreshes every few seconds."""
    return render(
        request, "assets/_fleet_agent_status.html", _agent_context(request, pk)
    )


@login_required
@permission_required("assets.view_agent", raise_exception=True)
def fleet_screenshot(request, pk: int):
    agent = get_object_or_404(Agent.objects.visible_to(request.user), pk=pk)
    shot = get_object_or_404(AgentScreenshot, agent=agent)
    response = HttpResponse(bytes(shot.png), content_type="image/png")
    response["Cache-Control"] = "private, max-age=30"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _queue_from_form(request, form) -> list[FleetJob]:
    data = form.cleaned_data
    upload = data.get("file")
    try:
        jobs = queue_jobs(
            by=request.user,
            agents=list(data.get("agents") or []),
            company=data.get("company"),
            tag=data.get("tag", ""),
            kind="file" if upload else "script",
            shell=data["shell"],
            script=data.get("script") or "",
            file_name=upload.name.rsplit("/", 1)[-1][:200] if upload else "",
            file_content=upload.read() if upload else b"",
            destination=data.get("destination") or "",
            timeout_seconds=data["timeout_seconds"],
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return []
    messages.success(request, _("%(n)d job(s) queued.") % {"n": len(jobs)})
    return jobs


@login_required
@permission_required("assets.view_fleetjob", raise_exception=True)
def fleet_scheduler(request):
    can_queue = request.user.has_perm("assets.add_fleetjob")
    can_schedule = request.user.has_perm("assets.add_jobschedule")
    form = QueueJobForm(user=request.user)
    schedule_form = JobScheduleForm(user=request.user)
    if request.method == "POST":
        if request.POST.get("form") == "schedule":
            if not can_schedule:
                raise PermissionDenied
            schedule_form = JobScheduleForm(request.POST, user=request.user)
            if schedule_form.is_valid():
                schedule = schedule_form.save(commit=False)
                schedule.created_by = request.user
                try:
                    save_job_schedule(schedule)
                except ValidationError as exc:
                    schedule_form.add_error(None, exc)
                else:
                    messages.success(request, _("Schedule saved."))
                    return redirect("assets:fleet_scheduler")
        else:
            if not can_queue:
                raise PermissionDenied
            form = QueueJobForm(request.POST, request.FILES, user=request.user)
            if form.is_valid():
                _queue_from_form(request, form)
                return redirect("assets:fleet_scheduler")
    jobs = FleetJob.objects.visible_to(request.user).for_list()[:RECENT_JOBS]
    schedules = JobSchedule.objects.visible_to(request.user).for_list()
    return render(
        request,
        "assets/fleet_scheduler.html",
        {
            "form": form,
            "schedule_form": schedule_form,
            "jobs": jobs,
            "schedules": schedules,
            "can_queue": can_queue,
            "can_schedule": can_schedule,
            "can_cancel": request.user.has_perm("assets.change_fleetjob"),
        },
    )


@login_required
@require_POST
@permission_required("assets.change_fleetjob", raise_exception=True)
def fleet_job_cancel(request, pk: int):
    job = get_object_or_404(FleetJob.objects.visible_to(request.user), pk=pk)
    try:
        cancel_job(job, by=request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Job %(id)d cancelled.") % {"id": job.pk})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "assets:fleet_scheduler"
    return redirect(target or "assets:fleet_scheduler")


@login_required
@require_POST
@permission_required("assets.delete_jobschedule", raise_exception=True)
def fleet_schedule_delete(request, pk: int):
    schedule = get_object_or_404(JobSchedule.objects.visible_to(request.user), pk=pk)
    delete_job_schedule(schedule)
    messages.success(request, _("Schedule deleted."))
    return redirect("assets:fleet_scheduler")
