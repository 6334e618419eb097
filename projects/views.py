"""Pages: project list, board, detail, my tasks, threads (messages and files)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nexus.uploads import download_response

from .api.filters import ProjectFilterSet, TaskFilterSet
from .choices import TaskStatus
from .forms import (
    InviteForm,
    MessageForm,
    MoveTaskForm,
    TaskForm,
    TaskTimeForm,
    ThreadFileForm,
)
from .models import Project, Task, TaskTimeEntry, Thread, ThreadFile
from .services import (
    delete_task_time,
    invite_to_thread,
    log_task_time,
    move_task,
    post_message,
    save_task,
    share_thread_file,
)

PAGE_SIZE = 25


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@permission_required("projects.view_project", raise_exception=True)
def project_list(request):
    base = Project.objects.visible_to(request.user).for_list()
    filterset = ProjectFilterSet(request.GET or None, queryset=base)
    projects = filterset.qs if filterset.is_bound else base
    search = request.GET.get("q", "").strip()
    if search:
        projects = projects.filter(
            Q(name__icontains=search)
            | Q(code__icontains=search)
            | Q(client__name__icontains=search)
        )
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/project_list.html",
        {"page": page, "filter": filterset, "search": search},
    )


def _visible_project(request, pk) -> Project:
    return get_object_or_404(Project.objects.visible_to(request.user).for_list(), pk=pk)


@login_required
@permission_required("projects.view_project", raise_exception=True)
def project_detail(request, pk: int):
    project = _visible_project(request, pk)
    form = None
    if request.user.has_perm("projects.add_task"):
        form = TaskForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            task = form.save(commit=False)
            task.project = project
            try:
                save_task(task)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Task “%s” added.") % task.title)
                return redirect(project)
    return _render_detail(
        request, project, form=form, status=400 if form and form.errors else 200
    )


def _render_detail(request, project, *, form=None, time_form=None, status=200):
    if form is None and request.user.has_perm("projects.add_task"):
        form = TaskForm()
    tasks = (
        Task.objects.visible_to(request.user)
        .for_list()
        .filter(project=project)
        .prefetch_related("dependencies")
    )
    threads = Thread.objects.visible_to(request.user).for_list().filter(project=project)
    context = {
        "project": project,
        "tasks": tasks,
        "threads": threads,
        "form": form,
        "members": project.members.all(),
    }
    context.update(_time_context(request, project, form=time_form))
    return render(request, "projects/project_detail.html", context, status=status)


def _time_context(request, project, form=None) -> dict:
    if not request.user.has_perm("projects.view_tasktimeentry"):
        return {}
    tasks = Task.objects.visible_to(request.user).filter(project=project)
    if form is None and request.user.has_perm("projects.add_tasktimeentry"):
        form = TaskTimeForm(tasks=tasks, initial={"billable": True})
    entries = (
        TaskTimeEntry.objects.visible_to(request.user)
        .for_list()
        .filter(task__project=project)[:50]
    )
    return {"time_entries": entries, "time_form": form}


@login_required
@require_POST
@permission_required("projects.add_tasktimeentry", raise_exception=True)
def project_log_time(request, pk: int):
    """Log time on a task of the project (billed to the client's credits)."""
    project = _visible_project(request, pk)
    tasks = Task.objects.visible_to(request.user).filter(project=project)
    form = TaskTimeForm(request.POST, tasks=tasks)
    if form.is_valid():
        data = form.cleaned_data
        try:
            log_task_time(
                data["task"],
                user=request.user,
                minutes=data["minutes"],
                billable=data["billable"],
                note=data["note"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Time logged."))
            return redirect(project)
    return _render_detail(request, project, time_form=form, status=400)


@login_required
@require_POST
@permission_required("projects.delete_tasktimeentry", raise_exception=True)
def time_delete(request, pk: int):
    """Delete time logged on a task; its billed credits are refunded."""
    link = get_object_or_404(
        TaskTimeEntry.objects.visible_to(request.user).select_related(
            "task", "time_entry"
        ),
        pk=pk,
    )
    project_id = link.task.project_id
    try:
        delete_task_time(link, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Time entry deleted; its credits were refunded."))
    return redirect("projects:project_detail", pk=project_id)


def _board_context(request, project) -> dict:
    tasks = Task.objects.visible_to(request.user).for_list().filter(project=project)
    columns = {value: [] for value in TaskStatus.values}
    for task in tasks:
        columns[task.status].append(task)
    order = TaskStatus.values
    return {
        "project": project,
        "columns": [
            {
                "status": value,
                "label": label,
                "tasks": columns[value],
                "previous": order[i - 1] if i > 0 else None,
                "next": order[i + 1] if i + 1 < len(order) else None,
            }
            for i, (value, label) in enumerate(TaskStatus.choices)
        ],
        "can_move": request.user.has_perm("projects.change_task"),
    }


@login_required
@permission_required("projects.view_project", raise_exception=True)
def project_board(request, pk: int):
    project = _visible_project(request, pk)
    return render(request, "projects/board.html", _board_context(request, project))


@login_required
@require_POST
@permission_required("projects.change_task", raise_exception=True)
def task_move(request, pk: int):
    """Move a task on the board; htmx gets the board back, others a redirect."""
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=pk)
    form = MoveTaskForm(request.POST)
    error = None
    if form.is_valid():
        try:
            move_task(task, status=form.cleaned_data["status"])
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = _("Choose a valid status.")
    project = _visible_project(request, task.project_id)
    if request.htmx:
        context = _board_context(request, project)
        context["error"] = error
        return render(
            request,
            "projects/_board.html",
            context,
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    return redirect("projects:project_board", pk=project.pk)


@login_required
@permission_required("projects.view_task", raise_exception=True)
def my_tasks(request):
    base = (
        Task.objects.visible_to(request.user).for_list().filter(assignee=request.user)
    )
    params = request.GET.copy()
    if "status" not in params and "overdue" not in params:
        params.setlist("status", [TaskStatus.PENDING, TaskStatus.IN_PROGRESS])
    filterset = TaskFilterSet(params, queryset=base)
    tasks = filterset.qs.order_by("due_date", "id")
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "projects/my_tasks.html", {"page": page, "filter": filterset}
    )


# --------------------------------------------------------------------------- threads


@login_required
@permission_required("projects.view_thread", raise_exception=True)
def thread_list(request):
    threads = Thread.objects.visible_to(request.user).for_list()
    page = Paginator(threads, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "projects/thread_list.html", {"page": page})


def _visible_thread(request, pk) -> Thread:
    return get_object_or_404(
        Thread.objects.visible_to(request.user).select_related(
            "project__client", "company"
        ),
        pk=pk,
    )


def _thread_context(request, thread, **extra) -> dict:
    context = {
        "thread": thread,
        "thread_messages": thread.messages.for_list(),
        "files": thread.files.for_list(),
        "members": thread.members.all(),
        "can_post": request.user.has_perm("projects.add_message"),
        "can_share": request.user.has_perm("projects.add_threadfile"),
        "message_form": MessageForm(),
        "file_form": ThreadFileForm(),
        "invite_form": InviteForm(thread=thread)
        if request.user.has_perm("projects.change_thread")
        else None,
    }
    context.update(extra)
    return context


@login_required
@permission_required("projects.view_thread", raise_exception=True)
def thread_detail(request, pk: int):
    thread = _visible_thread(request, pk)
    return render(
        request, "projects/thread_detail.html", _thread_context(request, thread)
    )


@login_required
@require_POST
@permission_required("projects.add_message", raise_exception=True)
def thread_post_message(request, pk: int):
    """Post a message; htmx gets the message list (and a fresh form) back."""
    thread = _visible_thread(request, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            post_message(thread, author=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            _add_errors(form, exc)
    ok = not form.errors
    if request.htmx:
        context = _thread_context(
            request, thread, message_form=MessageForm() if ok else form
        )
        return render(
            request, "projects/_messages.html", context, status=200 if ok else 400
        )
    if not ok:
        return render(
            request,
            "projects/thread_detail.html",
            _thread_context(request, thread, message_form=form),
            status=400,
        )
    return redirect(thread)


@login_required
@require_POST
@permission_required("projects.add_threadfile", raise_exception=True)
def thread_share_file(request, pk: int):
    thread = _visible_thread(request, pk)
    form = ThreadFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            share_thread_file(
                thread, upload=form.cleaned_data["file"], uploaded_by=request.user
            )
        except ValidationError as exc:
            _add_errors(form, exc)
    if form.errors:
        return render(
            request,
            "projects/thread_detail.html",
            _thread_context(request, thread, file_form=form),
            status=400,
        )
    messages.success(request, _("File shared."))
    return redirect(thread)


@login_required
@permission_required("projects.view_threadfile", raise_exception=True)
def file_download(request, pk: int):
    """A shared file, only for those who see its thread; never shown inline."""
    shared = get_object_or_404(ThreadFile.objects.visible_to(request.user), pk=pk)
    return download_response(
        shared.file,
        filename=shared.original_name,
        content_type=shared.content_type,
    )


@login_required
@require_POST
@permission_required("projects.change_thread", raise_exception=True)
def thread_invite(request, pk: int):
    """Add members; client users only from the thread's own company."""
    thread = _visible_thread(request, pk)
    form = InviteForm(request.POST, thread=thread)
    if form.is_valid():
        try:
            invite_to_thread(thread, users=form.cleaned_data["users"])
        except ValidationError as exc:
            form.add_error("users", exc.messages)
    if form.errors:
        return render(
            request,
            "projects/thread_detail.html",
            _thread_context(request, thread, invite_form=form),
            status=400,
        )
    messages.success(request, _("Invited."))
    return redirect(thread)
