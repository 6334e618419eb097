from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import reports, services
from ..choices import ChangeRequestAction, RevisionSubject
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
from .filters import (
    BOMItemFilterSet,
    ChangeRequestFilterSet,
    CoatingLogFilterSet,
    InspectionFilterSet,
    LaborLogFilterSet,
    ProcessStepFilterSet,
    PurchaseOrderFilterSet,
    PurchaseOrderLineFilterSet,
    RevisionHistoryFilterSet,
    TravelerFilterSet,
)
from .serializers import (
    AddBOMItemSerializer,
    BOMItemSerializer,
    BOMTemplateLineSerializer,
    BOMTemplateSerializer,
    ChangeRequestSerializer,
    CoatingLogSerializer,
    CoatingStatusSerializer,
    CompleteStepSerializer,
    DashboardStatsSerializer,
    DecideChangeSerializer,
    InspectionSerializer,
    LaborEfficiencySerializer,
    LaborLogSerializer,
    OptionalReasonSerializer,
    ProcessStepSerializer,
    PurchaseOrderLineSerializer,
    PurchaseOrderSerializer,
    ReasonSerializer,
    ReportRangeSerializer,
    RevisionHistorySerializer,
    RoutingOperationSerializer,
    SetBOMItemStatusSerializer,
    StopLabourSerializer,
    TravelerCompletionSerializer,
    TravelerDetailSerializer,
    TravelerSerializer,
    TravelerTypeSerializer,
)


class CanViewModel(permissions.BasePermission):
    """For workflow actions: the caller must be able to see the resource; the
    service then checks the permission of the action itself (start, sign-off…)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        model = view.queryset.model
        return user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")


class ProtectedDestroyMixin:
    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError:
            raise ValidationError(
                _("This row is still used by travelers and cannot be deleted.")
            ) from None


class ScopedViewSetMixin:
    model = None

    def get_queryset(self):
        return self.queryset.model.objects.visible_to(self.request.user).for_api()


def _payload(view, serializer_class, request):
    payload = serializer_class(data=request.data, context=view.get_serializer_context())
    payload.is_valid(raise_exception=True)
    return payload.validated_data


def _respond(view, serializer_class, instance, status_code=status.HTTP_200_OK):
    """An action's answer: the row as `serializer_class` renders it."""
    data = serializer_class(instance, context=view.get_serializer_context()).data
    return Response(data, status=status_code)


class RecordViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    # Rows that are listed, read and recorded (never deleted): POST goes through
    # `record(subject, by=user, **fields)`, where `subject_field` names the subject.
    # (A comment, not a docstring: drf-spectacular would describe every subclass
    # with it.)
    subject_field = "step"
    record = None  # staticmethod(services.…)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = self.record(
            data.pop(self.subject_field), by=self.request.user, **data
        )


# --- purchase orders ------------------------------------------------------------


class PurchaseOrderViewSet(
    ProtectedDestroyMixin, ScopedViewSetMixin, viewsets.ModelViewSet
):
    queryset = PurchaseOrder.objects.none()
    serializer_class = PurchaseOrderSerializer
    filterset_class = PurchaseOrderFilterSet
    search_fields = ["po_number", "customer__name", "lines__part_number"]
    ordering_fields = ["po_number", "order_date", "due_date"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.create_purchase_order(
            by=self.request.user, lines=data.pop("lines", []), **data
        )


class PurchaseOrderLineViewSet(
    ProtectedDestroyMixin, ScopedViewSetMixin, viewsets.ModelViewSet
):
    queryset = PurchaseOrderLine.objects.none()
    serializer_class = PurchaseOrderLineSerializer
    filterset_class = PurchaseOrderLineFilterSet
    search_fields = ["part_number", "description"]

    def perform_create(self, serializer):
        po = serializer.validated_data.get("purchase_order")
        if po is None:
            raise ValidationError({"purchase_order_id": _("This field is required.")})
        if not serializer.validated_data.get("line"):
            serializer.validated_data["line"] = po.lines.count() + 1
        serializer.save()


# --- templates ---------------------------------------------------------------------


class TravelerTypeViewSet(
    ProtectedDestroyMixin, ScopedViewSetMixin, viewsets.ModelViewSet
):
    queryset = TravelerType.objects.none()
    serializer_class = TravelerTypeSerializer
    search_fields = ["code", "name"]
    filterset_fields = ["active", "code"]


class RoutingOperationViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    queryset = RoutingOperation.objects.none()
    serializer_class = RoutingOperationSerializer
    filterset_fields = ["traveler_type", "work_centre"]


class BOMTemplateViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    queryset = BOMTemplate.objects.none()
    serializer_class = BOMTemplateSerializer
    search_fields = ["part_number", "description"]
    filterset_fields = ["part_number", "revision"]


class BOMTemplateLineViewSet(viewsets.ModelViewSet):
    queryset = BOMTemplateLine.objects.none()
    serializer_class = BOMTemplateLineSerializer
    filterset_fields = ["template"]

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated or user.is_portal:
            return BOMTemplateLine.objects.none()
        return BOMTemplateLine.objects.select_related("template", "supplier")


# --- travelers ---------------------------------------------------------------------


class TravelerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Travelers: list with filters, create (draft), edit, and the workflow actions."""

    queryset = Traveler.objects.none()
    serializer_class = TravelerSerializer
    filterset_class = TravelerFilterSet
    search_fields = [
        "number",
        "part_number",
        "description",
        "purchase_order__po_number",
    ]
    ordering_fields = ["number", "due_date", "priority", "created_at", "status"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        travelers = Traveler.objects.visible_to(self.request.user)
        if self.action in ("retrieve", "bom"):
            return travelers.with_details().with_progress()
        return travelers.for_api()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return TravelerDetailSerializer
        return super().get_serializer_class()

    def _detail(self, traveler, status_code=status.HTTP_200_OK):
        fresh = (
            Traveler.objects.visible_to(self.request.user)
            .with_details()
            .with_progress()
            .get(pk=traveler.pk)
        )
        return _respond(self, TravelerDetailSerializer, fresh, status_code)

    @extend_schema(responses={201: TravelerDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        traveler = services.create_traveler(
            by=request.user, **serializer.validated_data
        )
        return self._detail(traveler, status.HTTP_201_CREATED)

    @extend_schema(responses=TravelerDetailSerializer)
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        traveler = self.get_object()
        serializer = self.get_serializer(traveler, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        for name in ("purchase_order", "po_line", "customer"):
            if name in fields:
                raise ValidationError(
                    {f"{name}_id": _("Set when the traveler is created.")}
                )
        traveler = services.update_traveler(traveler, by=request.user, **fields)
        return self._detail(traveler)

    @extend_schema(responses=TravelerTypeSerializer(many=True))
    @action(
        detail=False,
        methods=["get"],
        url_path="types",
        permission_classes=[CanViewModel],
        pagination_class=None,
        filterset_class=None,
        filter_backends=[],
    )
    def types(self, request):
        """The traveler types (PCB, Parts, Assembly, Cable) with their default routing."""
        types = TravelerType.objects.visible_to(request.user).filter(active=True)
        serializer = TravelerTypeSerializer(
            types.for_api(), many=True, context=self.get_serializer_context()
        )
        return Response(serializer.data)

    @extend_schema(
        methods=["GET"], responses=BOMItemSerializer(many=True), request=None
    )
    @extend_schema(
        methods=["POST"],
        request=AddBOMItemSerializer,
        responses={201: BOMItemSerializer, 202: ChangeRequestSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=[CanViewModel],
        serializer_class=AddBOMItemSerializer,
        pagination_class=None,
        filterset_class=None,
    )
    def bom(self, request, pk=None):
        """The traveler's BOM; POST adds a line (a change request once released)."""
        traveler = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            return Response(
                BOMItemSerializer(
                    traveler.bom_items.all(), many=True, context=context
                ).data
            )
        data = _payload(self, AddBOMItemSerializer, request)
        reason = data.pop("reason", "")
        if traveler.status == "draft":
            item = services.add_bom_item(traveler, by=request.user, **data)
            return Response(
                BOMItemSerializer(item, context=context).data,
                status=status.HTTP_201_CREATED,
            )
        if not reason:
            raise ValidationError(
                {
                    "reason": _(
                        "The traveler is released: give a reason; the line is added "
                        "when an engineer approves the change."
                    )
                }
            )
        changes = {
            name: (value.pk if hasattr(value, "pk") else value)
            for name, value in data.items()
        }
        cr = services.request_change(
            traveler,
            by=request.user,
            subject=RevisionSubject.BOM_ITEM,
            action=ChangeRequestAction.ADD,
            changes=changes,
            reason=reason,
        )
        return Response(
            ChangeRequestSerializer(cr, context=context).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(request=None, responses=TravelerDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanViewModel])
    def release(self, request, pk=None):
        """Release a draft: snapshot its BOM and routing."""
        return self._detail(
            services.release_traveler(self.get_object(), by=request.user)
        )

    @extend_schema(request=ReasonSerializer, responses=TravelerDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanViewModel])
    def hold(self, request, pk=None):
        data = _payload(self, ReasonSerializer, request)
        return self._detail(
            services.hold_traveler(self.get_object(), by=request.user, **data)
        )

    @extend_schema(request=OptionalReasonSerializer, responses=TravelerDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanViewModel])
    def resume(self, request, pk=None):
        data = _payload(self, OptionalReasonSerializer, request)
        return self._detail(
            services.resume_traveler(self.get_object(), by=request.user, **data)
        )

    @extend_schema(request=ReasonSerializer, responses=TravelerDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanViewModel])
    def cancel(self, request, pk=None):
        data = _payload(self, ReasonSerializer, request)
        return self._detail(
            services.cancel_traveler(self.get_object(), by=request.user, **data)
        )


class BOMItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A traveler's BOM lines: engineers edit drafts, purchasing sets statuses."""

    queryset = BOMItem.objects.none()
    serializer_class = BOMItemSerializer
    filterset_class = BOMItemFilterSet
    search_fields = ["part_number", "description", "reference_designators"]

    def get_queryset(self):
        return BOMItem.objects.visible_to(self.request.user).for_api()

    def perform_update(self, serializer):
        serializer.instance = services.update_bom_item(
            serializer.instance, by=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.delete_bom_item(instance, by=self.request.user)

    @extend_schema(request=SetBOMItemStatusSerializer, responses=BOMItemSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="set-status",
        permission_classes=[CanViewModel],
    )
    def set_status(self, request, pk=None):
        """Purchasing: required → ordered → received → issued."""
        data = _payload(self, SetBOMItemStatusSerializer, request)
        item = services.set_bom_item_status(self.get_object(), by=request.user, **data)
        return _respond(self, BOMItemSerializer, item)


class ProcessStepViewSet(viewsets.ReadOnlyModelViewSet):
    """Traveler steps and the shop-floor actions: start, stop, complete, sign-off."""

    queryset = ProcessStep.objects.none()
    serializer_class = ProcessStepSerializer
    filterset_class = ProcessStepFilterSet
    search_fields = ["operation", "traveler__number"]

    def get_queryset(self):
        steps = ProcessStep.objects.visible_to(self.request.user)
        return steps.for_list() if self.action == "list" else steps.for_api()

    def _step(self, step):
        step = ProcessStep.objects.for_api().get(pk=step.pk)
        return _respond(self, ProcessStepSerializer, step)

    @extend_schema(request=None, responses={201: LaborLogSerializer})
    @action(detail=True, methods=["post"], permission_classes=[CanViewModel])
    def start(self, request, pk=None):
        """Start the caller's labour timer on this step (scan to start)."""
        log = services.start_labour(self.get_object(), by=request.user)
        return _respond(self, LaborLogSerializer, log, status.HTTP_201_CREATED)

    @extend_schema(request=StopLabourSerializer, responses=LaborLogSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanViewModel])
    def stop(self, request, pk=None):
        """Stop the caller's labour timer on this step (scan to stop)."""
        data = _payload(self, StopLabourSerializer, request)
        log = services.stop_labour(self.get_object(), by=request.user, **data)
        return _respond(self, LaborLogSerializer, log)

    @extend_schema(request=CompleteStepSerializer, responses=ProcessStepSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanViewModel])
    def complete(self, request, pk=None):
        data = _payload(self, CompleteStepSerializer, request)
        return self._step(
            services.complete_step(self.get_object(), by=request.user, **data)
        )

    @extend_schema(request=None, responses=ProcessStepSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="sign-off",
        permission_classes=[CanViewModel],
    )
    def sign_off(self, request, pk=None):
        return self._step(services.sign_off_step(self.get_object(), by=request.user))

    @extend_schema(request=ReasonSerializer, responses=ProcessStepSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanViewModel])
    def skip(self, request, pk=None):
        data = _payload(self, ReasonSerializer, request)
        return self._step(
            services.skip_step(self.get_object(), by=request.user, **data)
        )


class LaborLogViewSet(mixins.UpdateModelMixin, RecordViewSet):
    """Labour logs: POST starts a timer on a step; PATCH corrects a closed log."""

    queryset = LaborLog.objects.none()
    serializer_class = LaborLogSerializer
    filterset_class = LaborLogFilterSet
    ordering_fields = ["started_at", "stopped_at", "minutes"]

    def perform_create(self, serializer):
        serializer.instance = services.start_labour(
            serializer.validated_data["step"], by=self.request.user
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("step", None)
        reason = data.pop("reason", "")
        serializer.instance = services.edit_labor_log(
            serializer.instance, by=self.request.user, reason=reason, **data
        )

    @extend_schema(request=StopLabourSerializer, responses=LaborLogSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanViewModel])
    def stop(self, request, pk=None):
        log = self.get_object()
        if log.operator_id != request.user.pk:
            raise ValidationError(
                {"operator": _("Only the operator can stop this timer.")}
            )
        data = _payload(self, StopLabourSerializer, request)
        log = services.stop_labour(log.step, by=request.user, **data)
        return _respond(self, LaborLogSerializer, log)


class CoatingLogViewSet(RecordViewSet):
    queryset = CoatingLog.objects.none()
    serializer_class = CoatingLogSerializer
    filterset_class = CoatingLogFilterSet
    search_fields = ["material_lot", "traveler__number"]
    record = staticmethod(services.record_coating)


class InspectionViewSet(RecordViewSet):
    queryset = Inspection.objects.none()
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilterSet
    search_fields = ["defects", "traveler__number"]
    record = staticmethod(services.record_inspection)


class ChangeRequestViewSet(RecordViewSet):
    """Engineering changes to released travelers; an engineer approves or rejects."""

    queryset = ChangeRequest.objects.none()
    serializer_class = ChangeRequestSerializer
    filterset_class = ChangeRequestFilterSet
    subject_field = "traveler"
    record = staticmethod(services.request_change)

    @extend_schema(request=DecideChangeSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanViewModel])
    def approve(self, request, pk=None):
        data = _payload(self, DecideChangeSerializer, request)
        cr = services.approve_change(self.get_object(), by=request.user, **data)
        return _respond(self, ChangeRequestSerializer, cr)

    @extend_schema(request=DecideChangeSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanViewModel])
    def reject(self, request, pk=None):
        data = _payload(self, DecideChangeSerializer, request)
        cr = services.reject_change(self.get_object(), by=request.user, **data)
        return _respond(self, ChangeRequestSerializer, cr)


class RevisionHistoryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = RevisionHistory.objects.none()
    serializer_class = RevisionHistorySerializer
    filterset_class = RevisionHistoryFilterSet

    def get_queryset(self):
        return RevisionHistory.objects.visible_to(self.request.user).for_api()


# --- reports ---------------------------------------------------------------------


class CanViewReports(permissions.BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.has_perm("manufacturing.view_reports")
        )


RANGE_PARAMETERS = [
    OpenApiParameter(
        "date_from", type=str, description="YYYY-MM-DD (default: 30 days ago)"
    ),
    OpenApiParameter("date_to", type=str, description="YYYY-MM-DD (default: today)"),
]


class ManufacturingReportViewSet(viewsets.ViewSet):
    """Manufacturing reports (managers): /api/reports/<name>."""

    permission_classes = [CanViewReports]
    queryset = Traveler.objects.none()

    def _range(self, request):
        payload = ReportRangeSerializer(data=request.query_params)
        payload.is_valid(raise_exception=True)
        return reports.default_range(
            payload.validated_data.get("date_from"),
            payload.validated_data.get("date_to"),
        )

    @extend_schema(responses=DashboardStatsSerializer)
    @action(detail=False, methods=["get"], url_path="dashboard-stats")
    def dashboard_stats(self, request):
        data = reports.dashboard_stats(request.user)
        return Response(DashboardStatsSerializer(data).data)

    @extend_schema(parameters=RANGE_PARAMETERS, responses=TravelerCompletionSerializer)
    @action(detail=False, methods=["get"], url_path="traveler-completion")
    def traveler_completion(self, request):
        date_from, date_to = self._range(request)
        data = reports.traveler_completion(
            request.user, date_from=date_from, date_to=date_to
        )
        return Response(TravelerCompletionSerializer(data).data)

    @extend_schema(parameters=RANGE_PARAMETERS, responses=LaborEfficiencySerializer)
    @action(detail=False, methods=["get"], url_path="labor-efficiency")
    def labor_efficiency(self, request):
        date_from, date_to = self._range(request)
        data = reports.labor_efficiency(
            request.user, date_from=date_from, date_to=date_to
        )
        return Response(LaborEfficiencySerializer(data).data)

    @extend_schema(parameters=RANGE_PARAMETERS, responses=CoatingStatusSerializer)
    @action(detail=False, methods=["get"], url_path="coating-status")
    def coating_status(self, request):
        date_from, date_to = self._range(request)
        data = reports.coating_status(
            request.user, date_from=date_from, date_to=date_to
        )
        return Response(CoatingStatusSerializer(data).data)
