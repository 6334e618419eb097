from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("comments", views.CommentViewSet, basename="comment")
router.register("attachments", views.AttachmentViewSet, basename="attachment")
router.register("time-entries", views.TimeEntryViewSet, basename="timeentry")
router.register(
    "canned-responses", views.CannedResponseViewSet, basename="cannedresponse"
)
router.register("sla-policies", views.SlaPolicyViewSet, basename="slapolicy")
