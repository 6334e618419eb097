"""Side concern only: remove stored files once their rows are deleted (also when
an article or session is deleted and its rows go by cascade)."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import ArticleAttachment, SessionDocument


def _remove_file_after_commit(instance) -> None:
    storage, name = instance.file.storage, instance.file.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@receiver(
    post_delete, sender=ArticleAttachment, dispatch_uid="knowledge-attachment-file"
)
def remove_attachment_file(sender, instance, **kwargs) -> None:
    _remove_file_after_commit(instance)


@receiver(post_delete, sender=SessionDocument, dispatch_uid="knowledge-document-file")
def remove_document_file(sender, instance, **kwargs) -> None:
    _remove_file_after_commit(instance)
