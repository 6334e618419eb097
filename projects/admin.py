from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tickets.choices import EventChannel
from tickets.rendering import render_markdown

from .models import Message, Project, Task, TaskTimeEntry, Thread, ThreadFile
from .services import (
    check_project_members,
    check_task_dependencies,
    check_thread_members,
    delete_task_time,
    delete_thread_file,
)


class ScopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).for_list()


class TaskInline(admin.TabularInline):
    model = Task
    fields = ("title", "status", "priority", "assignee", "due_date")
    autocomplete_fields = ("assignee",)
    extra = 0
    show_change_link = True


class ProjectAdminForm(forms.ModelForm):
    def clean_members(self):
        members = self.cleaned_data.get("members")
        if members:
            check_project_members(members)
        return members


@admin.register(Project)
class ProjectAdmin(ScopedAdmin):
    form = ProjectAdminForm
    list_display = (
        "code",
        "name",
        "client",
        "manager",
        "status",
        "deadline",
        "progress_display",
        "spent_hours",
    )
    list_filter = ("status", "deadline", "manager")
    search_fields = ("code", "name", "description", "client__name")
    autocomplete_fields = ("client", "manager", "members")
    list_select_related = ("client", "manager")
    readonly_fields = ("code", "created_at", "updated_at")
    date_hierarchy = "deadline"
    inlines = [TaskInline]

    @admin.display(description=_("progress"))
    def progress_display(self, obj: Project) -> str:
        return f"{obj.progress}% ({obj.task_done}/{obj.task_total})"


class TaskAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        dependencies = cleaned.get("dependencies")
        project = cleaned.get("project")
        if dependencies is not None and project is not None:
            self.instance.project = project
            try:
                check_task_dependencies(self.instance, list(dependencies))
            except ValidationError as exc:
                self.add_error("dependencies", exc.message_dict["dependencies"])
        return cleaned


@admin.register(Task)
class TaskAdmin(ScopedAdmin):
    form = TaskAdminForm
    list_display = (
        "title",
        "project",
        "status",
        "priority",
        "assignee",
        "due_date",
        "completed_at",
    )
    list_filter = ("status", "priority", "due_date")
    search_fields = ("title", "description", "project__code", "project__name")
    autocomplete_fields = ("project", "assignee", "dependencies")
    list_select_related = ("project__client", "assignee")
    readonly_fields = ("completed_at", "created_at", "updated_at")


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("author", "body", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("author",)
    extra = 1


class ThreadAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        members = cleaned.get("members")
        if members:
            self.instance.project = cleaned.get("project")
            self.instance.company = cleaned.get("company")
            try:
                check_thread_members(self.instance, list(members))
            except ValidationError as exc:
                self.add_error("members", exc.message_dict["members"])
        return cleaned


@admin.register(Thread)
class ThreadAdmin(ScopedAdmin):
    form = ThreadAdminForm
    list_display = ("title", "project", "company", "message_count", "updated_at")
    list_filter = ("updated_at",)
    search_fields = ("title", "project__name", "project__code", "company__name")
    autocomplete_fields = ("project", "company", "members", "created_by")
    list_select_related = ("project", "company")
    readonly_fields = ("created_at", "updated_at")
    inlines = [MessageInline]

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # Messages typed here get the same sanitised HTML as those posted in a page.
        messages = formset.save(commit=False)
        for message in messages:
            if isinstance(message, Message):
                if message.author_id is None:
                    message.author = request.user
                message.body_html = render_markdown(message.body)
            message.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(Message)
class MessageAdmin(ScopedAdmin):
    list_display = ("__str__", "thread", "author", "created_at")
    list_filter = ("created_at",)
    search_fields = ("body", "thread__title", "author__username")
    autocomplete_fields = ("thread", "author")
    list_select_related = ("thread", "author")
    readonly_fields = ("body_html", "created_at")

    def save_model(self, request, obj, form, change):
        obj.body_html = render_markdown(obj.body)
        super().save_model(request, obj, form, change)


@admin.register(ThreadFile)
class ThreadFileAdmin(ScopedAdmin):
    """Files are shared from the thread page or the API, where they are checked."""

    list_display = ("original_name", "thread", "content_type", "size", "uploaded_by")
    list_filter = ("content_type", "created_at")
    search_fields = ("original_name", "thread__title", "sha256")
    autocomplete_fields = ("thread", "uploaded_by")
    list_select_related = ("thread", "uploaded_by")
    readonly_fields = (
        "thread",
        "file",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "created_at",
    )

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        delete_thread_file(obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            delete_thread_file(obj)


@admin.register(TaskTimeEntry)
class TaskTimeEntryAdmin(ScopedAdmin):
    """Time is logged from the project page or the API, where credits are billed;
    deleting it here refunds them."""

    list_display = (
        "task",
        "project_code",
        "user",
        "started_at",
        "minutes",
        "billable",
        "billed_hours",
    )
    list_filter = ("time_entry__billable", "time_entry__started_at")
    search_fields = ("task__title", "task__project__code", "time_entry__note")
    list_select_related = ("task__project", "time_entry__user")
    readonly_fields = ("task", "time_entry")
    autocomplete_fields = ()

    @admin.display(description=_("project"), ordering="task__project__code")
    def project_code(self, obj):
        return obj.task.project.code

    @admin.display(description=_("user"))
    def user(self, obj):
        return obj.time_entry.user

    @admin.display(description=_("started at"), ordering="time_entry__started_at")
    def started_at(self, obj):
        return obj.time_entry.started_at

    @admin.display(description=_("minutes"))
    def minutes(self, obj):
        return obj.time_entry.minutes

    @admin.display(description=_("billable"), boolean=True)
    def billable(self, obj):
        return obj.time_entry.billable

    @admin.display(description=_("credits deducted"))
    def billed_hours(self, obj):
        return obj.time_entry.billed_hours

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        delete_task_time(obj, by=request.user, channel=EventChannel.ADMIN)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            delete_task_time(obj, by=request.user, channel=EventChannel.ADMIN)
