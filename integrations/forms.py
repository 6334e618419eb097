from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Connection, SyncJob
from .services.schedules import parse_crontab


class SyncJobScheduleForm(forms.ModelForm):
    """Enabled flag and schedule of one job (the Integrations page and the admin)."""

    class Meta:
        model = SyncJob
        fields = ("enabled", "interval_minutes", "crontab")

    def clean_crontab(self):
        value = " ".join((self.cleaned_data.get("crontab") or "").split())
        if value:
            try:
                parse_crontab(value)
            except forms.ValidationError as exc:
                raise forms.ValidationError(exc.message_dict["crontab"]) from None
        return value


class SecretInput(forms.PasswordInput):
    def __init__(self, attrs=None):
        super().__init__(attrs={"autocomplete": "new-password", **(attrs or {})})


class ConnectionAdminForm(forms.ModelForm):
    """Secrets are write-only: never rendered back; empty keeps the stored value."""

    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        widget=SecretInput(),
        help_text=_("Leave empty to keep the stored key."),
    )
    api_secret = forms.CharField(
        label=_("API secret"),
        required=False,
        widget=SecretInput(),
        help_text=_("Datto RMM only. Leave empty to keep the stored secret."),
    )
    clear_credentials = forms.BooleanField(
        label=_("Clear the stored key and secret"),
        required=False,
        help_text=_("Then the environment's values are used."),
    )

    class Meta:
        model = Connection
        fields = (
            "kind",
            "base_url",
            "api_key",
            "api_secret",
            "enabled",
            "timeout_seconds",
            "rate_limit_per_minute",
            "fetch_serials",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored = (self.instance.api_key, self.instance.api_secret)
        self.initial.pop("api_key", None)
        self.initial.pop("api_secret", None)

    def clean_base_url(self):
        value = (self.cleaned_data.get("base_url") or "").strip()
        if (
            value
            and "://" in value
            and not value.lower().startswith(("http://", "https://"))
        ):
            raise forms.ValidationError(_("Use an http:// or https:// URL."))
        return value

    def save(self, commit=True):
        connection = super().save(commit=False)
        if self.cleaned_data.get("clear_credentials"):
            connection.api_key = connection.api_secret = ""
        else:
            connection.api_key = self.cleaned_data.get("api_key") or self._stored[0]
            connection.api_secret = (
                self.cleaned_data.get("api_secret") or self._stored[1]
            )
        if commit:
            connection.save()
        return connection
