import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from knowledge.choices import ProviderKind
from knowledge.models import Article, ArticleVersion, ArticleVote, ProviderConfig
from knowledge.rendering import diff_lines, python_snippet, render_markdown
from knowledge.tests.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<svg onload=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
]


@pytest.mark.parametrize("source", XSS)
def test_markdown_xss_is_inert(source):
    html = render_markdown(source).lower()
    assert "<script" not in html
    assert "onerror" not in html and "onload" not in html
    assert "javascript:" not in html
    assert "<iframe" not in html and "style=" not in html


def test_markdown_keeps_useful_markup():
    html = render_markdown(
        "# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```\n\n[x](https://e.test)"
    )
    assert "<table>" in html and "<pre><code>" in html
    assert 'href="https://e.test"' in html and "noopener" in html


def test_snippet_escapes_body_html():
    snippet = python_snippet("before <script>x</script> the walrus after", "walrus")
    assert "<script>" not in snippet and "<mark>walrus</mark>" in snippet


def test_diff_lines_kinds():
    lines = diff_lines("a\nb\nc", "a\nB\nc")
    kinds = [(line.kind, line.text) for line in lines]
    assert (
        ("removed", "b") in kinds and ("added", "B") in kinds and ("same", "a") in kinds
    )


def test_version_numbers_are_unique_per_article(editor):
    article = ArticleFactory(author=editor)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleVersion.objects.create(article=article, number=1, title="dup")


def test_one_vote_per_user(editor):
    article = ArticleFactory(author=editor)
    ArticleVote.objects.create(article=article, user=editor, helpful=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleVote.objects.create(article=article, user=editor, helpful=False)


def test_status_constraint(editor):
    article = ArticleFactory(author=editor)
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(status="bogus")


def test_category_cannot_contain_itself():
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    parent.parent = child
    with pytest.raises(ValidationError):
        parent.full_clean()
    assert child.descendant_ids() == {child.pk}
    assert parent.descendant_ids() == {parent.pk, child.pk}


def test_only_one_active_provider():
    ProviderConfig.objects.create(name="a", is_active=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProviderConfig.objects.create(name="b", is_active=True)


def test_http_provider_needs_url_and_model():
    config = ProviderConfig(name="x", kind=ProviderKind.OPENAI)
    with pytest.raises(ValidationError):
        config.full_clean()


def test_absolute_urls(editor):
    article = ArticleFactory(title="Hello there", author=editor)
    assert article.get_absolute_url() == "/kb/articles/hello-there/"
