from django.urls import path

from . import views

app_name = "assets"

urlpatterns = [
    path("", views.asset_list, name="asset_list"),
    path("export.csv", views.asset_export, name="asset_export"),
    path("<int:pk>/", views.asset_detail, name="asset_detail"),
    path("licences/", views.licence_list, name="licence_list"),
]
