from django.urls import path

from . import views

app_name = "companies"

urlpatterns = [
    path("", views.company_list, name="company_list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("my/", views.my_company, name="my_company"),
    path("add/", views.company_create, name="company_create"),
    path("<int:account_number>/", views.company_detail, name="company_detail"),
    path("<int:account_number>/edit/", views.company_update, name="company_update"),
    path(
        "<int:account_number>/credits/add/",
        views.company_credits_add,
        name="company_credits_add",
    ),
]
