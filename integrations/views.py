"""The Integrations settings page, the run page and its live progress partial."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import SyncJobScheduleForm
from .models import SyncJob, SyncRun
from .services import request_run, update_sync_job

RECENT_RUNS = 20


def _jobs_page(request, *, bound_form=None, status=200):
    jobs = list(SyncJob.objects.visible_to(request.user).for_list())
    can_change = request.user.has_perm("integrations.change_syncjob")
    for job in jobs:
        if bound_form is not None and bound_form.instance.pk == job.pk:
            job.form = bound_form
        else:
            job.form = SyncJobScheduleForm(instance=job, prefix=f"job{job.pk}")
    runs = SyncRun.objects.visible_to(request.user).for_list()[:RECENT_RUNS]
    return render(
        request,
        "integrations/jobs.html",
        {
            "jobs": jobs,
            "runs": runs,
            "can_change": can_change,
            "can_run": request.user.has_perm("integrations.run_syncjob"),
        },
        status=status,
    )


@login_required
@permission_required("integrations.view_syncjob", raise_exception=True)
def jobs(request):
    """Each job: on/off, schedule, last run and health, with Run now / Dry run."""
    return _jobs_page(request)


@login_required
@permission_required("integrations.change_syncjob", raise_exception=True)
@require_POST
def job_update(request, pk: int):
    job = get_object_or_404(SyncJob.objects.visible_to(request.user), pk=pk)
    form = SyncJobScheduleForm(request.POST, instance=job, prefix=f"job{job.pk}")
    if not form.is_valid():
        messages.error(request, _("%(job)s was not changed.") % {"job": job})
        return _jobs_page(request, bound_form=form, status=400)
    try:
        update_sync_job(form.instance)
    except ValidationError as exc:
        form.add_error(None, exc)
        return _jobs_page(request, bound_form=form, status=400)
    messages.success(
        request, _("%(job)s saved; the schedule applies now.") % {"job": job}
    )
    return redirect("integrations:jobs")


@login_required
@permission_required("integrations.run_syncjob", raise_exception=True)
@require_POST
def job_run(request, pk: int):
    job = get_object_or_404(SyncJob.objects.visible_to(request.user), pk=pk)
    dry_run = request.POST.get("dry_run") in ("1", "true", "on")
    try:
        run = request_run(job, user=request.user, dry_run=dry_run)
    except ValidationError as exc:
        messages.warning(request, " ".join(exc.messages))
        return redirect("integrations:jobs")
    return redirect(run)


def _run_or_404(request, pk: int) -> SyncRun:
    return get_object_or_404(SyncRun.objects.visible_to(request.user).for_api(), pk=pk)


@login_required
@permission_required("integrations.view_syncrun", raise_exception=True)
def run_detail(request, pk: int):
    return render(
        request, "integrations/run_detail.html", {"run": _run_or_404(request, pk)}
    )


@login_required
@permission_required("integrations.view_syncrun", raise_exception=True)
def run_progress(request, pk: int):
    """The polled partial: it stops asking once the run has finished."""
    return render(
        request, "integrations/_run_progress.html", {"run": _run_or_404(request, pk)}
    )
