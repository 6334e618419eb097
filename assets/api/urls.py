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

# Fleet monitoring (issue 9).
from .fleet_views import (  # noqa: E402
    AgentViewSet,
    AlertRuleViewSet,
    EnrolmentTokenViewSet,
    FleetAgentViewSet,
    FleetAlertViewSet,
    FleetJobViewSet,
    JobScheduleViewSet,
)

router.register("fleet", FleetAgentViewSet, basename="fleet")
router.register("enrolment-tokens", EnrolmentTokenViewSet, basename="enrolment-token")
router.register("agents", AgentViewSet, basename="agent")
router.register("fleet-jobs", FleetJobViewSet, basename="fleet-job")
router.register("job-schedules", JobScheduleViewSet, basename="job-schedule")
router.register("fleet-alerts", FleetAlertViewSet, basename="fleet-alert")
router.register("alert-rules", AlertRuleViewSet, basename="alert-rule")
