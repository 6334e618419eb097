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

# Networks and hosts (issue 9).
from .network_views import HostViewSet, NetworkViewSet  # noqa: E402

router.register("networks", NetworkViewSet, basename="network")
router.register("hosts", HostViewSet, basename="host")
