"""Manufacturing pages: traveler list/detail/print/PDF, the shop-floor station, reports."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nexus.exports import safe_csv_writer

from . import barcodes, charts, reports, services
from .api.filters import TravelerFilterSet
from .forms import (
    CoatingLogForm,
    CompleteStepForm,
    InspectionForm,
    ReasonForm,
    ReportRangeForm,
    ScanForm,
    StopLabourForm,
)
from .models import ChangeRequest, LaborLog, ProcessStep, Traveler


def _perm(codename: str):
    def decorator(view):
        return login_required(
            permission_required(f"manufacturing.{codename}", raise_exception=True)(view)
        )

    return decorator


def _errors(exc: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(exc, PermissionDenied):
        return [str(exc) or _("Your role does not allow this action.")]
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


# --- travelers ---------------------------------------------------------------------


@_perm("view_traveler")
def traveler_list(request):
    travelers = Traveler.objects.visible_to(request.user).for_list()
    filterset = TravelerFilterSet(request.GET or None, queryset=travelers)
    queryset = (
        filterset.qs if filterset.is_bound and filterset.is_valid() else travelers
    )
    search = request.GET.get("q", "").strip()
    if search:
        queryset = queryset.filter(number__icontains=search) | queryset.filter(
            part_number__icontains=search
        )
    page = Paginator(queryset.order_by("-created_at", "-pk"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "manufacturing/traveler_list.html",
        {"page": page, "filterset": filterset, "search": search},
    )


def _traveler(request, pk):
    return get_object_or_404(
        Traveler.objects.visible_to(request.user).with_details().with_progress(), pk=pk
    )


@_perm("view_traveler")
def traveler_detail(request, pk):
    traveler = _traveler(request, pk)
    return render(
        request,
        "manufacturing/traveler_detail.html",
        {
            "traveler": traveler,
            "current_step": services.current_step(traveler),
            "barcode_svg": barcodes.code128_svg(traveler.number),
            "reason_form": ReasonForm(),
        },
    )


TRAVELER_ACTIONS = {
    "release": lambda t, user, reason: services.release_traveler(t, by=user),
    "hold": lambda t, user, reason: services.hold_traveler(t, by=user, reason=reason),
    "resume": lambda t, user, reason: services.resume_traveler(
        t, by=user, reason=reason
    ),
    "cancel": lambda t, user, reason: services.cancel_traveler(
        t, by=user, reason=reason
    ),
}


@_perm("view_traveler")
@require_POST
def traveler_action(request, pk, name):
    if name not in TRAVELER_ACTIONS:
        raise Http404
    traveler = get_object_or_404(Traveler.objects.visible_to(request.user), pk=pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        TRAVELER_ACTIONS[name](traveler, request.user, reason)
    except (ValidationError, PermissionDenied) as exc:
        for message in _errors(exc):
            messages.error(request, message)
        if isinstance(exc, PermissionDenied):
            raise
    else:
        messages.success(
            request, _("Traveler %(number)s updated.") % {"number": traveler.number}
        )
    return redirect(traveler.get_absolute_url())


@_perm("view_changerequest")
@require_POST
def change_request_action(request, pk, name):
    """An engineer approves (and so applies) or rejects a change request."""
    cr = get_object_or_404(ChangeRequest.objects.visible_to(request.user), pk=pk)
    note = request.POST.get("note", "").strip()
    try:
        if name == "approve":
            services.approve_change(cr, by=request.user, note=note)
        elif name == "reject":
            services.reject_change(cr, by=request.user, note=note)
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as exc:
        for message in _errors(exc):
            messages.error(request, message)
        if isinstance(exc, PermissionDenied):
            raise
    else:
        messages.success(request, _("Change request %(cr)s decided.") % {"cr": cr})
    return redirect(cr.traveler.get_absolute_url())


def _print_context(request, traveler):
    return {
        "traveler": traveler,
        "barcode_svg": barcodes.code128_svg(traveler.number),
        "qr_svg": barcodes.qr_svg(
            request.build_absolute_uri(traveler.get_absolute_url())
        ),
    }


@_perm("view_processstep")
def traveler_print(request, pk):
    traveler = _traveler(request, pk)
    return render(
        request, "manufacturing/traveler_print.html", _print_context(request, traveler)
    )


@_perm("view_processstep")
def traveler_pdf(request, pk):
    from weasyprint import HTML

    traveler = _traveler(request, pk)
    html = render_to_string(
        "manufacturing/traveler_print.html",
        {**_print_context(request, traveler), "for_pdf": True},
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{traveler.number}.pdf"'
    return response


# --- shop-floor station --------------------------------------------------------------


def _panel(request, traveler, *, step=None, errors=None, notice=None, forms=None):
    """Render the station panel for a traveler: its current step and actions."""
    my_log = (
        LaborLog.objects.open()
        .filter(operator=request.user)
        .select_related("traveler", "step")
        .first()
    )
    if traveler is not None:
        if step is None and my_log is not None and my_log.traveler_id == traveler.pk:
            step = my_log.step
        step = step or services.current_step(traveler)
    timing_here = bool(my_log and step and my_log.step_id == step.pk)
    forms = forms or {}
    context = {
        "traveler": traveler,
        "step": step,
        "my_log": my_log,
        "timing_here": timing_here,
        "errors": errors or [],
        "notice": notice,
        "can_work": bool(step) and services.can_work_step(request.user, step),
        "can_signoff": request.user.has_perm("manufacturing.signoff_processstep"),
        "can_coat": request.user.has_perm("manufacturing.add_coatinglog"),
        "can_inspect": request.user.has_perm("manufacturing.add_inspection"),
        "stop_form": forms.get("stop") or StopLabourForm(),
        "complete_form": forms.get("complete")
        or CompleteStepForm(
            initial={"quantity_passed": traveler.quantity if traveler else 0}
        ),
        "coating_form": forms.get("coating") or CoatingLogForm(),
        "inspection_form": forms.get("inspection") or InspectionForm(),
    }
    return render(request, "manufacturing/_station_panel.html", context)


@_perm("view_processstep")
def station(request):
    traveler = None
    code = request.GET.get("code", "")
    if code:
        traveler = _scan(request, code)
    my_log = (
        LaborLog.objects.open()
        .filter(operator=request.user)
        .select_related("traveler", "step")
        .first()
    )
    return render(
        request,
        "manufacturing/station.html",
        {"scan_form": ScanForm(), "traveler": traveler, "code": code, "my_log": my_log},
    )


def _scan(request, code):
    number = barcodes.parse_scan(code)
    return (
        Traveler.objects.visible_to(request.user)
        .with_details()
        .filter(number=number)
        .first()
    )


@_perm("view_processstep")
def station_scan(request):
    code = request.GET.get("code", "")
    traveler = _scan(request, code)
    if traveler is None:
        return _panel(
            request,
            None,
            errors=[
                _("No traveler %(code)s.") % {"code": barcodes.parse_scan(code) or "?"}
            ],
        )
    return _panel(request, traveler)


# The shop-floor actions: name → (form for the posted fields or None, service,
# the notice from the step and what the service returned). A form's errors come
# back under the action's name.
STEP_ACTIONS = {
    "start": (
        None,
        services.start_labour,
        lambda step, log: _("Timer started on step %(seq)s.") % {"seq": step.sequence},
    ),
    "stop": (
        StopLabourForm,
        services.stop_labour,
        lambda step, log: (
            _("Timer stopped: %(minutes)s min.") % {"minutes": log.minutes}
        ),
    ),
    "complete": (
        CompleteStepForm,
        services.complete_step,
        lambda step, done: _("Step %(seq)s done.") % {"seq": step.sequence},
    ),
    "sign-off": (
        None,
        services.sign_off_step,
        lambda step, done: _("Step %(seq)s signed off.") % {"seq": step.sequence},
    ),
    "coating": (
        CoatingLogForm,
        services.record_coating,
        lambda step, log: _("Coating data recorded."),
    ),
    "inspection": (
        InspectionForm,
        services.record_inspection,
        lambda step, inspection: _("Inspection recorded."),
    ),
}


def _run_step_action(request, step, name):
    if name not in STEP_ACTIONS:
        raise Http404
    form_class, service, notice = STEP_ACTIONS[name]
    fields = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            return None, {name: form}
        fields = form.cleaned_data
    return notice(step, service(step, by=request.user, **fields)), {}


@_perm("view_processstep")
@require_POST
def station_action(request, step_pk, name):
    step = get_object_or_404(ProcessStep.objects.visible_to(request.user), pk=step_pk)
    errors, notice, forms = [], None, {}
    try:
        notice, forms = _run_step_action(request, step, name)
    except (ValidationError, PermissionDenied) as exc:
        errors = _errors(exc)
    if forms:
        errors = errors or [_("Check the highlighted fields.")]
    traveler = Traveler.objects.with_details().get(pk=step.traveler_id)
    if not request.htmx:
        for message in errors:
            messages.error(request, message)
        if notice:
            messages.success(request, notice)
        return redirect(reverse("manufacturing:station") + f"?code={traveler.number}")
    # Stay on the same step after a failed action; move on after a successful one.
    return _panel(
        request,
        traveler,
        step=step if (errors or name in ("coating", "inspection")) else None,
        errors=errors,
        notice=notice,
        forms=forms,
    )


# --- reports ----------------------------------------------------------------------


def _range(request):
    form = ReportRangeForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if form.is_bound and valid else {}
    date_from, date_to = reports.default_range(
        data.get("date_from"), data.get("date_to")
    )
    return form, date_from, date_to


@_perm("view_reports")
def report_page(request):
    form, date_from, date_to = _range(request)
    user = request.user
    completion = reports.traveler_completion(user, date_from=date_from, date_to=date_to)
    efficiency = reports.labor_efficiency(user, date_from=date_from, date_to=date_to)
    coating = reports.coating_status(user, date_from=date_from, date_to=date_to)
    context = {
        "form": form,
        "date_from": date_from,
        "date_to": date_to,
        "stats": reports.dashboard_stats(user),
        "completion": completion,
        "efficiency": efficiency,
        "coating": coating,
        "completion_chart": charts.column_chart(
            [(d["date"].strftime("%m-%d"), d["completed"]) for d in completion["days"]],
            title=_("Travelers completed per day"),
        ),
        "efficiency_chart": charts.bar_chart(
            [(r["label"], r["efficiency_pct"]) for r in efficiency["by_operation"]],
            title=_("Labour efficiency by operation"),
            suffix="%",
            reference=100,
            maximum=max(
                [150.0]
                + [float(r["efficiency_pct"] or 0) for r in efficiency["by_operation"]]
            ),
        ),
        "coating_chart": charts.bar_chart(
            [(r["label"], r["pass_rate"]) for r in coating["by_type"] if r["total"]],
            title=_("Coating pass rate by type"),
            suffix="%",
            maximum=100,
        ),
        "query": request.GET.urlencode(),
    }
    return render(request, "manufacturing/reports.html", context)


@_perm("view_reports")
def report_csv(request, kind):
    _form, date_from, date_to = _range(request)
    user = request.user
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{kind}-{date_from}-{date_to}.csv"'
    )
    writer = safe_csv_writer(response)  # formula-safe cells
    if kind == "labor-efficiency":
        data = reports.labor_efficiency(user, date_from=date_from, date_to=date_to)
        writer.writerow(
            [
                _("group"),
                _("name"),
                _("logs"),
                _("quantity"),
                _("actual minutes"),
                _("standard minutes"),
                _("efficiency %"),
                _("variance minutes"),
            ]
        )
        for group in ("by_operation", "by_operator", "by_work_centre"):
            for row in data[group]:
                writer.writerow(
                    [
                        group[3:],
                        row["label"],
                        row["logs"],
                        row["quantity"],
                        row["actual_minutes"],
                        row["standard_minutes"],
                        row["efficiency_pct"]
                        if row["efficiency_pct"] is not None
                        else "",
                        row["variance_minutes"],
                    ]
                )
    elif kind == "traveler-completion":
        data = reports.traveler_completion(user, date_from=date_from, date_to=date_to)
        writer.writerow([_("date"), _("completed"), _("on time"), _("late")])
        for day in data["days"]:
            writer.writerow(
                [day["date"], day["completed"], day["on_time"], day["late"]]
            )
    elif kind == "coating-status":
        data = reports.coating_status(user, date_from=date_from, date_to=date_to)
        writer.writerow(
            [_("coating type"), _("total"), _("passed"), _("failed"), _("pass rate %")]
        )
        for row in data["by_type"]:
            writer.writerow(
                [
                    row["label"],
                    row["total"],
                    row["passed"],
                    row["failed"],
                    row["pass_rate"] if row["pass_rate"] is not None else "",
                ]
            )
    else:
        raise Http404
    return response
