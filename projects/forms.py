from django import forms
from django.contrib.auth import get_user_model
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
