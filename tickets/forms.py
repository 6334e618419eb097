from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from companies.models import Company
from contacts.models import Contact

from .choices import TicketPriority, TicketStatus, TicketType
from .models import Mailbox, Ticket

User = get_user_model()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class TicketForm(forms.Form):
    """A new ticket. Staff pick the company and routing; clients only describe."""

    title = forms.CharField(label=_("Title"), max_length=250)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea,
        required=False,
        help_text=_("Markdown is allowed."),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=TicketPriority.choices,
        initial=TicketPriority.NORMAL,
    )
    type = forms.ChoiceField(
        label=_("Type"), choices=TicketType.choices, initial=TicketType.INCIDENT
    )
    company = forms.ModelChoiceField(
        label=_("Company"), queryset=Company.objects.none(), required=False
    )
    requester = forms.ModelChoiceField(
        label=_("Requester"), queryset=Contact.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False
    )
    files = MultipleFileField(label=_("Attachments"))

    STAFF_ONLY = ("company", "requester", "department", "assignee")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_portal:
            for name in self.STAFF_ONLY:
                del self.fields[name]
        else:
            self.fields["company"].queryset = Company.objects.visible_to(user)
            self.fields["requester"].queryset = Contact.objects.visible_to(user)
            self.fields["department"].queryset = Department.objects.visible_to(user)
            self.fields["assignee"].queryset = User.objects.filter(
                company__isnull=True, is_active=True
            )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Markdown is allowed."),
    )
    is_internal = forms.BooleanField(
        label=_("Internal note (staff only)"), required=False
    )
    files = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_portal:
            del self.fields["is_internal"]


class TimeEntryForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    billable = forms.BooleanField(label=_("Billable"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class TicketFieldsForm(forms.Form):
    """The routing fields staff change on the ticket page."""

    priority = forms.ChoiceField(label=_("Priority"), choices=TicketPriority.choices)
    type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False
    )


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=User.objects.filter(company__isnull=True, is_active=True),
        required=False,
    )


class BulkForm(forms.Form):
    ACTIONS = (("assign", _("Assign to")), ("close", _("Close")))
    tickets = forms.ModelMultipleChoiceField(queryset=Ticket.objects.none())
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=User.objects.filter(company__isnull=True, is_active=True),
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tickets"].queryset = Ticket.objects.visible_to(user)

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and data.get("assignee") is None:
            self.add_error("assignee", _("Choose whom to assign to."))
        return data


class MailboxAdminForm(forms.ModelForm):
    """The password is write-only: left empty, the stored one is kept."""

    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=_("Leave empty to keep the current password."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "host",
            "port",
            "use_tls",
            "username",
            "password",
            "folder",
            "poll_interval_minutes",
            "default_department",
            "default_priority",
            "default_company",
            "trust_staff_senders",
            "active",
        ]

    def clean_password(self):
        value = self.cleaned_data.get("password")
        if not value and self.instance.pk:
            return self.instance.password
        return value
