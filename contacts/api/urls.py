from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("professionals", views.ProfessionalViewSet, basename="professional")
