import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.choices import ArticleStatus, ArticleVisibility, ExtractionStatus
from knowledge.models import Article, ArticleAttachment, ArticleVersion
from knowledge.services import (
    add_article_attachment,
    create_article,
    delete_article,
    publish_article,
    restore_article_version,
    suggest_articles,
    update_article,
    vote_article,
)
from knowledge.tests.conftest import make_docx, make_pdf
from knowledge.tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_create_article_makes_version_one_and_publishes(editor):
    article = create_article(
        title="Reset MFA", body="Steps **here**", author=editor, status="published"
    )
    assert article.slug == "reset-mfa"
    assert article.version_count == 1
    assert article.published_version.number == 1
    assert article.latest_version_id == article.published_version_id
    assert "<strong>here</strong>" in article.body_html
    assert article.body_text == "Steps here"


def test_create_article_slugs_are_unique(editor):
    first = create_article(title="Printer", author=editor)
    second = create_article(title="Printer", author=editor)
    assert (first.slug, second.slug) == ("printer", "printer-2")


def test_company_visibility_needs_companies(editor):
    with pytest.raises(ValidationError) as exc:
        create_article(title="X", author=editor, visibility=ArticleVisibility.COMPANIES)
    assert "companies" in exc.value.message_dict


def test_edit_of_published_article_waits_as_draft_until_published(editor):
    article = ArticleFactory(title="VPN", body="old body", author=editor)
    article = update_article(article, by=editor, body="new body", note="rewrite")
    article.refresh_from_db()
    assert article.body == "old body"  # readers still see version 1
    assert article.latest_version.number == 2
    assert article.latest_version.body == "new body"
    assert article.has_unpublished_changes
    article = publish_article(article, by=editor)
    article.refresh_from_db()
    assert article.body == "new body"
    assert article.published_version.number == 2
    assert not article.has_unpublished_changes


def test_edit_of_draft_shows_at_once(editor):
    article = ArticleFactory(body="one", author=editor, status=ArticleStatus.DRAFT)
    article = update_article(article, by=editor, body="two")
    assert article.body == "two"
    assert article.published_version is None


def test_metadata_change_makes_no_version(editor):
    article = ArticleFactory(author=editor)
    update_article(article, by=editor, visibility=ArticleVisibility.PORTAL)
    assert ArticleVersion.objects.filter(article=article).count() == 1


def test_update_rejects_unknown_fields(editor):
    article = ArticleFactory(author=editor)
    with pytest.raises(ValidationError) as exc:
        update_article(article, by=editor, view_count=5)
    assert "view_count" in exc.value.message_dict


def test_restore_creates_a_new_version(editor):
    article = ArticleFactory(title="T", body="first", author=editor)
    update_article(article, by=editor, body="second", publish=True)
    article = restore_article_version(article, number=1, by=editor, publish=True)
    article.refresh_from_db()
    assert list(article.versions.values_list("number", flat=True)) == [3, 2, 1]
    assert article.latest_version.restored_from == 1
    assert article.body == "first"


def test_restore_unknown_version_is_a_field_error(editor):
    article = ArticleFactory(author=editor)
    with pytest.raises(ValidationError) as exc:
        restore_article_version(article, number=9, by=editor)
    assert "version" in exc.value.message_dict


def test_vote_is_one_per_user_and_can_change(editor, reader):
    article = ArticleFactory(author=editor)
    vote_article(article, user=reader, helpful=True)
    vote_article(article, user=editor, helpful=True)
    vote_article(article, user=reader, helpful=False)
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (1, 1)


def test_attachment_text_is_extracted_from_pdf_and_docx(
    editor, django_capture_on_commit_callbacks
):
    article = ArticleFactory(author=editor)
    with django_capture_on_commit_callbacks(execute=True):
        pdf = add_article_attachment(
            article,
            upload=SimpleUploadedFile("guide.pdf", make_pdf("Quokka firmware")),
            by=editor,
        )
        docx = add_article_attachment(
            article,
            upload=SimpleUploadedFile("notes.docx", make_docx("Wombat checklist")),
            by=editor,
        )
    pdf.refresh_from_db()
    docx.refresh_from_db()
    assert pdf.extraction_status == ExtractionStatus.DONE
    assert "Quokka firmware" in pdf.text
    assert "Wombat checklist" in docx.text
    assert not pdf.file.name.endswith("guide.pdf")  # random storage name


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("evil.exe", b"MZ\x90\x00"),
        ("fake.pdf", b"<html><script>alert(1)</script>"),
        ("fake.png", b"%PDF-1.4"),
        ("fake.docx", b"PK\x03\x04not really a zip"),
        ("binary.txt", b"abc\x00def"),
        ("empty.txt", b""),
    ],
)
def test_bad_uploads_are_refused(editor, name, data):
    article = ArticleFactory(author=editor)
    with pytest.raises(ValidationError) as exc:
        add_article_attachment(
            article, upload=SimpleUploadedFile(name, data), by=editor
        )
    assert "file" in exc.value.message_dict


def test_upload_size_limit(editor, settings):
    settings.NEXUS_MAX_UPLOAD_BYTES = 10
    article = ArticleFactory(author=editor)
    with pytest.raises(ValidationError):
        add_article_attachment(
            article, upload=SimpleUploadedFile("a.txt", b"x" * 11), by=editor
        )


def test_deleting_an_article_removes_its_files(
    editor, django_capture_on_commit_callbacks
):
    article = ArticleFactory(author=editor)
    with django_capture_on_commit_callbacks(execute=True):
        attachment = add_article_attachment(
            article, upload=SimpleUploadedFile("a.txt", b"hello"), by=editor
        )
    storage, name = attachment.file.storage, attachment.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        delete_article(article)
    assert not storage.exists(name)
    assert not Article.objects.filter(pk=article.pk).exists()
    assert not ArticleAttachment.objects.exists()


def test_suggest_articles_respects_visibility(world, portal_user_for):
    client_a = portal_user_for(world["a"])
    titles = {a.title for a in suggest_articles("zebra printer broken", user=client_a)}
    assert titles == {"Portal zebra guide", "Alpha zebra notes"}
