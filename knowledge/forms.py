from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from companies.models import Company

from .models import Article, Category, Tag


class ArticleForm(forms.ModelForm):
    """The page editor. Text fields start from the working copy (latest version)."""

    note = forms.CharField(
        label=_("What changed"), max_length=250, required=False,
        help_text=_("Kept with the new version."),
    )  # fmt: skip

    class Meta:
        model = Article
        fields = [
            "title",
            "summary",
            "body",
            "category",
            "tags",
            "status",
            "visibility",
            "companies",
            "owner",
            "review_by",
        ]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 18, "class": "mono"}),
            "summary": forms.Textarea(attrs={"rows": 2}),
            "tags": forms.CheckboxSelectMultiple,
            "companies": forms.SelectMultiple(attrs={"size": 6}),
            "review_by": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.all()
        self.fields["tags"].queryset = Tag.objects.all()
        self.fields["companies"].queryset = Company.objects.visible_to(user).only(
            "pk", "name"
        )
        self.fields["owner"].queryset = get_user_model().objects.filter(
            company__isnull=True, is_active=True
        )
        latest = self.instance.latest_version if self.instance.pk else None
        if latest is not None:
            for name in ("title", "summary", "body"):
                self.initial[name] = getattr(latest, name)

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("note", None)
        return data


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))


class AskForm(forms.Form):
    content = forms.CharField(
        label=_("Your question"),
        max_length=4000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("Ask about our knowledge base…")}
        ),
    )


class RestoreForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    publish = forms.BooleanField(required=False)
