"""Celery tasks: thin adapters around knowledge.services (STYLE R16)."""

from celery import shared_task

from .models import ArticleAttachment, SessionDocument
from .services import extract_attachment_text, extract_document_text

# A hostile PDF can make pypdf slow: give up rather than hold a worker.
EXTRACTION_LIMITS = {"soft_time_limit": 60, "time_limit": 90}


@shared_task(acks_late=True, **EXTRACTION_LIMITS)
def extract_attachment_text_task(attachment_id: int) -> None:
    """Extract an attachment's text and re-index its article. Running it twice
    extracts the same text again and leaves the same index."""
    attachment = ArticleAttachment.objects.filter(pk=attachment_id).first()
    if attachment is not None:
        extract_attachment_text(attachment)


@shared_task(acks_late=True, **EXTRACTION_LIMITS)
def extract_document_text_task(document_id: int) -> None:
    """Extract an assistant session document's text; idempotent like the above."""
    document = SessionDocument.objects.filter(pk=document_id).first()
    if document is not None:
        extract_document_text(document)
