from rest_framework.routers import SimpleRouter

from .views import ProjectViewSet, TaskViewSet, ThreadViewSet

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("tasks", TaskViewSet, basename="task")
router.register("threads", ThreadViewSet, basename="thread")
