from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")
    nav_items = (
        {
            "label": _("Projects"),
            "url": "projects:project_list",
            "perm": "projects.view_project",
            "portal": False,
            "order": 40,
        },
        {
            "label": _("My tasks"),
            "url": "projects:my_tasks",
            "perm": "projects.view_task",
            "portal": False,
            "order": 41,
        },
        {
            "label": _("Threads"),
            "url": "projects:thread_list",
            "perm": "projects.view_thread",
            "portal": True,
            "order": 42,
        },
    )
