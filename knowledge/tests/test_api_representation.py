"""The article API's fast read path (issue 8's search latency) gives exactly
what DRF's own field-by-field serialization gives, for staff and for a client
(who must not learn other companies or their assets), searched or not."""

import datetime

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.api.serializers import UserBriefSerializer
from assets.tests.factories import AssetFactory
from knowledge.api.serializers import (
    ArticleSerializer,
    CategoryBriefSerializer,
    RelatedAssetSerializer,
    TagBriefSerializer,
)
from knowledge.choices import ArticleVisibility
from knowledge.models import Article
from knowledge.services import update_article
from knowledge.tests.factories import ArticleFactory, CategoryFactory, TagFactory
from nexus.representation import FastRepresentationMixin, related_rows
from tickets.api.serializers import TicketBriefSerializer
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _context(user, query: str = ""):
    path = "/api/knowledge" + (f"?q={query}" if query else "")
    request = Request(APIRequestFactory().get(path))
    request.user = user
    return {"request": request}


@pytest.fixture
def rich(world, admin_user, make_user):
    """A published article shared with both client companies, carrying every
    relation, with a draft version waiting on top of the published one."""
    owner = make_user("Technician", first_name="Olga", last_name="Owner")
    article = ArticleFactory(
        title="Zebra printer guide",
        summary="How to fix the zebra printer",
        body="Open the **zebra** tray.\n\nThen print.",
        visibility=ArticleVisibility.COMPANIES,
        companies=[world["a"], world["b"]],
        category=CategoryFactory(name="Printers"),
        tags=[TagFactory(name="hardware"), TagFactory(name="printing")],
        related_assets=[
            AssetFactory(company=world["a"], hostname="pc-a"),
            AssetFactory(company=world["b"], hostname="pc-b"),
        ],
        related_tickets=[
            TicketFactory(company=world["a"], title="Printer jam A"),
            TicketFactory(company=world["b"], title="Printer jam B"),
        ],
        owner=owner,
        review_by=datetime.date(2027, 1, 31),
        author=admin_user,
    )
    update_article(article, by=admin_user, body="A draft change.", note="wip")
    return Article.objects.get(pk=article.pk)


@pytest.mark.parametrize("who", ["staff", "client_a", "client_b"])
@pytest.mark.parametrize("query", ["", "zebra"])
def test_fast_article_representation_matches_drf(
    rich, world, admin_user, portal_user_for, who, query
):
    user = {
        "staff": admin_user,
        "client_a": portal_user_for(world["a"]),
        "client_b": portal_user_for(world["b"]),
    }[who]
    queryset = Article.objects.visible_to(user).for_api().with_tickets_for(user)
    if query:
        queryset = queryset.search(query)
    articles = list(queryset)
    assert rich.pk in [a.pk for a in articles]
    context = _context(user, query)
    for article in articles:
        fast = ArticleSerializer(context=context).to_representation(article)
        drf = super(FastRepresentationMixin, ArticleSerializer(context=context))
        expected = drf.to_representation(article)
        if user.is_portal:
            expected["companies"] = [
                c for c in expected["companies"] if c["id"] == user.company_id
            ]
            expected["related_assets"] = RelatedAssetSerializer(
                [
                    a
                    for a in article.related_assets.all()
                    if a.company_id == user.company_id
                ],
                many=True,
            ).data
        assert fast == expected
    data = ArticleSerializer(context=context).to_representation(
        next(a for a in articles if a.pk == rich.pk)
    )
    # What the comparison covers: every relation is filled in.
    assert data["category"]["name"] == "Printers"
    assert [t["name"] for t in data["tags"]] == ["hardware", "printing"]
    assert data["owner"]["display"]
    assert data["review_by"] == "2027-01-31"
    assert data["has_unpublished_changes"] is True
    assert data["latest_version"] == data["version"] + 1
    assert ("<mark>" in data["snippet"]) is bool(query)
    hosts = sorted(a["hostname"] for a in data["related_assets"])
    companies = sorted(c["id"] for c in data["companies"])
    tickets = sorted(t["title"] for t in data["related_tickets"])
    if who == "staff":
        assert hosts == ["pc-a", "pc-b"]
        assert companies == sorted([world["a"].pk, world["b"].pk])
        assert tickets == ["Printer jam A", "Printer jam B"]
    else:
        letter = who[-1]
        assert hosts == [f"pc-{letter}"]
        assert companies == [world[letter].pk]
        assert tickets == [f"Printer jam {letter.upper()}"]


@pytest.mark.parametrize(
    "serializer_class",
    [
        CategoryBriefSerializer,
        TagBriefSerializer,
        RelatedAssetSerializer,
        TicketBriefSerializer,
        UserBriefSerializer,
    ],
)
def test_fast_nested_representations_match_drf(rich, admin_user, serializer_class):
    instances = {
        CategoryBriefSerializer: [rich.category],
        TagBriefSerializer: list(rich.tags.all()),
        RelatedAssetSerializer: list(rich.related_assets.all()),
        TicketBriefSerializer: list(rich.related_tickets.all()),
        UserBriefSerializer: [rich.author, rich.owner],
    }[serializer_class]
    context = _context(admin_user)
    for instance in instances:
        fast = serializer_class(context=context).to_representation(instance)
        drf = super(FastRepresentationMixin, serializer_class(context=context))
        assert fast == drf.to_representation(instance)


def test_related_rows_reads_the_prefetch_without_a_query(
    rich, django_assert_num_queries
):
    article = Article.objects.prefetch_related("tags").get(pk=rich.pk)
    with django_assert_num_queries(0):
        names = [tag.name for tag in related_rows(article, "tags")]
    assert names == ["hardware", "printing"]
    plain = Article.objects.get(pk=rich.pk)
    with django_assert_num_queries(1):  # not prefetched: the manager's query
        assert [tag.name for tag in related_rows(plain, "tags")] == names
