import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.choices import ExtractionStatus
from knowledge.models import ArticleAttachment
from knowledge.services import add_article_attachment
from knowledge.tasks import extract_attachment_text_task, extract_document_text_task
from knowledge.tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_extract_task_is_idempotent(editor):
    article = ArticleFactory(author=editor)
    attachment = add_article_attachment(
        article, upload=SimpleUploadedFile("a.md", b"# Otter\n\ntext"), by=editor
    )
    assert attachment.extraction_status == ExtractionStatus.PENDING
    extract_attachment_text_task(attachment.pk)
    extract_attachment_text_task(attachment.pk)
    attachment.refresh_from_db()
    assert attachment.extraction_status == ExtractionStatus.DONE
    assert attachment.text.startswith("# Otter")


def test_extract_task_for_a_deleted_row_does_nothing():
    extract_attachment_text_task(987654)
    extract_document_text_task(987654)


def test_broken_pdf_is_marked_failed(editor):
    article = ArticleFactory(author=editor)
    attachment = add_article_attachment(
        article, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 garbage"), by=editor
    )
    extract_attachment_text_task(attachment.pk)
    attachment.refresh_from_db()
    assert attachment.extraction_status == ExtractionStatus.FAILED
    assert attachment.extraction_error


def test_images_are_skipped(editor):
    article = ArticleFactory(author=editor)
    attachment = add_article_attachment(
        article,
        upload=SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20),
        by=editor,
    )
    assert attachment.extraction_status == ExtractionStatus.SKIPPED
    assert ArticleAttachment.objects.count() == 1


def test_docx_bomb_is_refused(editor):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<a>" + "A" * (60 * 1024 * 1024) + "</a>")
    article = ArticleFactory(author=editor)
    attachment = add_article_attachment(
        article, upload=SimpleUploadedFile("bomb.docx", buffer.getvalue()), by=editor
    )
    extract_attachment_text_task(attachment.pk)
    attachment.refresh_from_db()
    assert attachment.extraction_status == ExtractionStatus.FAILED
    assert "too much" in attachment.extraction_error
