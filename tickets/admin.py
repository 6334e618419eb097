"""The helpdesk back office. Writes with rules (status, assignment, billing,
files) go through the same services as the pages and the API."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from companies.models import CreditAccount

from .choices import TRANSITIONS, EventChannel, TicketStatus
from .forms import MailboxAdminForm
from .models import (
    Attachment,
    BusinessCalendar,
    CannedResponse,
    Comment,
    Holiday,
    InboundMessage,
    Mailbox,
    SlaPolicy,
    Tag,
    Ticket,
    TicketEvent,
    TimeEntry,
    WorkingHours,
    minutes_to_hours,
)
from .services import (
    assign_ticket,
    check_can_assign,
    check_sla,
    compute_sla,
    create_ticket,
    delete_attachment,
    delete_comment,
    delete_ticket,
    delete_time,
    edit_time,
    log_time,
    poll_mailbox,
    save_mailbox,
    transition_ticket,
    update_ticket,
)
from .services.inbound import unschedule_mailbox
from .services.tickets import UPDATABLE_FIELDS

ADMIN = EventChannel.ADMIN


class ScopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return self.model.objects.visible_to(request.user).for_list()


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ("created_at", "author", "author_email", "is_internal", "channel", "body")
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fk_name = "ticket"
    fields = ("original_name", "content_type", "size", "is_internal", "created_at")
    readonly_fields = fields


class TimeEntryInline(ReadOnlyInline):
    model = TimeEntry
    fields = (
        "started_at",
        "user",
        "minutes",
        "billable",
        "billed_hours",
        "over_credit",
        "note",
    )
    readonly_fields = fields


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = (
        "created_at",
        "actor",
        "channel",
        "kind",
        "field",
        "old_value",
        "new_value",
    )
    readonly_fields = fields
    show_change_link = False


class TicketAdminForm(forms.ModelForm):
    """Checks the workflow and assignment rules before anything is saved."""

    class Meta:
        model = Ticket
        fields = [
            "title",
            "description",
            "status",
            "priority",
            "type",
            "company",
            "requester",
            "department",
            "assignee",
            "watchers",
            "tags",
            "assets",
            "due_at",
        ]

    def clean(self):
        data = super().clean()
        user = getattr(self, "request_user", None)
        instance = self.instance
        if instance.pk and "status" in self.changed_data:
            status = data.get("status")
            if status not in TRANSITIONS[instance.status]:
                self.add_error(
                    "status",
                    _("A ticket cannot go from “%(old)s” to “%(new)s”.")
                    % {
                        "old": instance.get_status_display(),
                        "new": TicketStatus(status).label,
                    },
                )
        if "assignee" in self.changed_data and user is not None:
            try:
                check_can_assign(instance, assignee=data.get("assignee"), by=user)
            except ValidationError as exc:
                self.add_error("assignee", exc.messages)
        return data


@admin.register(Ticket)
class TicketAdmin(ScopedAdmin):
    form = TicketAdminForm
    list_display = (
        "number",
        "title",
        "company",
        "status",
        "priority",
        "assignee",
        "department",
        "sla_breached",
        "resolution_due_at",
        "created_at",
    )
    list_filter = ("status", "priority", "type", "source", "sla_breached", "department")
    search_fields = ("number", "title", "company__name", "requester__email")
    autocomplete_fields = ("company", "department", "assignee", "watchers", "tags")
    raw_id_fields = ("requester", "assets")
    list_select_related = ("company", "assignee", "department")
    readonly_fields = (
        "number",
        "source",
        "created_by",
        "sla_policy",
        "first_response_due_at",
        "resolution_due_at",
        "sla_breached",
        "first_responded_at",
        "resolved_at",
        "closed_at",
        "merged_into",
        "split_from",
        "created_at",
        "updated_at",
    )
    inlines = (CommentInline, AttachmentInline, TimeEntryInline, TicketEventInline)
    actions = ("assign_to_me", "close_tickets", "recompute_sla", "run_sla_check")
    date_hierarchy = "created_at"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request_user = request.user
        return form

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            ticket = create_ticket(
                by=request.user,
                channel=ADMIN,
                **{
                    name: data.get(name)
                    for name in (*UPDATABLE_FIELDS, "assignee")
                    if data.get(name) is not None
                },
            )
        else:
            original = Ticket.objects.get(pk=obj.pk)
            # Tags, watchers and assets go through the service too, so their
            # changes are audited; the admin's own m2m save then finds them set.
            changes = {
                name: data[name]
                for name in form.changed_data
                if name
                in (
                    *UPDATABLE_FIELDS,
                    "status",
                    "assignee",
                    "tags",
                    "watchers",
                    "assets",
                )
            }
            ticket = update_ticket(original, by=request.user, channel=ADMIN, **changes)
        # The admin saves many-to-many fields on `obj` next, so it must become the
        # row the service wrote.
        for field in Ticket._meta.concrete_fields:
            setattr(obj, field.attname, getattr(ticket, field.attname))
        obj._state.adding = False
        obj._state.db = ticket._state.db

    def delete_model(self, request, obj):
        delete_ticket(obj, by=request.user, channel=ADMIN)

    def delete_queryset(self, request, queryset):
        for ticket in queryset:
            delete_ticket(ticket, by=request.user, channel=ADMIN)

    def _each(self, request, queryset, work, done_message):
        done = 0
        for ticket in queryset:
            try:
                work(ticket)
                done += 1
            except ValidationError as exc:
                self.message_user(
                    request,
                    f"{ticket.number}: {' '.join(exc.messages)}",
                    messages.ERROR,
                )
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda t: assign_ticket(
                t, assignee=request.user, by=request.user, channel=ADMIN
            ),
            _("%(count)s tickets assigned to you."),
        )

    @admin.action(description=_("Close"), permissions=["change"])
    def close_tickets(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda t: transition_ticket(
                t, status=TicketStatus.CLOSED, by=request.user, channel=ADMIN
            ),
            _("%(count)s tickets closed."),
        )

    @admin.action(description=_("Recompute SLA due times"), permissions=["change"])
    def recompute_sla(self, request, queryset):
        def work(ticket):
            fields = compute_sla(ticket)
            ticket.save(update_fields=[*fields, "updated_at"])

        self._each(request, queryset, work, _("%(count)s tickets recomputed."))

    @admin.action(description=_("Run the SLA breach check now"), permissions=["change"])
    def run_sla_check(self, request, queryset):
        result = check_sla()
        self.message_user(
            request,
            _("%(breached)s tickets newly breached, %(at_risk)s at risk.") % result,
            messages.SUCCESS,
        )


@admin.register(Comment)
class CommentAdmin(ScopedAdmin):
    list_display = (
        "ticket",
        "author",
        "author_email",
        "is_internal",
        "channel",
        "created_at",
    )
    list_filter = ("is_internal", "channel")
    search_fields = ("body", "ticket__number", "author_email")
    list_select_related = ("ticket", "author")
    readonly_fields = (
        "ticket",
        "author",
        "author_email",
        "body",
        "is_internal",
        "channel",
        "created_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        delete_comment(obj, by=request.user, channel=ADMIN)

    def delete_queryset(self, request, queryset):
        for comment in queryset:
            delete_comment(comment, by=request.user, channel=ADMIN)


@admin.register(Attachment)
class AttachmentAdmin(ScopedAdmin):
    list_display = (
        "original_name",
        "ticket",
        "content_type",
        "size",
        "is_internal",
        "created_at",
        "download",
    )
    list_filter = ("content_type", "is_internal")
    search_fields = ("original_name", "ticket__number", "sha256")
    list_select_related = ("ticket", "uploaded_by")
    readonly_fields = (
        "ticket",
        "comment",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "is_internal",
        "uploaded_by",
        "created_at",
    )
    fields = readonly_fields

    @admin.display(description=_("Download"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("download"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        delete_attachment(obj, by=request.user, channel=ADMIN)

    def delete_queryset(self, request, queryset):
        for attachment in queryset:
            delete_attachment(attachment, by=request.user, channel=ADMIN)


@admin.register(TicketEvent)
class TicketEventAdmin(ScopedAdmin):
    list_display = (
        "created_at",
        "ticket",
        "kind",
        "field",
        "old_value",
        "new_value",
        "actor",
        "channel",
    )
    list_filter = ("kind", "channel", "is_internal")
    search_fields = ("ticket__number", "field", "old_value", "new_value")
    list_select_related = ("ticket", "actor")
    readonly_fields = (
        "ticket",
        "kind",
        "field",
        "old_value",
        "new_value",
        "actor",
        "channel",
        "is_internal",
        "created_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TimeEntryAdminForm(forms.ModelForm):
    class Meta:
        model = TimeEntry
        fields = ["ticket", "user", "started_at", "minutes", "billable", "note"]

    def clean(self):
        data = super().clean()
        ticket = data.get("ticket") or self.instance.ticket
        if data.get("billable") and (ticket is None or ticket.company_id is None):
            self.add_error("billable", _("Billable time needs a ticket of a company."))
            return data
        if data.get("billable") and data.get("minutes"):
            # A friendly early answer; the ledger service enforces it under lock.
            needed = minutes_to_hours(data["minutes"]) - (
                self.instance.billed_hours if self.instance.pk else 0
            )
            account = CreditAccount.objects.filter(company_id=ticket.company_id).first()
            balance = account.balance if account else 0
            if (
                needed > 0
                and balance - needed < 0
                and not (account and account.allow_overdraft)
            ):
                self.add_error(
                    "minutes",
                    _("Not enough credit: the balance is %(balance)s.")
                    % {"balance": balance},
                )
        if self.instance.pk and data.get("ticket") != self.instance.ticket:
            self.add_error("ticket", _("Move time by merging tickets, not here."))
        return data


@admin.register(TimeEntry)
class TimeEntryAdmin(ScopedAdmin):
    form = TimeEntryAdminForm
    list_display = (
        "started_at",
        "user",
        "ticket",
        "company",
        "minutes",
        "billable",
        "billed_hours",
        "over_credit",
    )
    list_filter = ("billable", "over_credit", "started_at")
    search_fields = ("ticket__number", "note", "user__username", "company__name")
    autocomplete_fields = ("user",)
    raw_id_fields = ("ticket",)
    list_select_related = ("ticket", "user", "company")
    readonly_fields = (
        "company",
        "billed_hours",
        "billed_company",
        "over_credit",
        "created_at",
        "updated_at",
    )
    date_hierarchy = "started_at"

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in ("minutes", "billable", "note", "started_at")
        }
        if change:
            entry = edit_time(
                TimeEntry.objects.get(pk=obj.pk), by=request.user, channel=ADMIN, **data
            )
        else:
            entry = log_time(
                by=request.user,
                channel=ADMIN,
                ticket=form.cleaned_data["ticket"],
                user=form.cleaned_data["user"],
                **data,
            )
        for field in TimeEntry._meta.concrete_fields:
            setattr(obj, field.attname, getattr(entry, field.attname))
        obj._state.adding = False

    def delete_model(self, request, obj):
        delete_time(obj, by=request.user, channel=ADMIN)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            delete_time(entry, by=request.user, channel=ADMIN)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            total = changelist.queryset.aggregate(total=Sum("minutes"))["total"] or 0
            response.context_data["title"] = _("Time entries (%(hours)s h shown)") % {
                "hours": minutes_to_hours(total)
            }
        return response


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ScopedAdmin):
    list_display = ("name", "time_zone", "updated_at")
    search_fields = ("name",)
    inlines = (WorkingHoursInline, HolidayInline)
    readonly_fields = ("created_at", "updated_at")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ScopedAdmin):
    list_display = (
        "name",
        "priority",
        "plan",
        "calendar",
        "first_response_minutes",
        "resolution_minutes",
        "at_risk_percent",
        "active",
    )
    list_filter = ("priority", "active", "plan")
    search_fields = ("name",)
    autocomplete_fields = ("plan", "calendar")
    list_select_related = ("plan", "calendar")
    readonly_fields = ("created_at", "updated_at")


@admin.register(CannedResponse)
class CannedResponseAdmin(ScopedAdmin):
    list_display = ("title", "department", "updated_at")
    list_filter = ("department",)
    search_fields = ("title", "body")
    autocomplete_fields = ("department",)
    list_select_related = ("department",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(Tag)
class TagAdmin(ScopedAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Mailbox)
class MailboxAdmin(ScopedAdmin):
    form = MailboxAdminForm
    list_display = (
        "name",
        "host",
        "port",
        "username",
        "folder",
        "poll_interval_minutes",
        "active",
        "last_polled_at",
    )
    list_filter = ("active", "use_tls")
    search_fields = ("name", "host", "username")
    autocomplete_fields = ("default_department", "default_company")
    list_select_related = ("default_department", "default_company")
    readonly_fields = ("last_polled_at", "last_error", "created_at", "updated_at")
    actions = ("poll_now",)

    def save_model(self, request, obj, form, change):
        save_mailbox(obj)

    def delete_model(self, request, obj):
        unschedule_mailbox(obj)
        obj.delete()

    def delete_queryset(self, request, queryset):
        for mailbox in queryset:
            self.delete_model(request, mailbox)

    @admin.action(description=_("Poll now"), permissions=["change"])
    def poll_now(self, request, queryset):
        for mailbox in queryset:
            result = poll_mailbox(mailbox)
            level = messages.ERROR if result.errors else messages.SUCCESS
            self.message_user(
                request,
                ngettext(
                    "%(name)s: %(count)s message fetched, %(created)s tickets, %(appended)s replies.",
                    "%(name)s: %(count)s messages fetched, %(created)s tickets, %(appended)s replies.",
                    result.fetched,
                )
                % {
                    "name": mailbox.name,
                    "count": result.fetched,
                    "created": result.created,
                    "appended": result.appended,
                }
                + (" " + "; ".join(result.errors) if result.errors else ""),
                level,
            )


@admin.register(InboundMessage)
class InboundMessageAdmin(ScopedAdmin):
    list_display = (
        "received_at",
        "mailbox",
        "from_address",
        "subject",
        "outcome",
        "ticket",
    )
    list_filter = ("outcome", "mailbox")
    search_fields = ("message_id", "from_address", "subject", "ticket__number")
    list_select_related = ("mailbox", "ticket")
    readonly_fields = (
        "mailbox",
        "message_id",
        "from_address",
        "subject",
        "outcome",
        "detail",
        "ticket",
        "received_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
