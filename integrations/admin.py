from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .clients import UpstreamError
from .forms import ConnectionAdminForm, SyncJobScheduleForm
from .models import Connection, SyncJob, SyncRun
from .services import build_client, request_run, update_sync_job


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionAdminForm
    list_display = ("kind", "effective_base_url", "masked_key", "configured", "enabled")
    list_filter = ("kind", "enabled")
    search_fields = ("kind", "base_url")
    readonly_fields = ("created_at", "updated_at")
    actions = ("check_connection",)

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).for_list()

    @admin.display(description=_("base URL in use"))
    def effective_base_url(self, obj):
        return obj.effective_base_url or "—"

    @admin.display(description=_("API key"))
    def masked_key(self, obj):
        return obj.masked_key or "—"

    @admin.display(boolean=True, description=_("configured"))
    def configured(self, obj):
        return obj.is_configured

    @admin.action(description=_("Check the selected connections"))
    def check_connection(self, request, queryset):
        for connection in queryset:
            try:
                with build_client(connection, max_retries=1) as client:
                    who = client.check()
            except UpstreamError as exc:
                self.message_user(
                    request,
                    _("%(c)s: %(e)s") % {"c": connection, "e": exc},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    _("%(c)s answers (%(who)s).")
                    % {"c": connection, "who": who or "ok"},
                    messages.SUCCESS,
                )


@admin.register(SyncJob)
class SyncJobAdmin(admin.ModelAdmin):
    form = SyncJobScheduleForm
    list_display = (
        "__str__",
        "enabled",
        "schedule_display",
        "last_run_status",
        "health",
    )
    list_filter = ("enabled",)
    search_fields = ("kind",)
    readonly_fields = ("kind", "periodic_task", "created_at", "updated_at")
    fields = ("kind", "enabled", "interval_minutes", "crontab", "periodic_task")
    actions = ("run_now", "dry_run", "enable", "disable")

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).for_list()

    def has_add_permission(self, request):
        return False  # the four jobs are seeded; there is nothing else to run

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("schedule"))
    def schedule_display(self, obj):
        return obj.schedule_display

    @admin.display(description=_("last run"))
    def last_run_status(self, obj):
        run = obj.last_run
        return (
            f"{run.get_status_display()} · {run.created_at:%Y-%m-%d %H:%M}"
            if run
            else "—"
        )

    @admin.display(description=_("health"))
    def health(self, obj):
        from .choices import JobHealth

        return JobHealth(obj.health()).label

    def save_model(self, request, obj, form, change):
        update_sync_job(obj)  # saves and updates the beat schedule

    def _run(self, request, queryset, *, dry_run: bool):
        if not request.user.has_perm("integrations.run_syncjob"):
            self.message_user(request, _("You may not run sync jobs."), messages.ERROR)
            return
        for job in queryset:
            try:
                run = request_run(job, user=request.user, dry_run=dry_run)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.WARNING)
            else:
                self.message_user(
                    request,
                    _("%(job)s queued as run #%(id)s.") % {"job": job, "id": run.pk},
                    messages.SUCCESS,
                )

    @admin.action(description=_("Run now"))
    def run_now(self, request, queryset):
        self._run(request, queryset, dry_run=False)

    @admin.action(description=_("Dry run (report only)"))
    def dry_run(self, request, queryset):
        self._run(request, queryset, dry_run=True)

    def _switch(self, request, queryset, enabled: bool):
        for job in queryset:
            update_sync_job(job, enabled=enabled)
        self.message_user(
            request,
            ngettext("%(n)d job updated.", "%(n)d jobs updated.", len(queryset))
            % {"n": len(queryset)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Enable"), permissions=["change"])
    def enable(self, request, queryset):
        self._switch(request, queryset, True)

    @admin.action(description=_("Disable"), permissions=["change"])
    def disable(self, request, queryset):
        self._switch(request, queryset, False)


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = (
        "id", "job", "status", "trigger", "dry_run", "created_at", "finished_at",
        "progress_done", "progress_total", "created_count", "updated_count",
        "retired_count", "failed_count",
    )  # fmt: skip
    list_filter = ("job", "status", "trigger", "dry_run", "created_at")
    search_fields = ("job__kind", "log")
    list_select_related = ("job", "triggered_by")
    autocomplete_fields = ("job",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in SyncRun._meta.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).for_list()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
