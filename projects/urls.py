from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("my-tasks/", views.my_tasks, name="my_tasks"),
    path("<int:pk>/", views.project_detail, name="project_detail"),
    path("<int:pk>/board/", views.project_board, name="project_board"),
    path("<int:pk>/time/", views.project_log_time, name="project_log_time"),
    path("tasks/<int:pk>/move/", views.task_move, name="task_move"),
    path("time/<int:pk>/delete/", views.time_delete, name="time_delete"),
    path("threads/", views.thread_list, name="thread_list"),
    path("threads/<int:pk>/", views.thread_detail, name="thread_detail"),
    path(
        "threads/<int:pk>/messages/",
        views.thread_post_message,
        name="thread_post_message",
    ),
    path("threads/<int:pk>/files/", views.thread_share_file, name="thread_share_file"),
    path("threads/<int:pk>/invite/", views.thread_invite, name="thread_invite"),
    path("files/<int:pk>/download/", views.file_download, name="file_download"),
]
