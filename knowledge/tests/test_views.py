import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role
from knowledge.choices import ArticleVisibility
from knowledge.models import Article, AssistantSession
from knowledge.services import add_article_attachment, update_article
from knowledge.tests.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db

PAGES_EXPECTED = {
    "client_a": {"portal", "only_a"},
    "client_b": {"portal", "only_b"},
    "reader": {"internal", "portal", "only_a", "only_b"},
}


@pytest.fixture
def page_clients(world, reader, portal_user_for):
    clients = {}
    for name, user in {
        "client_a": portal_user_for(world["a"]),
        "client_b": portal_user_for(world["b"]),
        "reader": reader,
    }.items():
        client = Client()
        client.force_login(user)
        clients[name] = client
    return clients


@pytest.fixture
def editor_client(editor):
    client = Client()
    client.force_login(editor)
    return client


@pytest.mark.parametrize("who", PAGES_EXPECTED)
def test_pages_respect_visibility(world, page_clients, editor, who):
    client = page_clients[who]
    expected = PAGES_EXPECTED[who]
    home = client.get(reverse("knowledge:home")).content.decode()
    results = client.get(reverse("knowledge:search"), {"q": "zebra"}).content.decode()
    for key in ("internal", "portal", "only_a", "only_b", "draft"):
        article = world[key]
        attachment = add_article_attachment(
            article, upload=SimpleUploadedFile("f.txt", b"data"), by=editor
        )
        visible = key in expected
        assert (article.title in home) == visible, key
        assert (article.title in results) == visible, key
        detail = client.get(article.get_absolute_url())
        assert detail.status_code == (200 if visible else 404), key
        download = client.get(
            reverse("knowledge:attachment_download", args=[attachment.pk])
        )
        assert download.status_code == (200 if visible else 404), key


def test_staff_without_view_permission_is_refused(make_user, world):
    client = Client()
    client.force_login(make_user())  # staff user with no role
    assert client.get(reverse("knowledge:home")).status_code == 403


def test_clients_cannot_edit_or_see_history(world, page_clients):
    client = page_clients["client_a"]
    slug = world["portal"].slug
    assert client.get(reverse("knowledge:article_create")).status_code == 403
    assert client.get(reverse("knowledge:article_edit", args=[slug])).status_code == 403
    assert (
        client.get(reverse("knowledge:article_history", args=[slug])).status_code == 403
    )
    response = client.post(
        reverse("knowledge:article_restore", args=[slug]), {"version": 1}
    )
    assert response.status_code == 403


def test_article_page_renders_and_counts_views(editor_client):
    article = ArticleFactory(body="# Heading\n\nSome *text*")
    response = editor_client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "<h1>Heading</h1>" in response.content.decode()
    article.refresh_from_db()
    assert article.view_count == 1


def test_xss_in_body_is_inert_on_the_page(editor_client):
    article = ArticleFactory(
        title="<script>alert('t')</script>",
        body="<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))",
    )
    html = editor_client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert" not in html
    assert "onerror" not in html
    assert "javascript:" not in html


def test_editor_creates_and_publishes_through_the_form(editor_client):
    category = CategoryFactory()
    response = editor_client.post(
        reverse("knowledge:article_create"),
        {
            "title": "Map a network drive",
            "body": "Use **File Explorer**.",
            "summary": "",
            "category": category.pk,
            "status": "draft",
            "visibility": "portal",
            "publish": "1",
        },
    )
    assert response.status_code == 302
    article = Article.objects.get(title="Map a network drive")
    assert article.status == "published" and article.published_version.number == 1
    response = editor_client.post(
        reverse("knowledge:article_edit", args=[article.slug]),
        {"title": article.title, "body": "Use **net use**.", "status": "published",
         "visibility": "portal", "note": "cli", "save": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == "Use **File Explorer**."  # draft version pending
    assert article.latest_version.body == "Use **net use**."
    page = editor_client.get(reverse("knowledge:article_edit", args=[article.slug]))
    assert "Use **net use**." in page.content.decode()  # editor starts from the draft


def test_form_errors_are_shown_not_500(editor_client):
    response = editor_client.post(
        reverse("knowledge:article_create"),
        {"title": "X", "status": "published", "visibility": "companies"},
    )
    assert response.status_code == 200
    assert "Choose at least one company" in response.content.decode()


def test_preview_renders_sanitised_markdown(editor_client):
    response = editor_client.post(
        reverse("knowledge:preview"),
        {"body": "**bold** <script>x()</script>"},
        HTTP_HX_REQUEST="true",
    )
    assert "<strong>bold</strong>" in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_history_diff_and_restore(editor_client, editor):
    article = ArticleFactory(title="Diff me", body="line one\nline two", author=editor)
    update_article(article, by=editor, body="line one\nline <b>2</b>", publish=True)
    history = editor_client.get(
        reverse("knowledge:article_history", args=[article.slug])
    )
    assert history.status_code == 200 and "v2" in history.content.decode()
    diff = editor_client.get(
        reverse("knowledge:article_diff", args=[article.slug]), {"a": 1, "b": 2}
    ).content.decode()
    assert "line two" in diff
    assert "line &lt;b&gt;2&lt;/b&gt;" in diff  # escaped, never rendered
    assert 'class="removed"' in diff and 'class="added"' in diff
    response = editor_client.post(
        reverse("knowledge:article_restore", args=[article.slug]),
        {"version": 1, "publish": "on"},
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == "line one\nline two" and article.version_count == 3


def test_vote_by_htmx(world, page_clients):
    response = page_clients["client_a"].post(
        reverse("knowledge:article_vote", args=[world["portal"].slug]),
        {"helpful": "yes"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Yes (1)" in response.content.decode()


def test_upload_page_refuses_bad_file_with_message(editor_client):
    article = ArticleFactory()
    response = editor_client.post(
        reverse("knowledge:attachment_upload", args=[article.slug]),
        {"file": SimpleUploadedFile("x.exe", b"MZ")},
        follow=True,
    )
    assert response.status_code == 200
    assert "not allowed" in response.content.decode()


def test_suggest_partial_respects_visibility(world, page_clients):
    html = (
        page_clients["client_b"]
        .get(reverse("knowledge:suggest"), {"text": "zebra is broken"})
        .content.decode()
    )
    assert world["portal"].title in html and world["only_b"].title in html
    assert world["only_a"].title not in html and world["internal"].title not in html


def test_assistant_chat_page_flow(world, page_clients):
    client = page_clients["client_a"]
    response = client.post(reverse("knowledge:assistant"))
    session = AssistantSession.objects.get()
    assert response.url == reverse("knowledge:assistant_session", args=[session.pk])
    response = client.post(
        reverse("knowledge:assistant_ask", args=[session.pk]),
        {"content": "zebra procedure?"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert world["portal"].title in html
    assert world["only_b"].title not in html and world["internal"].title not in html
    page = client.get(reverse("knowledge:assistant_session", args=[session.pk]))
    assert "zebra procedure?" in page.content.decode()
    other = page_clients["client_b"]
    assert (
        other.get(reverse("knowledge:assistant_session", args=[session.pk])).status_code
        == 404
    )


def test_home_and_search_queries_do_not_grow(
    editor_client, django_assert_max_num_queries
):
    def make(n):
        for _ in range(n):
            ArticleFactory(
                category=CategoryFactory(), visibility=ArticleVisibility.PORTAL
            )

    make(2)
    for url in (reverse("knowledge:home"), reverse("knowledge:search") + "?q=article"):
        with CaptureQueriesContext(connection) as few:
            assert editor_client.get(url).status_code == 200
        make(5)
        with django_assert_max_num_queries(len(few)):
            editor_client.get(url)


def test_nav_items_for_staff_and_portal(world, page_clients, make_user):
    from nexus.navigation import nav_for

    client_user = make_user(Role.CLIENT, company=world["a"])
    labels = {str(item["label"]) for item in nav_for(client_user)}
    assert {"Knowledge base", "Assistant"} <= labels


def test_suggested_articles_template_tag(world, rf, portal_user_for):
    from django.template import Context, Template

    request = rf.get("/tickets/new/")
    request.user = portal_user_for(world["a"])
    html = Template("{% load knowledge %}{% suggested_articles text %}").render(
        Context({"request": request, "text": "zebra on fire"})
    )
    assert world["portal"].title in html and world["only_a"].title in html
    assert world["only_b"].title not in html
    assert f"(http://testserver{world['portal'].get_absolute_url()})" in html
