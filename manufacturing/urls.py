from django.urls import path

from . import views

app_name = "manufacturing"

urlpatterns = [
    path("", views.traveler_list, name="traveler_list"),
    path("travelers/<int:pk>/", views.traveler_detail, name="traveler_detail"),
    path(
        "travelers/<int:pk>/<slug:name>/",
        views.traveler_action,
        name="traveler_action",
    ),
    path("travelers/<int:pk>/print", views.traveler_print, name="traveler_print"),
    path("travelers/<int:pk>/pdf", views.traveler_pdf, name="traveler_pdf"),
    path(
        "change-requests/<int:pk>/<slug:name>/",
        views.change_request_action,
        name="change_request_action",
    ),
    path("station/", views.station, name="station"),
    path("station/scan/", views.station_scan, name="station_scan"),
    path(
        "station/steps/<int:step_pk>/<slug:name>/",
        views.station_action,
        name="station_action",
    ),
    path("reports/", views.report_page, name="reports"),
    path("reports/<slug:kind>.csv", views.report_csv, name="report_csv"),
]
