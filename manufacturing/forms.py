from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CoatingLog, Inspection


class ScanForm(forms.Form):
    code = forms.CharField(label=_("Scan traveler"), max_length=200)


class StopLabourForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity done"), min_value=0, initial=0, required=False
    )

    def clean_quantity(self):
        return self.cleaned_data["quantity"] or 0


class CompleteStepForm(forms.Form):
    quantity_passed = forms.IntegerField(label=_("Passed"), min_value=0)
    quantity_failed = forms.IntegerField(
        label=_("Failed"), min_value=0, initial=0, required=False
    )

    def clean_quantity_failed(self):
        return self.cleaned_data["quantity_failed"] or 0


class CoatingLogForm(forms.ModelForm):
    class Meta:
        model = CoatingLog
        fields = [
            "coating_type",
            "material_lot",
            "thickness_um",
            "cure_minutes",
            "cure_temperature_c",
            "humidity_pct",
            "result",
            "notes",
        ]


class InspectionForm(forms.ModelForm):
    class Meta:
        model = Inspection
        fields = [
            "result",
            "quantity_inspected",
            "defect_count",
            "defects",
            "disposition",
            "notes",
        ]
        widgets = {"defects": forms.Textarea(attrs={"rows": 2})}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class ReportRangeForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("date_from")
            and data.get("date_to")
            and data["date_from"] > data["date_to"]
        ):
            self.add_error("date_from", _("The start is after the end."))
        return data
