from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("assets", views.AssetViewSet, basename="asset")
router.register("software", views.SoftwareViewSet, basename="software")
router.register("licences", views.LicenceViewSet, basename="licence")
router.register(
    "licence-assignments",
    views.LicenceAssignmentViewSet,
    basename="licence-assignment",
)
