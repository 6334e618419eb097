"""Storage clean-up only: when an attachment row goes (directly, or with its
comment or ticket), its file is removed from storage after the commit."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Attachment


@receiver(post_delete, sender=Attachment, dispatch_uid="tickets-attachment-file")
def remove_attachment_file(sender, instance: Attachment, **kwargs) -> None:
    if not instance.file:
        return
    storage, name = instance.file.storage, instance.file.name
    transaction.on_commit(lambda: storage.delete(name))
