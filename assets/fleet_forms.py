"""Forms of the fleet pages: queue a job, keep a recurring schedule."""

from django import forms
from django.utils.translation import gettext_lazy as _

from companies.models import Company

from .choices import JobShell
from .fleet_models import Agent, JobSchedule

MAX_FILE_BYTES = 5 * 1024 * 1024


class QueueJobForm(forms.Form):
    agents = forms.ModelMultipleChoiceField(
        label=_("Agents"), queryset=Agent.objects.none(), required=False
    )
    company = forms.ModelChoiceField(
        label=_("or every agent of company"),
        queryset=Company.objects.none(),
        required=False,
    )
    tag = forms.CharField(label=_("with tag"), max_length=50, required=False)
    shell = forms.ChoiceField(label=_("Shell"), choices=JobShell.choices)
    script = forms.CharField(
        label=_("Script"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    file = forms.FileField(label=_("or send a file"), required=False)
    destination = forms.CharField(label=_("to folder"), max_length=300, required=False)
    timeout_seconds = forms.IntegerField(
        label=_("Time-out (s)"), min_value=1, max_value=86400, initial=300
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agents"].queryset = (
            Agent.objects.visible_to(user).active().order_by("hostname")
        )
        self.fields["company"].queryset = (
            Company.objects.visible_to(user)
            .filter(agents__isnull=False)
            .distinct()
            .order_by("name")
        )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("Files up to %(n)d bytes can be sent.") % {"n": MAX_FILE_BYTES}
            )
        return upload

    def clean(self):
        data = super().clean()
        if not data.get("agents") and not data.get("company"):
            raise forms.ValidationError(_("Choose agents, or a company."))
        if not data.get("file") and not (data.get("script") or "").strip():
            raise forms.ValidationError(_("Give a script, or a file to send."))
        return data


class JobScheduleForm(forms.ModelForm):
    class Meta:
        model = JobSchedule
        fields = [
            "name",
            "company",
            "agent",
            "tag",
            "shell",
            "script",
            "interval_minutes",
            "timeout_seconds",
            "enabled",
        ]
        widgets = {"script": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.visible_to(user).order_by(
            "name"
        )
        self.fields["agent"].queryset = Agent.objects.visible_to(user).order_by(
            "hostname"
        )
