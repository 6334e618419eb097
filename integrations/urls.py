from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("", views.jobs, name="jobs"),
    path("jobs/<int:pk>/", views.job_update, name="job_update"),
    path("jobs/<int:pk>/run/", views.job_run, name="job_run"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run_progress"),
]
