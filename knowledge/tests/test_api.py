import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from knowledge.choices import ArticleVisibility
from knowledge.models import Article, ArticleAttachment
from knowledge.services import add_article_attachment
from knowledge.tests.conftest import make_pdf
from knowledge.tests.factories import ArticleFactory, CategoryFactory, TagFactory

pytestmark = pytest.mark.django_db

ALL = {"internal", "portal", "only_a", "only_b", "draft"}
# who -> the articles of `world` they may see
EXPECTED = {
    "editor": ALL,
    "reader": {"internal", "portal", "only_a", "only_b"},
    "client_a": {"portal", "only_a"},
    "client_b": {"portal", "only_b"},
}


@pytest.fixture
def users(world, editor, reader, portal_user_for):
    return {
        "editor": editor,
        "reader": reader,
        "client_a": portal_user_for(world["a"]),
        "client_b": portal_user_for(world["b"]),
    }


def _titles(world, keys):
    return {world[k].title for k in keys}


@pytest.mark.parametrize("who", EXPECTED)
def test_visibility_matrix_list_search_detail(world, users, api_for, who):
    api = api_for(users[who])
    expected = _titles(world, EXPECTED[who])
    listed = {row["title"] for row in api.get("/api/knowledge").json()["results"]}
    assert listed == expected
    found = {
        row["title"] for row in api.get("/api/knowledge?q=zebra").json()["results"]
    }
    assert found == expected
    by_filter = api.get("/api/knowledge", {"visibility": "companies"}).json()["results"]
    assert {r["title"] for r in by_filter} == expected & _titles(
        world, {"only_a", "only_b"}
    )
    for key in ALL:
        response = api.get(f"/api/knowledge/{world[key].pk}")
        assert response.status_code == (200 if key in EXPECTED[who] else 404), key


@pytest.mark.parametrize("who", EXPECTED)
def test_visibility_matrix_attachments(world, users, api_for, editor, who):
    attachments = {
        key: add_article_attachment(
            world[key],
            upload=SimpleUploadedFile(f"{key}.txt", b"secret " + key.encode()),
            by=editor,
        )
        for key in ALL
    }
    api = api_for(users[who])
    for key, attachment in attachments.items():
        listing = api.get(f"/api/knowledge/{world[key].pk}/attachments")
        download = api.get(
            f"/api/knowledge/{world[key].pk}/attachments/{attachment.pk}"
        )
        visible = key in EXPECTED[who]
        assert listing.status_code == (200 if visible else 404)
        assert download.status_code == (200 if visible else 404)
        if visible:
            assert b"".join(download.streaming_content) == b"secret " + key.encode()
            assert download["Content-Disposition"].startswith("attachment;")
            assert download["X-Content-Type-Options"] == "nosniff"


def test_attachment_of_another_article_is_not_reachable_through_a_visible_one(
    world, users, api_for, editor
):
    hidden = add_article_attachment(
        world["only_b"], upload=SimpleUploadedFile("b.txt", b"b only"), by=editor
    )
    api = api_for(users["client_a"])
    response = api.get(f"/api/knowledge/{world['portal'].pk}/attachments/{hidden.pk}")
    assert response.status_code == 404


def test_client_cannot_write(world, users, api_for):
    api = api_for(users["client_a"])
    assert api.post("/api/knowledge", {"title": "x"}).status_code == 403
    assert (
        api.patch(f"/api/knowledge/{world['portal'].pk}", {"title": "x"}).status_code
        == 403
    )
    assert (
        api.post(
            f"/api/knowledge/{world['portal'].pk}/restore", {"version": 1}
        ).status_code
        == 403
    )
    upload = SimpleUploadedFile("a.txt", b"x")
    response = api.post(
        f"/api/knowledge/{world['portal'].pk}/attachments",
        {"file": upload},
        format="multipart",
    )
    assert response.status_code == 403
    assert api.get(f"/api/knowledge/{world['portal'].pk}/versions").status_code == 403


def test_create_update_versions_restore_flow(tech_api, technician):
    category, tag = CategoryFactory(), TagFactory()
    response = tech_api.post(
        "/api/knowledge",
        {
            "title": "Reset a password",
            "body": "Use **ADUC**.",
            "category_id": category.pk,
            "tag_ids": [tag.pk],
            "status": "published",
            "visibility": "portal",
        },
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["version"] == 1 and data["slug"] == "reset-a-password"
    assert "<strong>ADUC</strong>" in data["body_html"]
    pk = data["id"]
    # A change to a published article waits as a draft version…
    response = tech_api.patch(
        f"/api/knowledge/{pk}", {"body": "Use the portal.", "note": "new way"}
    )
    assert response.status_code == 200
    assert response.json()["body"] == "Use **ADUC**."
    assert response.json()["latest_version"] == 2
    assert response.json()["has_unpublished_changes"] is True
    # …until it is published.
    response = tech_api.post(f"/api/knowledge/{pk}/publish")
    assert response.json()["body"] == "Use the portal."
    versions = tech_api.get(f"/api/knowledge/{pk}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["note"] == "new way"
    response = tech_api.post(
        f"/api/knowledge/{pk}/restore", {"version": 1, "publish": True}
    )
    assert response.status_code == 200
    assert (
        response.json()["body"] == "Use **ADUC**." and response.json()["version"] == 3
    )
    assert tech_api.get(f"/api/knowledge/{pk}/versions/3").json()["restored_from"] == 1
    assert tech_api.get(f"/api/knowledge/{pk}/versions/9").status_code == 404


def test_bad_input_is_400_with_fields(tech_api):
    response = tech_api.post("/api/knowledge", {"title": "", "status": "nope"})
    assert response.status_code == 400
    assert {"title", "status"} <= set(response.json())
    response = tech_api.post(
        "/api/knowledge", {"title": "x", "visibility": "companies"}
    )
    assert response.status_code == 400
    assert "companies" in response.json()
    article = ArticleFactory()
    response = tech_api.post(f"/api/knowledge/{article.pk}/restore", {"version": 42})
    assert response.status_code == 400 and "version" in response.json()


def test_company_ids_are_scoped_to_what_the_writer_sees(tech_api):
    response = tech_api.post(
        "/api/knowledge",
        {"title": "x", "visibility": "companies", "company_ids": [999999]},
    )
    assert response.status_code == 400 and "company_ids" in response.json()


def test_upload_and_attachment_text_is_searchable(
    tech_api, django_capture_on_commit_callbacks
):
    article = ArticleFactory(title="Scanner setup", body="Nothing special here.")
    with django_capture_on_commit_callbacks(execute=True):
        response = tech_api.post(
            f"/api/knowledge/{article.pk}/attachments",
            {
                "file": SimpleUploadedFile(
                    "manual.pdf", make_pdf("Configure the kookaburra scanner")
                )
            },
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    listing = tech_api.get(f"/api/knowledge/{article.pk}/attachments").json()
    assert listing[0]["extraction_status"] == "done"
    found = tech_api.get("/api/knowledge?q=kookaburra").json()["results"]
    assert [row["id"] for row in found] == [article.pk]


def test_upload_with_wrong_content_is_400(tech_api):
    article = ArticleFactory()
    response = tech_api.post(
        f"/api/knowledge/{article.pk}/attachments",
        {"file": SimpleUploadedFile("x.pdf", b"<script>alert(1)</script>")},
        format="multipart",
    )
    assert response.status_code == 400 and "file" in response.json()


def test_vote(world, users, api_for):
    api = api_for(users["client_a"])
    response = api.post(f"/api/knowledge/{world['portal'].pk}/vote", {"helpful": True})
    assert response.json() == {
        "helpful": True,
        "helpful_count": 1,
        "unhelpful_count": 0,
    }
    assert (
        api.post(
            f"/api/knowledge/{world['only_b'].pk}/vote", {"helpful": True}
        ).status_code
        == 404
    )
    assert api.post(f"/api/knowledge/{world['portal'].pk}/vote", {}).status_code == 400


def test_search_snippet_is_highlighted_and_escaped(tech_api):
    ArticleFactory(
        title="Escaping", body="Use `<script>alert(1)</script>` with the platypus tool."
    )
    row = tech_api.get("/api/knowledge?q=platypus").json()["results"][0]
    assert "<mark>platypus</mark>" in row["snippet"]
    assert "<script>" not in row["snippet"]


def test_filters_by_category_tree_and_tag(tech_api):
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    tag = TagFactory(slug="printers")
    in_child = ArticleFactory(category=child, tags=[tag])
    ArticleFactory()
    ids = [
        r["id"]
        for r in tech_api.get("/api/knowledge", {"category": parent.pk}).json()[
            "results"
        ]
    ]
    assert ids == [in_child.pk]
    ids = [
        r["id"]
        for r in tech_api.get("/api/knowledge", {"tag": "printers"}).json()["results"]
    ]
    assert ids == [in_child.pk]


def test_categories_and_tags_endpoints(tech_api, api_for, make_user, world):
    parent = tech_api.post(
        "/api/knowledge-categories", {"name": "Net", "slug": "net"}
    ).json()
    child = tech_api.post(
        "/api/knowledge-categories",
        {"name": "VPN", "slug": "vpn", "parent_id": parent["id"]},
    ).json()
    response = tech_api.patch(
        f"/api/knowledge-categories/{parent['id']}", {"parent_id": child["id"]}
    )
    assert response.status_code == 400
    assert (
        tech_api.post(
            "/api/knowledge-tags", {"name": "Wi-Fi", "slug": "wifi"}
        ).status_code
        == 201
    )
    client = api_for(make_user(Role.CLIENT, company=world["a"]))
    assert client.get("/api/knowledge-tags").status_code == 200
    assert (
        client.post("/api/knowledge-tags", {"name": "x", "slug": "x"}).status_code
        == 403
    )


def test_article_list_queries_do_not_grow(
    tech_api, django_assert_max_num_queries, world
):
    def make(n):
        for _ in range(n):
            ArticleFactory(
                visibility=ArticleVisibility.COMPANIES,
                companies=[world["a"]],
                tags=[TagFactory()],
                category=CategoryFactory(),
            )

    make(2)
    with CaptureQueriesContext(connection) as few:
        assert tech_api.get("/api/knowledge").status_code == 200
    make(5)
    with django_assert_max_num_queries(len(few)):
        tech_api.get("/api/knowledge")
    with CaptureQueriesContext(connection) as few:
        tech_api.get("/api/knowledge?q=article")
    make(5)
    with django_assert_max_num_queries(len(few)):
        tech_api.get("/api/knowledge?q=article")


def test_portal_list_queries_do_not_grow(
    world, portal_api_for, django_assert_max_num_queries
):
    api = portal_api_for(world["a"])
    with CaptureQueriesContext(connection) as few:
        api.get("/api/knowledge")
    for _ in range(5):
        ArticleFactory(visibility=ArticleVisibility.PORTAL)
    with django_assert_max_num_queries(len(few)):
        api.get("/api/knowledge")


def test_delete_needs_manager_and_removes_rows(world, api_for, make_user, tech_api):
    assert tech_api.delete(f"/api/knowledge/{world['internal'].pk}").status_code == 403
    manager = api_for(make_user(Role.MANAGER))
    assert manager.delete(f"/api/knowledge/{world['internal'].pk}").status_code == 204
    assert not Article.objects.filter(pk=world["internal"].pk).exists()
    assert not ArticleAttachment.objects.filter(
        article_id=world["internal"].pk
    ).exists()


def test_client_does_not_learn_other_companies_or_their_assets(
    world, portal_api_for, editor
):
    from assets.tests.factories import AssetFactory
    from knowledge.services import update_article

    asset_a, asset_b = (
        AssetFactory(company=world["a"]),
        AssetFactory(company=world["b"]),
    )
    update_article(
        world["only_a"],
        by=editor,
        companies=[world["a"], world["b"]],
        related_assets=[asset_a, asset_b],
    )
    data = portal_api_for(world["a"]).get(f"/api/knowledge/{world['only_a'].pk}").json()
    assert [c["id"] for c in data["companies"]] == [world["a"].pk]
    assert [a["id"] for a in data["related_assets"]] == [asset_a.pk]
    assert "Beta" not in str(data) and asset_b.hostname not in str(data)
