from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import TaskStatus
from .models import Task

User = get_user_model()


class TaskForm(forms.ModelForm):
    """Quick add of a task on a project's page."""

    class Meta:
        model = Task
        fields = ["title", "assignee", "priority", "due_date"]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.staff().filter(is_active=True)


class MoveTaskForm(forms.Form):
    status = forms.ChoiceField(choices=TaskStatus.choices)


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Markdown is supported."),
    )


class ThreadFileForm(forms.Form):
    file = forms.FileField(label=_("File"))


class TaskTimeForm(forms.Form):
    """Log time on one of a project's tasks."""

    task = forms.ModelChoiceField(label=_("Task"), queryset=Task.objects.none())
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    billable = forms.BooleanField(label=_("Billable"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, tasks=None, **kwargs):
        super().__init__(*args, **kwargs)
        if tasks is not None:
            self.fields["task"].queryset = tasks


class InviteForm(forms.Form):
    """Invite staff, or client users of the thread's company, to a thread."""

    users = forms.ModelMultipleChoiceField(
        label=_("People"),
        queryset=User.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 6, "style": "min-width: 18rem"}),
    )

    def __init__(self, *args, thread=None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = Q(company__isnull=True)
        if thread is not None and thread.client_company_id:
            allowed |= Q(company_id=thread.client_company_id)
        users = User.objects.filter(allowed, is_active=True)
        if thread is not None and thread.pk:
            users = users.exclude(threads=thread)
        self.fields["users"].queryset = users.order_by("company_id", "username")
