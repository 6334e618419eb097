from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import CreditTransactionKind
from .models import Company
from .services import generate_account_number


class AdjustCreditsForm(forms.Form):
    """A ledger movement for one or more companies (admin action and pages)."""

    kind = forms.ChoiceField(label=_("kind"), choices=CreditTransactionKind.choices)
    amount = forms.DecimalField(
        label=_("amount"),
        max_digits=12,
        decimal_places=2,
        help_text=_(
            "Positive for purchase, deduction and refund; signed for an adjustment."
        ),
    )
    reference = forms.CharField(label=_("reference"), max_length=100, required=False)
    note = forms.CharField(label=_("note"), widget=forms.Textarea, required=False)
    allow_overdraft = forms.BooleanField(
        label=_("allow overdraft for this movement"), required=False
    )

    def clean(self):
        cleaned = super().clean()
        kind, amount = cleaned.get("kind"), cleaned.get("amount")
        if kind is None or amount is None:
            return cleaned
        if kind == CreditTransactionKind.ADJUSTMENT:
            if amount == 0:
                self.add_error("amount", _("An adjustment cannot be zero."))
        elif amount <= Decimal("0"):
            self.add_error("amount", _("The amount must be greater than zero."))
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            "amount": data["amount"],
            "reference": data["reference"],
            "note": data["note"],
        }
        if data["kind"] in (
            CreditTransactionKind.DEDUCTION,
            CreditTransactionKind.ADJUSTMENT,
        ) and data.get("allow_overdraft"):
            kwargs["allow_overdraft"] = True
        return kwargs


class CompanyForm(forms.ModelForm):
    """Add/edit a company on the staff pages; saving goes through the services."""

    account_number = forms.IntegerField(
        label=_("account number"),
        min_value=100000,
        max_value=999999,
        required=False,
        help_text=_("Six digits. Leave empty to generate one."),
    )
    portal_url = forms.URLField(
        label=_("portal URL"), max_length=300, required=False, assume_scheme="https"
    )
    domains = forms.CharField(
        label=_("domains"),
        required=False,
        help_text=_("Separate several domains with commas."),
    )

    class Meta:
        model = Company
        fields = [
            "name",
            "account_number",
            "kind",
            "status",
            "plan",
            "description",
            "freshservice_id",
            "profit_type",
            "main_phone",
            "start_date",
            "head_name",
            "primary_contact_name",
            "domains",
            "address",
            "contract_term",
            "contract_start",
            "contract_end",
            "phone_system",
            "email_system",
            "managed_users",
            "managed_devices",
            "managed_network",
            "portal_url",
            "notes",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "contract_start": forms.DateInput(attrs={"type": "date"}),
            "contract_end": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.initial["domains"] = ", ".join(self.instance.domains or [])
            if user is None or not user.is_admin:
                self.fields["account_number"].disabled = True
        self.fields["account_number"].required = False

    def clean_domains(self):
        value = self.cleaned_data.get("domains") or ""
        return [d.strip() for d in value.replace(";", ",").split(",") if d.strip()]

    def _post_clean(self):
        # The services validate the model (full_clean) and the account number;
        # skipping the ModelForm's own pass avoids "number required" before the
        # service has generated one.
        pass

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if data.get("account_number") is None:
            data.pop("account_number", None)
        return data


class CompanyAdminForm(forms.ModelForm):
    """The admin's company form: an empty account number is generated on add."""

    class Meta:
        model = Company
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what shows

    portal_url = forms.URLField(
        label=_("portal URL"), max_length=300, required=False, assume_scheme="https"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and "account_number" in self.fields:
            self.fields["account_number"].required = False

    def clean(self):
        cleaned = super().clean()
        if (
            self.instance.pk is None
            and "account_number" in self.fields
            and cleaned.get("account_number") is None
            and not self.errors
        ):
            cleaned["account_number"] = generate_account_number()
        return cleaned

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        if self.cleaned_data.get("account_number") is None:
            # Not generated because other fields are invalid: report those only.
            exclude.add("account_number")
        return exclude
