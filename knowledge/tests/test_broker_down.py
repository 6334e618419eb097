"""With the broker down an uploaded attachment is saved and its text still extracted."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from kombu.exceptions import OperationalError

from knowledge import tasks
from knowledge.choices import ExtractionStatus
from knowledge.services import add_article_attachment
from knowledge.tests.conftest import make_pdf
from knowledge.tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_attachment_upload_with_broker_down(
    editor, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(tasks.extract_attachment_text_task, "delay", refuse)
    article = ArticleFactory(author=editor)
    with django_capture_on_commit_callbacks(execute=True):
        pdf = add_article_attachment(
            article,
            upload=SimpleUploadedFile("guide.pdf", make_pdf("Quokka firmware")),
            by=editor,
        )
    pdf.refresh_from_db()
    assert pdf.extraction_status == ExtractionStatus.DONE
    assert "Quokka firmware" in pdf.text
