"""Pages: the staff queue and the client portal share one list and one detail
page; what each sees comes from `visible_to` (ARCHITECTURE rule 1)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .api.filters import TicketFilterSet
from .api.views import attachment_response
from .choices import OPEN_STATUSES, TRANSITIONS, EventChannel, TicketStatus
from .forms import (
    AssignForm,
    BulkForm,
    ReplyForm,
    TicketFieldsForm,
    TicketForm,
    TimeEntryForm,
    TransitionForm,
)
from .models import Attachment, CannedResponse, Comment, Ticket, TicketEvent, TimeEntry
from .services import (
    assign_ticket,
    create_ticket,
    log_time,
    reply_to_ticket,
    transition_ticket,
    update_ticket,
)

PAGE = EventChannel.PAGE

SAVED_VIEWS = {
    "open": gettext_lazy("Open"),
    "mine": gettext_lazy("Mine"),
    "unassigned": gettext_lazy("Unassigned"),
    "department": gettext_lazy("My department"),
    "breached": gettext_lazy("SLA breached"),
    "all": gettext_lazy("All"),
}


def _saved_view(queryset, name: str, user):
    now = timezone.now()
    if name == "mine":
        return queryset.filter(assignee=user, status__in=OPEN_STATUSES)
    if name == "unassigned":
        return queryset.filter(assignee__isnull=True, status__in=OPEN_STATUSES)
    if name == "department":
        return queryset.filter(
            department_id=user.department_id, status__in=OPEN_STATUSES
        )
    if name == "breached":
        return queryset.filter(
            Q(sla_breached=True, status__in=OPEN_STATUSES)
            | Q(pk__in=Ticket.objects.breached_now(now=now).values("pk"))
        )
    if name == "open":
        return queryset.filter(status__in=OPEN_STATUSES)
    return queryset


def _ticket_for(request, number: str) -> Ticket:
    return get_object_or_404(
        Ticket.objects.visible_to(request.user).for_api(), number=number
    )


def _send_errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
def ticket_list(request):
    """The queue (staff, with saved filters and bulk actions) or the portal list."""
    user = request.user
    view_name = request.GET.get("view") or "open"
    if view_name not in SAVED_VIEWS:
        view_name = "open"
    tickets = Ticket.objects.visible_to(user).for_list()
    if not user.is_portal:
        tickets = _saved_view(tickets, view_name, user)
    filterset = TicketFilterSet(request.GET or None, queryset=tickets, request=request)
    if filterset.is_bound and filterset.is_valid():
        tickets = filterset.qs
    page = Paginator(tickets.order_by("-created_at", "-id"), 25).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "filterset": filterset,
        "saved_views": SAVED_VIEWS,
        "view_name": view_name,
        "bulk_form": None if user.is_portal else BulkForm(user=user),
        "can_add": user.has_perm("tickets.add_ticket"),
    }
    return render(request, "tickets/ticket_list.html", context)


@login_required
@permission_required("tickets.add_ticket", raise_exception=True)
def ticket_create(request):
    form = TicketForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        uploads = data.pop("files", [])
        try:
            ticket = create_ticket(
                by=request.user, channel=PAGE, uploads=uploads, **data
            )
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            messages.success(request, _("Ticket %s opened.") % ticket.number)
            return redirect(ticket)
    return render(request, "tickets/ticket_form.html", {"form": form})


def _add_form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _timeline(ticket: Ticket, user) -> list[dict]:
    comments = (
        Comment.objects.visible_to(user)
        .filter(ticket=ticket)
        .select_related("author")
        .prefetch_related("attachments")
    )
    events = (
        TicketEvent.objects.visible_to(user)
        .filter(ticket=ticket)
        .exclude(kind="commented")
        .select_related("actor")
    )
    items = [{"kind": "comment", "at": c.created_at, "comment": c} for c in comments]
    items += [{"kind": "event", "at": e.created_at, "event": e} for e in events]
    return sorted(items, key=lambda item: item["at"])


def _detail_context(request, ticket: Ticket, **extra) -> dict:
    user = request.user
    staff = not user.is_portal
    context = {
        "ticket": ticket,
        "timeline": _timeline(ticket, user),
        "attachments": Attachment.objects.visible_to(user).filter(ticket=ticket),
        "reply_form": ReplyForm(user=user),
        "can_reply": user.has_perm("tickets.add_comment"),
        "staff": staff,
    }
    if staff:
        context.update(
            time_form=TimeEntryForm(),
            time_entries=TimeEntry.objects.visible_to(user)
            .filter(ticket=ticket)
            .for_list(),
            transitions=[
                TicketStatus(s)
                for s in TicketStatus.values
                if s in TRANSITIONS[ticket.status]
            ],
            assign_form=AssignForm(initial={"assignee": ticket.assignee_id}),
            fields_form=TicketFieldsForm(
                initial={
                    "priority": ticket.priority,
                    "type": ticket.type,
                    "department": ticket.department_id,
                }
            ),
            canned=CannedResponse.objects.visible_to(user).filter(
                Q(department__isnull=True) | Q(department_id=user.department_id)
            ),
            can_change=user.has_perm("tickets.change_ticket"),
            can_log_time=user.has_perm("tickets.add_timeentry"),
        )
    context.update(extra)
    return context


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
def ticket_detail(request, number: str):
    ticket = _ticket_for(request, number)
    return render(
        request, "tickets/ticket_detail.html", _detail_context(request, ticket)
    )


@login_required
@require_POST
@permission_required("tickets.add_comment", raise_exception=True)
def ticket_reply(request, number: str):
    """Post a reply; htmx gets the refreshed timeline back."""
    ticket = _ticket_for(request, number)
    form = ReplyForm(request.POST, request.FILES, user=request.user)
    if form.is_valid():
        try:
            reply_to_ticket(
                ticket,
                by=request.user,
                body=form.cleaned_data["body"],
                is_internal=form.cleaned_data.get("is_internal", False),
                uploads=form.cleaned_data["files"],
                channel=PAGE,
            )
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            form = ReplyForm(user=request.user)
    ticket = _ticket_for(request, number)
    context = _detail_context(request, ticket, reply_form=form)
    if request.htmx:
        return render(request, "tickets/partials/conversation.html", context)
    if form.errors:
        return render(request, "tickets/ticket_detail.html", context, status=400)
    return redirect(ticket)


@login_required
@require_POST
@permission_required("tickets.add_timeentry", raise_exception=True)
def ticket_log_time(request, number: str):
    ticket = _ticket_for(request, number)
    if request.user.is_portal:
        raise PermissionDenied
    form = TimeEntryForm(request.POST)
    if form.is_valid():
        try:
            log_time(ticket=ticket, by=request.user, channel=PAGE, **form.cleaned_data)
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            form = TimeEntryForm()
    context = _detail_context(request, ticket, time_form=form)
    if request.htmx:
        return render(request, "tickets/partials/time_entries.html", context)
    if form.errors:
        return render(request, "tickets/ticket_detail.html", context, status=400)
    return redirect(ticket)


@login_required
@require_POST
@permission_required("tickets.change_ticket", raise_exception=True)
def ticket_transition(request, number: str):
    ticket = _ticket_for(request, number)
    form = TransitionForm(request.POST)
    if form.is_valid():
        try:
            transition_ticket(
                ticket,
                status=form.cleaned_data["status"],
                by=request.user,
                channel=PAGE,
            )
            messages.success(request, _("Status changed."))
        except ValidationError as exc:
            _send_errors(request, exc)
    else:
        messages.error(request, _("Choose a valid status."))
    return redirect(ticket)


@login_required
@require_POST
@permission_required("tickets.change_ticket", raise_exception=True)
def ticket_update(request, number: str):
    """Change priority, type or department (SLA due times follow the priority)."""
    ticket = _ticket_for(request, number)
    form = TicketFieldsForm(request.POST)
    if form.is_valid():
        try:
            update_ticket(ticket, by=request.user, channel=PAGE, **form.cleaned_data)
            messages.success(request, _("Ticket updated."))
        except ValidationError as exc:
            _send_errors(request, exc)
    else:
        messages.error(request, _("Check the values."))
    return redirect(ticket)


@login_required
@require_POST
@permission_required("tickets.change_ticket", raise_exception=True)
def ticket_assign(request, number: str):
    ticket = _ticket_for(request, number)
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            assign_ticket(
                ticket,
                assignee=form.cleaned_data["assignee"],
                by=request.user,
                channel=PAGE,
            )
            messages.success(request, _("Assignment changed."))
        except ValidationError as exc:
            _send_errors(request, exc)
    else:
        messages.error(request, _("Choose a valid assignee."))
    return redirect(ticket)


@login_required
@require_POST
@permission_required("tickets.change_ticket", raise_exception=True)
def ticket_bulk(request):
    """Assign or close several tickets; each one follows the same rules as alone."""
    if request.user.is_portal:
        raise PermissionDenied
    form = BulkForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("tickets:ticket_list")
    done = 0
    for ticket in form.cleaned_data["tickets"]:
        try:
            if form.cleaned_data["action"] == "assign":
                assign_ticket(
                    ticket,
                    assignee=form.cleaned_data["assignee"],
                    by=request.user,
                    channel=PAGE,
                )
            else:
                transition_ticket(
                    ticket, status=TicketStatus.CLOSED, by=request.user, channel=PAGE
                )
            done += 1
        except ValidationError as exc:
            messages.error(request, f"{ticket.number}: {' '.join(exc.messages)}")
    if done:
        messages.success(request, _("%d tickets updated.") % done)
    return redirect(request.POST.get("next") or "tickets:ticket_list")


@login_required
def attachment_download(request, uuid):
    """Files only through this permission-checked view, always as downloads."""
    if not request.user.has_perm("tickets.view_attachment"):
        raise Http404
    attachment = get_object_or_404(
        Attachment.objects.visible_to(request.user), uuid=uuid
    )
    return attachment_response(attachment)
