from rest_framework.routers import SimpleRouter

from .views import ProjectViewSet, TaskTimeEntryViewSet, TaskViewSet, ThreadViewSet

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("tasks", TaskViewSet, basename="task")
router.register("threads", ThreadViewSet, basename="thread")
router.register("task-time-entries", TaskTimeEntryViewSet, basename="tasktimeentry")
