from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from nexus.fields import mask_secret
from tickets.choices import EventChannel
from tickets.models import Ticket

from .choices import ArticleStatus
from .models import (
    Article,
    ArticleAttachment,
    ArticleVersion,
    AssistantMessage,
    AssistantSession,
    Category,
    ProviderConfig,
    SessionDocument,
    Tag,
)
from .services import (
    create_article,
    delete_article,
    extract_attachment_text,
    publish_article,
    set_article_tickets,
    update_article,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "parent", "position")
    list_filter = ("parent",)
    search_fields = ("name", "slug", "description")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).for_list()


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).for_list()


class ArticleVersionInline(admin.TabularInline):
    model = ArticleVersion
    fields = ("number", "title", "author", "note", "restored_from", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-number",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class ArticleAttachmentInline(admin.TabularInline):
    model = ArticleAttachment
    fields = (
        "original_name",
        "content_type",
        "size",
        "extraction_status",
        "created_at",
    )
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # uploads go through the article page or API (checked files)


class ArticleAdminForm(forms.ModelForm):
    note = forms.CharField(label=_("What changed"), max_length=250, required=False)

    class Meta:
        model = Article
        fields = [
            "title",
            "slug",
            "summary",
            "body",
            "category",
            "tags",
            "status",
            "visibility",
            "companies",
            "owner",
            "review_by",
            "related_assets",
            "related_tickets",
        ]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = (
        "title",
        "category",
        "status",
        "visibility",
        "version_count",
        "view_count",
        "helpful_count",
        "review_by",
        "updated_at",
    )
    list_filter = ("status", "visibility", "category", "tags", "review_by")
    search_fields = ("title", "slug", "summary", "body")
    autocomplete_fields = ("category", "owner", "companies", "related_tickets")
    # raw ids: the assets app registers no admin search to autocomplete against
    raw_id_fields = ("related_assets",)
    filter_horizontal = ("tags",)
    list_select_related = ("category",)
    readonly_fields = (
        "author",
        "view_count",
        "helpful_count",
        "unhelpful_count",
        "version_count",
        "published_version",
        "latest_version",
        "published_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "body", "note")}),
        (
            _("Placement and access"),
            {"fields": ("category", "tags", "status", "visibility", "companies")},
        ),
        (
            _("Ownership"),
            {"fields": ("author", "owner", "review_by", "related_assets")},
        ),
        (_("Tickets"), {"fields": ("related_tickets",)}),
        (_("System"), {"fields": readonly_fields[1:]}),
    )
    inlines = (ArticleVersionInline, ArticleAttachmentInline)
    actions = ("publish_selected",)
    prepopulated_fields = {"slug": ("title",)}

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).for_list()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "related_tickets":
            kwargs["queryset"] = Ticket.objects.visible_to(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        # Ticket links go through the service (timeline events; links outside
        # this user's ticket scope are kept), not the form's plain set().
        tickets = form.cleaned_data.pop("related_tickets", None)
        super().save_related(request, form, formsets, change)
        if tickets is not None:
            set_article_tickets(
                form.instance,
                tickets=tickets,
                by=request.user,
                channel=EventChannel.ADMIN,
            )

    def save_model(self, request, obj, form, change):
        """Saves go through the version services; M2M fields follow in save_related."""
        data = {
            name: form.cleaned_data[name]
            for name in ("title", "slug", "summary", "body", "category", "status",
                         "visibility", "owner", "review_by")
        }  # fmt: skip
        # The admin saves M2M fields after this; the services validate "chosen
        # companies" against them, so pass them in now.
        data["companies"] = list(form.cleaned_data.get("companies", []))
        note = form.cleaned_data.get("note", "")
        if change:
            saved = update_article(
                Article.objects.get(pk=obj.pk),
                by=request.user,
                note=note,
                publish=data["status"] == ArticleStatus.PUBLISHED,
                **data,
            )
        else:
            saved = create_article(author=request.user, note=note, **data)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        delete_article(obj)

    @admin.action(description=_("Publish the latest version"), permissions=["change"])
    def publish_selected(self, request, queryset):
        for article in queryset:
            publish_article(article, by=request.user)
        self.message_user(
            request,
            _("%(n)d article(s) published.") % {"n": queryset.count()},
            messages.SUCCESS,
        )


@admin.register(ArticleVersion)
class ArticleVersionAdmin(admin.ModelAdmin):
    list_display = ("article", "number", "title", "author", "note", "created_at")
    list_filter = ("created_at",)
    search_fields = ("article__title", "title", "note")
    autocomplete_fields = ("article", "author")
    list_select_related = ("article", "author")
    readonly_fields = (
        "article",
        "number",
        "title",
        "summary",
        "body",
        "author",
        "note",
        "restored_from",
        "created_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).for_list()


@admin.register(ArticleAttachment)
class ArticleAttachmentAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "article",
        "content_type",
        "size",
        "extraction_status",
        "created_at",
    )
    list_filter = ("extraction_status", "content_type")
    search_fields = ("original_name", "article__title")
    autocomplete_fields = ("article", "uploaded_by")
    list_select_related = ("article", "uploaded_by")
    readonly_fields = (
        "article",
        "file",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "extraction_status",
        "extraction_error",
        "text",
        "created_at",
    )
    actions = ("extract_again",)

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).for_list()

    @admin.action(description=_("Extract the text again"), permissions=["change"])
    def extract_again(self, request, queryset):
        for attachment in queryset:
            extract_attachment_text(attachment)
        self.message_user(request, _("Text extracted again."), messages.SUCCESS)


class ProviderConfigForm(forms.ModelForm):
    base_url = forms.URLField(
        label=_("base URL"),
        required=False,
        assume_scheme="https",
        help_text=ProviderConfig._meta.get_field("base_url").help_text,
    )
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted. Leave empty to keep the current key."),
    )
    clear_api_key = forms.BooleanField(label=_("Remove the stored key"), required=False)

    class Meta:
        model = ProviderConfig
        fields = [
            "name",
            "kind",
            "is_active",
            "base_url",
            "model",
            "api_key",
            "timeout_seconds",
            "max_passages",
            "temperature",
            "instructions",
        ]

    def clean(self):
        data = super().clean()
        if (
            not data.get("api_key")
            and self.instance.pk
            and not data.get("clear_api_key")
        ):
            data["api_key"] = ProviderConfig.objects.get(pk=self.instance.pk).api_key
            self.instance.api_key = data["api_key"]
        return data


@admin.register(ProviderConfig)
class ProviderConfigAdmin(admin.ModelAdmin):
    form = ProviderConfigForm
    list_display = ("name", "kind", "is_active", "model", "base_url", "masked_key")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "model", "base_url")
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).for_list()

    @admin.display(description=_("API key"))
    def masked_key(self, obj) -> str:
        return mask_secret(obj.api_key)


class AssistantMessageInline(admin.TabularInline):
    model = AssistantMessage
    fields = ("role", "content", "citations", "provider", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class SessionDocumentInline(admin.TabularInline):
    model = SessionDocument
    fields = ("original_name", "size", "extraction_status", "created_at")
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AssistantSession)
class AssistantSessionAdmin(admin.ModelAdmin):
    """Staff see only their own conversations here too (visible_to)."""

    list_display = ("__str__", "user", "created_at", "updated_at")
    list_filter = ("created_at",)
    search_fields = ("title", "user__username")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)
    readonly_fields = ("user", "created_at", "updated_at")
    inlines = (AssistantMessageInline, SessionDocumentInline)

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).for_list()
