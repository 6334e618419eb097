from rest_framework.routers import SimpleRouter

from .views import SyncJobViewSet, SyncRunViewSet

router = SimpleRouter()
router.register("sync-jobs", SyncJobViewSet, basename="sync-job")
router.register("sync-runs", SyncRunViewSet, basename="sync-run")
