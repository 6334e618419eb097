from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register(
    "purchase-orders", views.PurchaseOrderViewSet, basename="purchase-order"
)
router.register(
    "purchase-order-lines",
    views.PurchaseOrderLineViewSet,
    basename="purchase-order-line",
)
router.register("traveler-types", views.TravelerTypeViewSet, basename="traveler-type")
router.register(
    "routing-operations", views.RoutingOperationViewSet, basename="routing-operation"
)
router.register("bom-templates", views.BOMTemplateViewSet, basename="bom-template")
router.register(
    "bom-template-lines", views.BOMTemplateLineViewSet, basename="bom-template-line"
)
router.register("travelers", views.TravelerViewSet, basename="traveler")
router.register("bom-items", views.BOMItemViewSet, basename="bom-item")
router.register("process-steps", views.ProcessStepViewSet, basename="process-step")
router.register("labor-logs", views.LaborLogViewSet, basename="labor-log")
router.register("coating-logs", views.CoatingLogViewSet, basename="coating-log")
router.register("inspections", views.InspectionViewSet, basename="inspection")
router.register(
    "change-requests", views.ChangeRequestViewSet, basename="change-request"
)
router.register(
    "traveler-revisions", views.RevisionHistoryViewSet, basename="traveler-revision"
)
router.register(
    "reports", views.ManufacturingReportViewSet, basename="manufacturing-report"
)
