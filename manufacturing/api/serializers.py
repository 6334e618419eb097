from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.serializers import UserBriefSerializer
from companies.api.serializers import CompanyBriefSerializer
from companies.models import Company
from nexus.api import VisiblePKField

from ..choices import BOMItemStatus, ChangeRequestAction
from ..models import (
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

# --- brief serializers (the only ones used for nesting, STYLE R11) ------------


class PurchaseOrderBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:purchase-order-detail")
    display = serializers.CharField(source="po_number", read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = ["id", "url", "po_number", "display"]


class TravelerTypeBriefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="name", read_only=True)

    class Meta:
        model = TravelerType
        fields = ["id", "code", "name", "display"]


class TravelerBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:traveler-detail")
    display = serializers.CharField(source="number", read_only=True)

    class Meta:
        model = Traveler
        fields = ["id", "url", "number", "display"]


class ProcessStepBriefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = ProcessStep
        fields = ["id", "sequence", "operation", "display"]


# --- purchase orders -----------------------------------------------------------


# The line's check constraints, as field validation: a ModelSerializer saves
# without full_clean(), so a zero quantity reached the database (a 500).
LINE_AMOUNTS = {"quantity": {"min_value": 1}, "unit_price": {"min_value": 0}}


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    purchase_order_id = VisiblePKField(
        source="purchase_order", queryset=PurchaseOrder.objects.all(), required=False
    )

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id",
            "purchase_order_id",
            "line",
            "part_number",
            "revision",
            "description",
            "quantity",
            "unit_price",
        ]
        extra_kwargs = {"line": {"required": False}, **LINE_AMOUNTS}


class PurchaseOrderLineInputSerializer(serializers.ModelSerializer):
    """A line written inside its purchase order (number defaults to its position)."""

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id",
            "line",
            "part_number",
            "revision",
            "description",
            "quantity",
            "unit_price",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"line": {"required": False}, **LINE_AMOUNTS}
        validators = []  # the PO does not exist yet; the service checks line numbers


def _str_keys(errors):
    """DRF reports nested list errors under int keys, which the JSON renderer refuses."""
    if isinstance(errors, dict):
        return {str(key): _str_keys(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [_str_keys(value) for value in errors]
    return errors


class PurchaseOrderSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:purchase-order-detail")
    customer = CompanyBriefSerializer(read_only=True)
    customer_id = VisiblePKField(
        source="customer", queryset=Company.objects.all(), write_only=True
    )
    lines = PurchaseOrderLineInputSerializer(many=True, required=False)
    created_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "url",
            "po_number",
            "customer",
            "customer_id",
            "order_date",
            "due_date",
            "status",
            "notes",
            "lines",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    @property
    def errors(self):
        return _str_keys(super().errors)

    def validate(self, attrs):
        if self.instance is not None and "lines" in attrs:
            raise serializers.ValidationError(
                {"lines": _("Edit lines at /api/purchase-order-lines.")}
            )
        numbers = [
            line.get("line") for line in attrs.get("lines", []) if line.get("line")
        ]
        if len(numbers) != len(set(numbers)):
            raise serializers.ValidationError(
                {"lines": _("Line numbers must be unique.")}
            )
        return attrs


# --- templates -------------------------------------------------------------------


class RoutingOperationSerializer(serializers.ModelSerializer):
    traveler_type_id = serializers.PrimaryKeyRelatedField(
        source="traveler_type", queryset=TravelerType.objects.all()
    )

    class Meta:
        model = RoutingOperation
        fields = [
            "id",
            "traveler_type_id",
            "sequence",
            "operation",
            "work_centre",
            "instructions",
            "standard_minutes",
            "required",
            "requires_signoff",
            "requires_coating",
        ]


class TravelerTypeSerializer(serializers.ModelSerializer):
    operations = RoutingOperationSerializer(many=True, read_only=True)

    class Meta:
        model = TravelerType
        fields = [
            "id",
            "code",
            "name",
            "description",
            "uses_cut_lengths",
            "active",
            "operations",
        ]


class BOMTemplateLineSerializer(serializers.ModelSerializer):
    template_id = serializers.PrimaryKeyRelatedField(
        source="template", queryset=BOMTemplate.objects.all()
    )
    supplier = CompanyBriefSerializer(read_only=True)
    supplier_id = VisiblePKField(
        source="supplier",
        queryset=Company.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )

    class Meta:
        model = BOMTemplateLine
        fields = [
            "id",
            "template_id",
            "line",
            "part_number",
            "description",
            "quantity_per_unit",
            "unit",
            "reference_designators",
            "supplier",
            "supplier_id",
            "cut_length_mm",
            "piece_count",
        ]


class BOMTemplateSerializer(serializers.ModelSerializer):
    lines = BOMTemplateLineSerializer(many=True, read_only=True)

    class Meta:
        model = BOMTemplate
        fields = ["id", "part_number", "revision", "description", "lines"]


# --- traveler children -------------------------------------------------------------


class BOMItemSerializer(serializers.ModelSerializer):
    supplier = CompanyBriefSerializer(read_only=True)
    supplier_id = VisiblePKField(
        source="supplier",
        queryset=Company.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    traveler_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = BOMItem
        fields = [
            "id",
            "traveler_id",
            "line",
            "part_number",
            "description",
            "quantity_per_unit",
            "unit",
            "reference_designators",
            "supplier",
            "supplier_id",
            "cut_length_mm",
            "piece_count",
            "status",
        ]
        read_only_fields = ["status"]
        extra_kwargs = {"line": {"required": False}}


class AddBOMItemSerializer(BOMItemSerializer):
    """A BOM line for POST /travelers/<id>/bom; the reason is needed once released."""

    reason = serializers.CharField(required=False, allow_blank=True, write_only=True)

    class Meta(BOMItemSerializer.Meta):
        fields = [*BOMItemSerializer.Meta.fields, "reason"]


class SetBOMItemStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=BOMItemStatus.choices)


class ProcessStepSerializer(serializers.ModelSerializer):
    traveler = TravelerBriefSerializer(read_only=True)
    completed_by = UserBriefSerializer(read_only=True)
    signed_off_by = UserBriefSerializer(read_only=True)
    is_cleared = serializers.BooleanField(read_only=True)
    awaiting_signoff = serializers.BooleanField(read_only=True)

    class Meta:
        model = ProcessStep
        fields = [
            "id",
            "traveler",
            "sequence",
            "operation",
            "work_centre",
            "instructions",
            "standard_minutes",
            "required",
            "requires_signoff",
            "requires_coating",
            "status",
            "skip_reason",
            "quantity_passed",
            "quantity_failed",
            "started_at",
            "completed_at",
            "completed_by",
            "signed_off_by",
            "signed_off_at",
            "is_cleared",
            "awaiting_signoff",
        ]
        read_only_fields = fields


class NestedProcessStepSerializer(ProcessStepSerializer):
    class Meta(ProcessStepSerializer.Meta):
        fields = [f for f in ProcessStepSerializer.Meta.fields if f != "traveler"]
        read_only_fields = fields


class StopLabourSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=0, default=0)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class CompleteStepSerializer(serializers.Serializer):
    quantity_passed = serializers.IntegerField(min_value=0)
    quantity_failed = serializers.IntegerField(min_value=0, default=0)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class OptionalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class LaborLogSerializer(serializers.ModelSerializer):
    traveler = TravelerBriefSerializer(read_only=True)
    step = ProcessStepBriefSerializer(read_only=True)
    step_id = VisiblePKField(
        source="step", queryset=ProcessStep.objects.all(), write_only=True
    )
    operator = UserBriefSerializer(read_only=True)
    edited_by = UserBriefSerializer(read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    reason = serializers.CharField(write_only=True, required=False)

    class Meta:
        model = LaborLog
        fields = [
            "id",
            "traveler",
            "step",
            "step_id",
            "operator",
            "started_at",
            "stopped_at",
            "minutes",
            "quantity",
            "notes",
            "is_open",
            "edited_by",
            "edited_at",
            "edit_reason",
            "reason",
        ]
        read_only_fields = ["minutes", "edited_at", "edit_reason"]
        extra_kwargs = {"started_at": {"required": False}}


class CoatingLogSerializer(serializers.ModelSerializer):
    traveler = TravelerBriefSerializer(read_only=True)
    step = ProcessStepBriefSerializer(read_only=True)
    step_id = VisiblePKField(
        source="step", queryset=ProcessStep.objects.all(), write_only=True
    )
    operator = UserBriefSerializer(read_only=True)
    inspector = UserBriefSerializer(read_only=True)

    class Meta:
        model = CoatingLog
        fields = [
            "id",
            "traveler",
            "step",
            "step_id",
            "coating_type",
            "material_lot",
            "thickness_um",
            "cure_minutes",
            "cure_temperature_c",
            "humidity_pct",
            "operator",
            "inspector",
            "result",
            "notes",
            "recorded_at",
        ]
        read_only_fields = ["recorded_at"]


class InspectionSerializer(serializers.ModelSerializer):
    traveler = TravelerBriefSerializer(read_only=True)
    step = ProcessStepBriefSerializer(read_only=True)
    step_id = VisiblePKField(
        source="step", queryset=ProcessStep.objects.all(), write_only=True
    )
    inspector = UserBriefSerializer(read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "traveler",
            "step",
            "step_id",
            "result",
            "quantity_inspected",
            "defect_count",
            "defects",
            "disposition",
            "notes",
            "inspector",
            "inspected_at",
        ]
        read_only_fields = ["inspected_at"]


class RevisionHistorySerializer(serializers.ModelSerializer):
    actor = UserBriefSerializer(read_only=True)
    changes = serializers.DictField(
        child=serializers.ListField(allow_null=True), read_only=True
    )

    class Meta:
        model = RevisionHistory
        fields = [
            "id",
            "subject",
            "object_id",
            "object_repr",
            "action",
            "changes",
            "reason",
            "actor",
            "change_request",
            "created_at",
        ]
        read_only_fields = fields


class ChangeRequestSerializer(serializers.ModelSerializer):
    traveler = TravelerBriefSerializer(read_only=True)
    traveler_id = VisiblePKField(
        source="traveler", queryset=Traveler.objects.all(), write_only=True
    )
    action = serializers.ChoiceField(
        choices=ChangeRequestAction.choices, default=ChangeRequestAction.UPDATE
    )
    changes = serializers.DictField(required=False, default=dict)
    requested_by = UserBriefSerializer(read_only=True)
    decided_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "traveler",
            "traveler_id",
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
        ]
        read_only_fields = [
            "status",
            "requested_at",
            "decided_at",
            "decision_note",
        ]


class DecideChangeSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- travelers ---------------------------------------------------------------------


class TravelerSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:traveler-detail")
    purchase_order = PurchaseOrderBriefSerializer(read_only=True)
    purchase_order_id = VisiblePKField(
        source="purchase_order",
        queryset=PurchaseOrder.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    po_line_id = VisiblePKField(
        source="po_line",
        queryset=PurchaseOrderLine.objects.all(),
        required=False,
        allow_null=True,
    )
    customer = CompanyBriefSerializer(read_only=True)
    customer_id = VisiblePKField(
        source="customer",
        queryset=Company.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    traveler_type = TravelerTypeBriefSerializer(read_only=True)
    traveler_type_id = serializers.PrimaryKeyRelatedField(
        source="traveler_type",
        queryset=TravelerType.objects.filter(active=True),
        write_only=True,
    )
    created_by = UserBriefSerializer(read_only=True)
    released_by = UserBriefSerializer(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    step_count = serializers.IntegerField(read_only=True, default=0)
    steps_finished = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Traveler
        fields = [
            "id",
            "url",
            "number",
            "purchase_order",
            "purchase_order_id",
            "po_line_id",
            "customer",
            "customer_id",
            "traveler_type",
            "traveler_type_id",
            "part_number",
            "revision",
            "description",
            "quantity",
            "status",
            "priority",
            "due_date",
            "notes",
            "hold_reason",
            "is_overdue",
            "step_count",
            "steps_finished",
            "bom_source",
            "created_by",
            "released_by",
            "released_at",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "number",
            "status",
            "hold_reason",
            "bom_source",
            "released_at",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "part_number": {"required": False},
            "quantity": {"required": False},
        }

    def validate(self, attrs):
        if self.instance is None and not attrs.get("po_line"):
            errors = {}
            if not attrs.get("part_number"):
                errors["part_number"] = _("Give a part number or a PO line.")
            if not attrs.get("quantity"):
                errors["quantity"] = _("Give a quantity or a PO line.")
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class TravelerDetailSerializer(TravelerSerializer):
    """A traveler with its BOM, steps, logs and history (GET /travelers/<id>)."""

    bom_items = BOMItemSerializer(many=True, read_only=True)
    steps = NestedProcessStepSerializer(many=True, read_only=True)
    labor_logs = LaborLogSerializer(many=True, read_only=True)
    coating_logs = CoatingLogSerializer(many=True, read_only=True)
    inspections = InspectionSerializer(many=True, read_only=True)
    revisions = RevisionHistorySerializer(many=True, read_only=True)
    change_requests = ChangeRequestSerializer(many=True, read_only=True)

    # Shop-floor records are internal: a portal customer sees progress only.
    INTERNAL = (
        "bom_items",
        "labor_logs",
        "coating_logs",
        "inspections",
        "revisions",
        "change_requests",
    )

    class Meta(TravelerSerializer.Meta):
        fields = [
            *TravelerSerializer.Meta.fields,
            "bom_items",
            "steps",
            "labor_logs",
            "coating_logs",
            "inspections",
            "revisions",
            "change_requests",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and request.user.is_portal:
            for name in self.INTERNAL:
                data.pop(name, None)
        return data


# --- reports (response shapes, for the schema) ----------------------------------


class WorkCentreCountSerializer(serializers.Serializer):
    work_centre = serializers.CharField()
    label = serializers.CharField()
    in_progress = serializers.IntegerField()


class DashboardStatsSerializer(serializers.Serializer):
    by_status = serializers.DictField(child=serializers.IntegerField())
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    due_next_7_days = serializers.IntegerField()
    completed_last_30_days = serializers.IntegerField()
    running_timers = serializers.IntegerField()
    awaiting_signoff = serializers.IntegerField()
    pending_change_requests = serializers.IntegerField()
    wip_by_work_centre = WorkCentreCountSerializer(many=True)


class CompletionDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    completed = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()


class TravelerCompletionSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    completed = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    on_time_rate = serializers.DecimalField(
        max_digits=6, decimal_places=2, allow_null=True
    )
    average_lead_days = serializers.DecimalField(
        max_digits=10, decimal_places=2, allow_null=True
    )
    days = CompletionDaySerializer(many=True)


class EfficiencyRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    logs = serializers.IntegerField()
    quantity = serializers.IntegerField()
    actual_minutes = serializers.DecimalField(max_digits=14, decimal_places=2)
    standard_minutes = serializers.DecimalField(max_digits=14, decimal_places=2)
    efficiency_pct = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True
    )
    variance_minutes = serializers.DecimalField(max_digits=14, decimal_places=2)


class LaborEfficiencySerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    logs = serializers.IntegerField()
    actual_minutes = serializers.DecimalField(max_digits=14, decimal_places=2)
    standard_minutes = serializers.DecimalField(max_digits=14, decimal_places=2)
    efficiency_pct = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True
    )
    by_operation = EfficiencyRowSerializer(many=True)
    by_operator = EfficiencyRowSerializer(many=True)
    by_work_centre = EfficiencyRowSerializer(many=True)


class CoatingTypeRowSerializer(serializers.Serializer):
    coating_type = serializers.CharField()
    label = serializers.CharField()
    total = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    pass_rate = serializers.DecimalField(
        max_digits=6, decimal_places=2, allow_null=True
    )


class CoatingWaitingSerializer(serializers.Serializer):
    traveler = serializers.CharField()
    traveler_id = serializers.IntegerField()
    step_id = serializers.IntegerField()
    sequence = serializers.IntegerField()
    operation = serializers.CharField()
    step_status = serializers.CharField()
    has_passing_coating = serializers.BooleanField()
    due_date = serializers.DateField(allow_null=True)


class CoatingStatusSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    total = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    pass_rate = serializers.DecimalField(
        max_digits=6, decimal_places=2, allow_null=True
    )
    by_type = CoatingTypeRowSerializer(many=True)
    waiting = CoatingWaitingSerializer(many=True)


class ReportRangeSerializer(serializers.Serializer):
    """The date range of a report (defaults: the last 30 days)."""

    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, attrs):
        if (
            attrs.get("date_from")
            and attrs.get("date_to")
            and attrs["date_from"] > attrs["date_to"]
        ):
            raise serializers.ValidationError(
                {"date_from": _("The start is after the end.")}
            )
        if attrs.get("date_from") and attrs.get("date_to"):
            if (attrs["date_to"] - attrs["date_from"]).days > 366:
                raise serializers.ValidationError(
                    {"date_to": _("The range is limited to one year.")}
                )
        return attrs
