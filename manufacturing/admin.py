"""The manufacturing back office (STYLE R15); every write goes through services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from nexus.admin import ScopedAdminMixin

from . import services
from .choices import RELEASED_STATUSES, TravelerStatus
from .models import (
    BOM_ENGINEERING_FIELDS,
    TRAVELER_ENGINEERING_FIELDS,
    BOMItem,
    BOMTemplate,
    BOMTemplateLine,
    ChangeRequest,
    CoatingLog,
    Inspection,
    LaborLog,
    ProcessStep,
    PurchaseOrder,
    PurchaseOrderLine,
    RevisionHistory,
    RoutingOperation,
    Traveler,
    TravelerType,
)


def _report(modeladmin, request, done: int, errors: list[str], verb: str):
    if done:
        modeladmin.message_user(
            request, _("%(n)d traveler(s) %(verb)s.") % {"n": done, "verb": verb}
        )
    for error in errors:
        modeladmin.message_user(request, error, level=messages.ERROR)


def _messages(exc) -> str:
    if isinstance(exc, PermissionDenied):
        return str(exc)
    return "; ".join(exc.messages)


# --- purchase orders -------------------------------------------------------------


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    fields = (
        "line",
        "part_number",
        "revision",
        "description",
        "quantity",
        "unit_price",
    )


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "po_number",
        "customer",
        "order_date",
        "due_date",
        "status",
        "line_count",
    )
    list_filter = ("status", "order_date")
    search_fields = ("po_number", "customer__name", "lines__part_number")
    autocomplete_fields = ("customer", "created_by")
    list_select_related = ("customer",)
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = [PurchaseOrderLineInline]
    date_hierarchy = "order_date"

    @admin.display(description=_("lines"))
    def line_count(self, obj):
        return getattr(obj, "line_count", None)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(PurchaseOrderLine)
class PurchaseOrderLineAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("purchase_order", "line", "part_number", "revision", "quantity")
    list_filter = ("purchase_order__status",)
    search_fields = ("part_number", "purchase_order__po_number")
    autocomplete_fields = ("purchase_order",)
    list_select_related = ("purchase_order",)


# --- templates ---------------------------------------------------------------------


class RoutingOperationInline(admin.TabularInline):
    model = RoutingOperation
    extra = 0
    fields = (
        "sequence",
        "operation",
        "work_centre",
        "standard_minutes",
        "required",
        "requires_signoff",
        "requires_coating",
        "instructions",
    )


@admin.register(TravelerType)
class TravelerTypeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "uses_cut_lengths", "active", "operation_count")
    list_filter = ("active", "uses_cut_lengths")
    search_fields = ("name", "code")
    readonly_fields = ("created_at", "updated_at")
    inlines = [RoutingOperationInline]

    @admin.display(description=_("operations"))
    def operation_count(self, obj):
        return getattr(obj, "operation_count", None)


class BOMTemplateLineInline(admin.TabularInline):
    model = BOMTemplateLine
    extra = 0
    autocomplete_fields = ("supplier",)
    fields = (
        "line",
        "part_number",
        "description",
        "quantity_per_unit",
        "unit",
        "reference_designators",
        "supplier",
        "cut_length_mm",
        "piece_count",
    )


@admin.register(BOMTemplate)
class BOMTemplateAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("part_number", "revision", "description", "line_count")
    list_filter = ("revision",)
    search_fields = ("part_number", "description")
    readonly_fields = ("created_at", "updated_at")
    inlines = [BOMTemplateLineInline]

    @admin.display(description=_("lines"))
    def line_count(self, obj):
        return getattr(obj, "line_count", None)


# --- travelers ---------------------------------------------------------------------


class TravelerChildInline(admin.TabularInline):
    extra = 0

    def _frozen(self, obj):
        return (
            obj is None
            or obj.status in RELEASED_STATUSES
            or obj.status == TravelerStatus.CANCELLED
        )


class BOMItemInline(TravelerChildInline):
    """Editable on drafts; a released BOM changes through change requests."""

    model = BOMItem
    autocomplete_fields = ("supplier",)
    fields = (*BOM_ENGINEERING_FIELDS, "status")
    readonly_fields = ("status",)

    def has_add_permission(self, request, obj=None):
        return (
            obj is not None
            and not self._frozen(obj)
            and super().has_add_permission(request, obj)
        )

    def has_change_permission(self, request, obj=None):
        return (
            obj is not None
            and not self._frozen(obj)
            and super().has_change_permission(request, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return (
            obj is not None
            and not self._frozen(obj)
            and super().has_delete_permission(request, obj)
        )


class ProcessStepInline(TravelerChildInline):
    """The routing snapshot; work happens at the station, changes via requests."""

    model = ProcessStep
    fields = (
        "sequence",
        "operation",
        "work_centre",
        "standard_minutes",
        "status",
        "quantity_passed",
        "quantity_failed",
        "signed_off_by",
        "signed_off_at",
    )
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Traveler)
class TravelerAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "traveler_type",
        "part_number",
        "revision",
        "quantity",
        "status",
        "priority",
        "due_date",
        "customer",
        "purchase_order",
    )
    list_filter = ("status", "traveler_type", "priority", "due_date")
    search_fields = (
        "number",
        "part_number",
        "purchase_order__po_number",
        "customer__name",
    )
    autocomplete_fields = ("purchase_order", "po_line", "customer", "traveler_type")
    list_select_related = ("traveler_type", "customer", "purchase_order")
    readonly_fields = (
        "number",
        "status",
        "hold_reason",
        "bom_source",
        "created_by",
        "released_by",
        "released_at",
        "completed_at",
        "created_at",
        "updated_at",
    )
    inlines = [BOMItemInline, ProcessStepInline]
    actions = ["release_selected", "hold_selected", "print_selected"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None:
            fields += ["purchase_order", "po_line", "customer"]
            if (
                obj.status in RELEASED_STATUSES
                or obj.status == TravelerStatus.CANCELLED
            ):
                fields += list(TRAVELER_ENGINEERING_FIELDS)
        return fields

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in form.cleaned_data
        }
        try:
            if change:
                saved = services.update_traveler(obj, by=request.user, **data)
            else:
                saved = services.create_traveler(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            # The form has passed model validation; a service refusal is a role or
            # state rule, reported like any other admin error.
            raise PermissionDenied(_messages(exc)) from exc
        obj.pk, obj.number = saved.pk, saved.number

    def save_formset(self, request, form, formset, change):
        if formset.model is not BOMItem:
            return super().save_formset(request, form, formset, change)
        traveler = form.instance
        # The admin's change log reads these three lists after saving.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = (
            [],
            [],
            [],
        )
        for inline_form in formset.forms:
            if not inline_form.has_changed() and inline_form.instance.pk is None:
                continue
            item = inline_form.instance
            if formset.can_delete and formset._should_delete_form(inline_form):
                if item.pk:
                    services.delete_bom_item(item, by=request.user)
                    formset.deleted_objects.append(item)
                continue
            data = {
                name: inline_form.cleaned_data[name]
                for name in inline_form.changed_data
                if name in BOM_ENGINEERING_FIELDS
            }
            if item.pk is None:
                formset.new_objects.append(
                    services.add_bom_item(traveler, by=request.user, **data)
                )
            elif data:
                fresh = BOMItem.objects.get(pk=item.pk)
                services.update_bom_item(fresh, by=request.user, **data)
                formset.changed_objects.append((fresh, list(data)))
        return None

    @admin.action(description=_("Release selected travelers"), permissions=["release"])
    def release_selected(self, request, queryset):
        done, errors = 0, []
        for traveler in queryset:
            try:
                services.release_traveler(traveler, by=request.user)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                errors.append(f"{traveler.number}: {_messages(exc)}")
        _report(self, request, done, errors, _("released"))

    @admin.action(description=_("Put selected travelers on hold"), permissions=["hold"])
    def hold_selected(self, request, queryset):
        done, errors = 0, []
        for traveler in queryset:
            try:
                services.hold_traveler(
                    traveler,
                    by=request.user,
                    reason=str(_("Held from the back office")),
                )
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                errors.append(f"{traveler.number}: {_messages(exc)}")
        _report(self, request, done, errors, _("put on hold"))

    @admin.action(description=_("Print the selected traveler"))
    def print_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request,
                _("Select exactly one traveler to print."),
                level=messages.WARNING,
            )
            return None
        return redirect(
            reverse("manufacturing:traveler_print", args=[queryset.get().pk])
        )

    def has_release_permission(self, request):
        return request.user.has_perm("manufacturing.release_traveler")

    def has_hold_permission(self, request):
        return request.user.has_perm("manufacturing.hold_traveler")

    def has_delete_permission(self, request, obj=None):
        # Travelers are cancelled, not deleted, once they leave draft.
        if obj is not None and obj.status != TravelerStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(BOMItem)
class BOMItemAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "traveler",
        "line",
        "part_number",
        "quantity_per_unit",
        "unit",
        "supplier",
        "status",
    )
    list_filter = ("status",)
    search_fields = ("part_number", "description", "traveler__number")
    autocomplete_fields = ("traveler", "supplier")
    list_select_related = ("traveler", "supplier")
    actions = ["mark_ordered", "mark_received", "mark_issued"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _mark(self, request, queryset, status):
        done, errors = 0, []
        for item in queryset.select_related("traveler"):
            try:
                services.set_bom_item_status(item, by=request.user, status=status)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                errors.append(f"{item}: {_messages(exc)}")
        if done:
            self.message_user(request, _("%(n)d BOM line(s) updated.") % {"n": done})
        for error in errors:
            self.message_user(request, error, level=messages.ERROR)

    def has_status_permission(self, request):
        return request.user.has_perm("manufacturing.change_bomitem_status")

    @admin.action(description=_("Mark ordered"), permissions=["status"])
    def mark_ordered(self, request, queryset):
        self._mark(request, queryset, "ordered")

    @admin.action(description=_("Mark received"), permissions=["status"])
    def mark_received(self, request, queryset):
        self._mark(request, queryset, "received")

    @admin.action(description=_("Mark issued"), permissions=["status"])
    def mark_issued(self, request, queryset):
        self._mark(request, queryset, "issued")


@admin.register(ProcessStep)
class ProcessStepAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "traveler",
        "sequence",
        "operation",
        "work_centre",
        "status",
        "signed_off_by",
    )
    list_filter = ("status", "work_centre", "requires_signoff")
    search_fields = ("operation", "traveler__number")
    list_select_related = ("traveler", "signed_off_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LaborLog)
class LaborLogAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Timers start and stop at the station; here a manager corrects closed logs."""

    list_display = (
        "traveler",
        "step",
        "operator",
        "started_at",
        "stopped_at",
        "minutes",
        "quantity",
        "edited_by",
    )
    list_filter = ("stopped_at", "step__work_centre")
    search_fields = ("traveler__number", "operator__username", "operator__full_name")
    list_select_related = ("traveler", "step", "operator", "edited_by")
    fields = (
        "traveler",
        "step",
        "operator",
        "started_at",
        "stopped_at",
        "minutes",
        "quantity",
        "notes",
        "edit_reason",
        "edited_by",
        "edited_at",
    )
    readonly_fields = (
        "traveler",
        "step",
        "operator",
        "minutes",
        "edited_by",
        "edited_at",
    )

    def has_add_permission(self, request):
        return False

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "edit_reason" in form.base_fields:
            form.base_fields["edit_reason"].required = True
        return form

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in ("started_at", "stopped_at", "quantity", "notes")
        }
        fresh = LaborLog.objects.get(pk=obj.pk)
        try:
            services.edit_labor_log(
                fresh, by=request.user, reason=form.cleaned_data["edit_reason"], **data
            )
        except ValidationError as exc:
            raise PermissionDenied(_messages(exc)) from exc


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CoatingLog)
class CoatingLogAdmin(ReadOnlyAdmin):
    list_display = (
        "traveler",
        "step",
        "coating_type",
        "material_lot",
        "thickness_um",
        "result",
        "operator",
        "recorded_at",
    )
    list_filter = ("result", "coating_type")
    search_fields = ("traveler__number", "material_lot")
    list_select_related = ("traveler", "step", "operator")


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = (
        "traveler",
        "step",
        "result",
        "defect_count",
        "disposition",
        "inspector",
        "inspected_at",
    )
    list_filter = ("result", "disposition")
    search_fields = ("traveler__number", "defects")
    list_select_related = ("traveler", "step", "inspector")


@admin.register(RevisionHistory)
class RevisionHistoryAdmin(ReadOnlyAdmin):
    list_display = (
        "traveler",
        "created_at",
        "actor",
        "action",
        "subject",
        "object_repr",
        "reason",
    )
    list_filter = ("action", "subject")
    search_fields = ("traveler__number", "object_repr", "reason")
    list_select_related = ("traveler", "actor")


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "traveler",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
    )
    list_filter = ("status", "subject", "action")
    search_fields = ("traveler__number", "reason")
    list_select_related = ("traveler", "requested_by", "decided_by")
    readonly_fields = (
        "traveler",
        "subject",
        "action",
        "object_id",
        "changes",
        "reason",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_note",
    )
    actions = ["approve_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return request.user.has_perm("manufacturing.approve_changerequest")

    @admin.action(description=_("Approve and apply"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        done, errors = 0, []
        for cr in queryset:
            try:
                services.approve_change(cr, by=request.user)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                errors.append(f"{cr}: {_messages(exc)}")
        if done:
            self.message_user(request, _("%(n)d change(s) applied.") % {"n": done})
        for error in errors:
            self.message_user(request, error, level=messages.ERROR)
