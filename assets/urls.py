from django.urls import path

from . import views

app_name = "assets"

urlpatterns = [
    path("", views.asset_list, name="asset_list"),
    path("export.csv", views.asset_export, name="asset_export"),
    path("<int:pk>/", views.asset_detail, name="asset_detail"),
    path("licences/", views.licence_list, name="licence_list"),
]

# Networks and fleet monitoring (issue 9).
from . import fleet_pages, network_pages  # noqa: E402

urlpatterns += [
    path("networks/", network_pages.network_list, name="network_list"),
    path("networks/map/", network_pages.network_map, name="network_map"),
    path("networks/<int:pk>/", network_pages.network_detail, name="network_detail"),
    path(
        "networks/<int:pk>/hosts.csv",
        network_pages.network_export,
        name="network_export",
    ),
    path("networks/<int:pk>/claim/", network_pages.network_claim, name="network_claim"),
    path("networks/<int:pk>/bulk/", network_pages.network_bulk, name="network_bulk"),
    path("fleet/", fleet_pages.fleet_dashboard, name="fleet_dashboard"),
    path("fleet/scheduler/", fleet_pages.fleet_scheduler, name="fleet_scheduler"),
    path("fleet/agents/<int:pk>/", fleet_pages.fleet_agent, name="fleet_agent"),
    path(
        "fleet/agents/<int:pk>/status/",
        fleet_pages.fleet_agent_status,
        name="fleet_agent_status",
    ),
    path(
        "fleet/agents/<int:pk>/screenshot.png",
        fleet_pages.fleet_screenshot,
        name="fleet_screenshot",
    ),
    path(
        "fleet/jobs/<int:pk>/cancel/",
        fleet_pages.fleet_job_cancel,
        name="fleet_job_cancel",
    ),
    path(
        "fleet/schedules/<int:pk>/delete/",
        fleet_pages.fleet_schedule_delete,
        name="fleet_schedule_delete",
    ),
]
