"""Writes of article attachments: checked uploads and their text extraction."""

import hashlib
import logging

from django.db import transaction
from django.utils import timezone

from ..choices import ExtractionStatus
from ..extraction import ExtractionError, extract_text
from ..models import Article, ArticleAttachment
from ..search import index_article
from ..uploads import EXTRACTABLE_KINDS, kind_for, safe_filename, validate_upload

logger = logging.getLogger(__name__)


@transaction.atomic
def add_article_attachment(article: Article, *, upload, by) -> ArticleAttachment:
    """Store a checked upload under a random name and queue its text extraction."""
    kind = validate_upload(upload)
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = ArticleAttachment(
        article=article,
        original_name=safe_filename(upload.name),
        content_type=kind.content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
        extraction_status=initial_extraction_status(kind),
    )
    attachment.file.save(attachment.original_name, upload, save=False)
    attachment.save()
    Article.objects.filter(pk=article.pk).update(updated_at=timezone.now())
    if attachment.extraction_status == ExtractionStatus.PENDING:
        from ..tasks import extract_attachment_text_task

        transaction.on_commit(
            lambda: _queue(extract_attachment_text_task, attachment.pk)
        )
    return attachment


def initial_extraction_status(kind) -> str:
    """PENDING for a kind whose text is extracted, else SKIPPED."""
    if kind.name in EXTRACTABLE_KINDS:
        return ExtractionStatus.PENDING
    return ExtractionStatus.SKIPPED


def _queue(task, pk: int) -> None:
    """With the broker down, extract in this process (size-capped) rather than fail
    the upload that is already saved, or leave its text PENDING for good."""
    from kombu.exceptions import OperationalError as BrokerError

    try:
        task.delay(pk)
    except BrokerError as exc:
        logger.warning("broker unavailable (%s): extracting %s inline", exc, pk)
        task.apply(args=(pk,), throw=False)


def _extract_into(obj) -> None:
    kind = kind_for(obj.original_name)
    if kind is None or kind.name not in EXTRACTABLE_KINDS:
        obj.text, obj.extraction_status, obj.extraction_error = (
            "",
            ExtractionStatus.SKIPPED,
            "",
        )
        return
    try:
        with obj.file.open("rb") as handle:
            data = handle.read()
        obj.text = extract_text(data, kind.name)
        obj.extraction_status, obj.extraction_error = ExtractionStatus.DONE, ""
    except (ExtractionError, OSError) as exc:
        obj.text, obj.extraction_status = "", ExtractionStatus.FAILED
        obj.extraction_error = str(exc)[:300]


@transaction.atomic
def extract_attachment_text(attachment: ArticleAttachment) -> ArticleAttachment:
    """Read the file's text and re-index its article; safe to run again."""
    _extract_into(attachment)
    attachment.save(update_fields=["text", "extraction_status", "extraction_error"])
    index_article(attachment.article_id)
    return attachment


@transaction.atomic
def delete_attachment(attachment: ArticleAttachment) -> None:
    article_id = attachment.article_id
    attachment.delete()
    index_article(article_id)
