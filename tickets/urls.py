from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("new/", views.ticket_create, name="ticket_create"),
    path("bulk/", views.ticket_bulk, name="ticket_bulk"),
    path(
        "attachments/<uuid:uuid>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("<str:number>/", views.ticket_detail, name="ticket_detail"),
    path("<str:number>/reply/", views.ticket_reply, name="ticket_reply"),
    path("<str:number>/time/", views.ticket_log_time, name="ticket_log_time"),
    path("<str:number>/status/", views.ticket_transition, name="ticket_transition"),
    path("<str:number>/assign/", views.ticket_assign, name="ticket_assign"),
    path("<str:number>/update/", views.ticket_update, name="ticket_update"),
]
