from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import AssetStatus
from .models import LicenceAssignment


class LicenceSeatsFormSet(forms.BaseInlineFormSet):
    """The admin's assignment inline may not hand out more seats than the licence
    has (the API and assign_licence_seat enforce the same rule under a lock)."""

    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and any(form.cleaned_data.get(k) for k in ("asset", "user", "contact"))
        ]
        seats = getattr(self.instance, "seats", None)
        if seats is not None and len(kept) > seats:
            raise ValidationError(
                _("This licence has %(seats)d seats; %(used)d are assigned here.")
                % {"seats": seats, "used": len(kept)}
            )


class LicenceAssignmentAdminForm(forms.ModelForm):
    """Checks seats and companies before the admin calls assign_licence_seat."""

    class Meta:
        model = LicenceAssignment
        fields = ("licence", "asset", "user", "contact")

    def clean(self):
        data = super().clean()
        licence = data.get("licence")
        targets = [data.get(k) for k in ("asset", "user", "contact") if data.get(k)]
        if len(targets) != 1:
            raise ValidationError(
                _("Assign a seat to exactly one asset, user or contact.")
            )
        if licence is None:
            return data
        asset = data.get("asset")
        if asset is not None and asset.company_id != licence.company_id:
            self.add_error("asset", _("The asset belongs to another company."))
        if self.instance.pk is None and licence.assignments.count() >= licence.seats:
            self.add_error(
                "licence",
                _("All %(seats)d seats of this licence are in use.")
                % {"seats": licence.seats},
            )
        return data


class AssetFilterForm(forms.Form):
    """The asset list page's filters (the same names as the API's FilterSet)."""

    search = forms.CharField(label=_("Search"), required=False)
    company = forms.IntegerField(label=_("Company"), required=False, min_value=1)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *AssetStatus.choices],
    )
    online = forms.NullBooleanField(
        label=_("Online"),
        required=False,
        widget=forms.Select(
            choices=[
                ("", _("Online or not")),
                ("true", _("Online")),
                ("false", _("Offline")),
            ]
        ),
    )
    operating_system = forms.CharField(label=_("Operating system"), required=False)
