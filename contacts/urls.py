from django.urls import path

from . import views

app_name = "contacts"

urlpatterns = [
    path("", views.contact_list, name="contact_list"),
    path("export.csv", views.contact_export, name="contact_export"),
    path("<int:pk>/", views.contact_detail, name="contact_detail"),
]
