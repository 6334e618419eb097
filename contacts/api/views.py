"""Contacts API: client contacts and the NEXO seed's professionals (STYLE R10)."""

from rest_framework import viewsets

from ..models import Contact
from .filters import ContactFilterSet
from .serializers import ContactSerializer, ProfessionalSerializer


class ContactViewSet(viewsets.ModelViewSet):
    """Contacts; a client sees only the contacts of its own company."""

    queryset = Contact.objects.none()  # scoped in get_queryset()
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    search_fields = ["name", "email", "title", "work_phone", "mobile_phone"]
    ordering_fields = ["name", "email", "created_at", "updated_at", "id"]

    def get_queryset(self):
        user = self.request.user
        return Contact.objects.visible_to(user).for_api(user)


class ProfessionalViewSet(ContactViewSet):
    """External professionals: contacts of kind `professional` (NEXO seed)."""

    serializer_class = ProfessionalSerializer

    def get_queryset(self):
        return super().get_queryset().professionals()
