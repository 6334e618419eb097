import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from knowledge.models import Article, ProviderConfig
from knowledge.tests.factories import ArticleFactory, CategoryFactory, TagFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "admin:knowledge_article_changelist",
    "admin:knowledge_articleversion_changelist",
    "admin:knowledge_category_changelist",
    "admin:knowledge_tag_changelist",
    "admin:knowledge_articleattachment_changelist",
    "admin:knowledge_providerconfig_changelist",
    "admin:knowledge_assistantsession_changelist",
]


@pytest.mark.parametrize("name", CHANGELISTS)
def test_changelists_load(staff_client, name):
    ArticleFactory(category=CategoryFactory(), tags=[TagFactory()])
    assert staff_client.get(reverse(name)).status_code == 200


def test_article_changelist_queries_do_not_grow(
    staff_client, django_assert_max_num_queries
):
    def make(n):
        for _ in range(n):
            ArticleFactory(category=CategoryFactory())

    make(2)
    url = reverse("admin:knowledge_article_changelist")
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    make(5)
    with django_assert_max_num_queries(len(few)):
        staff_client.get(url)


def test_admin_edit_makes_a_version_and_publishes(staff_client, admin_user):
    article = ArticleFactory(title="Admin edit", body="v1", author=admin_user)
    url = reverse("admin:knowledge_article_change", args=[article.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url,
        {
            "title": "Admin edit",
            "slug": article.slug,
            "summary": "",
            "body": "v2 from admin",
            "note": "admin change",
            "status": "published",
            "visibility": "internal",
            "tags": [],
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
            "attachments-TOTAL_FORMS": "0",
            "attachments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.body == "v2 from admin" and article.version_count == 2
    assert article.latest_version.note == "admin change"


def test_admin_add_article(staff_client):
    response = staff_client.post(
        reverse("admin:knowledge_article_add"),
        {
            "title": "From admin",
            "slug": "from-admin",
            "body": "text",
            "status": "draft",
            "visibility": "internal",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
            "attachments-TOTAL_FORMS": "0",
            "attachments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    article = Article.objects.get(slug="from-admin")
    assert article.version_count == 1


def test_provider_admin_keeps_key_when_left_empty(staff_client):
    config = ProviderConfig.objects.create(
        name="P",
        kind="openai",
        base_url="https://llm.test/v1",
        model="m",
        api_key="sk-keep",
    )
    url = reverse("admin:knowledge_providerconfig_change", args=[config.pk])
    page = staff_client.get(url).content.decode()
    assert "sk-keep" not in page
    response = staff_client.post(
        url,
        {
            "name": "P",
            "kind": "openai",
            "base_url": "https://llm.test/v1",
            "model": "m2",
            "api_key": "",
            "timeout_seconds": 30,
            "max_passages": 5,
            "temperature": 0.2,
            "instructions": "",
        },
    )
    assert response.status_code == 302
    config.refresh_from_db()
    assert config.api_key == "sk-keep" and config.model == "m2"
