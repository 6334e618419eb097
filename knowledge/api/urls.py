from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("knowledge", views.ArticleViewSet, basename="article")
router.register(
    "knowledge-categories", views.CategoryViewSet, basename="knowledge-category"
)
router.register("knowledge-tags", views.TagViewSet, basename="knowledge-tag")
router.register(
    "assistant/sessions", views.AssistantSessionViewSet, basename="assistant-session"
)
