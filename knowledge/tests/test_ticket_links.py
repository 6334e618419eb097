"""Articles linked to tickets (issue 8): services, API, admin, article page, the
ticket page's Knowledge panel and the insert-link helper, with the visibility
matrix (staff, client A, client B) and bad input."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from knowledge.models import Article
from knowledge.services import (
    link_article_to_ticket,
    set_article_tickets,
    unlink_article_from_ticket,
    update_article,
)
from knowledge.tests.factories import ArticleFactory
from tickets.choices import EventChannel, TicketEventKind
from tickets.models import TicketEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(world):
    return {
        "a": TicketFactory(company=world["a"], title="Alpha printer jam"),
        "b": TicketFactory(company=world["b"], title="Beta printer jam"),
    }


@pytest.fixture
def people(world, admin_user, portal_user_for):
    return {
        "staff": admin_user,
        "client_a": portal_user_for(world["a"]),
        "client_b": portal_user_for(world["b"]),
    }


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _link_events(ticket):
    return TicketEvent.objects.filter(
        ticket=ticket, kind=TicketEventKind.CHANGED, field="knowledge_articles"
    ).order_by("pk")


# --- services -------------------------------------------------------------


def test_link_article_records_event_once(world, tickets, admin_user):
    article, ticket = world["portal"], tickets["a"]
    link_article_to_ticket(article, ticket=ticket, by=admin_user, channel="page")
    link_article_to_ticket(article, ticket=ticket, by=admin_user, channel="page")
    assert list(article.related_tickets.all()) == [ticket]
    (event,) = _link_events(ticket)
    assert event.new_value == article.title and event.old_value == ""
    assert event.actor == admin_user and event.channel == EventChannel.PAGE
    # A portal article may be named to the client; an internal one may not.
    assert event.is_internal is False
    link_article_to_ticket(world["internal"], ticket=ticket, by=admin_user)
    assert _link_events(ticket).last().is_internal is True


def test_link_event_of_other_companys_article_is_internal(world, tickets, admin_user):
    link_article_to_ticket(world["only_b"], ticket=tickets["a"], by=admin_user)
    assert _link_events(tickets["a"]).get().is_internal is True
    link_article_to_ticket(world["only_a"], ticket=tickets["a"], by=admin_user)
    assert _link_events(tickets["a"]).last().is_internal is False


def test_unlink_records_event(world, tickets, admin_user):
    article, ticket = world["portal"], tickets["a"]
    link_article_to_ticket(article, ticket=ticket, by=admin_user)
    unlink_article_from_ticket(article, ticket=ticket, by=admin_user)
    unlink_article_from_ticket(article, ticket=ticket, by=admin_user)  # no-op
    assert not article.related_tickets.exists()
    events = list(_link_events(ticket))
    assert len(events) == 2
    assert events[1].old_value == article.title and events[1].new_value == ""


def test_link_rejects_ticket_outside_scope(world, tickets, editor):
    # A technician without a department sees only their own tickets.
    with pytest.raises(ValidationError) as caught:
        link_article_to_ticket(world["portal"], ticket=tickets["a"], by=editor)
    assert "ticket" in caught.value.message_dict
    assert not world["portal"].related_tickets.exists()


def test_link_rejects_article_the_user_cannot_read(world, tickets, reader):
    tickets["a"].assignee = reader
    tickets["a"].save()
    with pytest.raises(ValidationError) as caught:
        link_article_to_ticket(world["draft"], ticket=tickets["a"], by=reader)
    assert "article" in caught.value.message_dict


def test_set_tickets_keeps_links_outside_the_editors_scope(
    world, tickets, editor, admin_user
):
    article = world["portal"]
    own = TicketFactory(company=world["a"], assignee=editor)
    set_article_tickets(article, tickets=[tickets["b"]], by=admin_user)
    set_article_tickets(article, tickets=[own], by=editor, channel="api")
    assert set(article.related_tickets.all()) == {tickets["b"], own}
    set_article_tickets(article, tickets=[], by=editor)
    assert list(article.related_tickets.all()) == [tickets["b"]]
    assert [e.channel for e in _link_events(own)] == ["api", "page"]
    with pytest.raises(ValidationError):
        set_article_tickets(article, tickets=[tickets["a"]], by=editor)


def test_update_article_sets_tickets_without_new_version(world, tickets, admin_user):
    article = world["internal"]
    update_article(article, by=admin_user, related_tickets=[tickets["a"]])
    article.refresh_from_db()
    assert list(article.related_tickets.all()) == [tickets["a"]]
    assert article.version_count == 1


# --- API ------------------------------------------------------------------


def test_api_sets_related_ticket_ids_and_records_events(world, tickets, admin_api):
    article = world["portal"]
    response = admin_api.patch(
        f"/api/knowledge/{article.pk}",
        {"related_ticket_ids": [tickets["a"].pk, tickets["b"].pk]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    numbers = {t["number"] for t in response.json()["related_tickets"]}
    assert numbers == {tickets["a"].number, tickets["b"].number}
    assert _link_events(tickets["a"]).get().channel == EventChannel.API
    response = admin_api.patch(
        f"/api/knowledge/{article.pk}",
        {"related_ticket_ids": [tickets["b"].pk]},
        format="json",
    )
    assert [t["number"] for t in response.json()["related_tickets"]] == [
        tickets["b"].number
    ]
    assert _link_events(tickets["a"]).last().old_value == article.title


def test_api_create_with_tickets(tickets, admin_api):
    response = admin_api.post(
        "/api/knowledge",
        {
            "title": "Jammed printers",
            "body": "Open tray 2.",
            "status": "published",
            "related_ticket_ids": [tickets["a"].pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert [t["id"] for t in response.json()["related_tickets"]] == [tickets["a"].pk]
    assert _link_events(tickets["a"]).count() == 1


@pytest.mark.parametrize("bad", [[999999], ["x"], "nope"])
def test_api_rejects_unknown_ticket_ids(world, admin_api, bad):
    response = admin_api.patch(
        f"/api/knowledge/{world['portal'].pk}",
        {"related_ticket_ids": bad},
        format="json",
    )
    assert response.status_code == 400
    assert "related_ticket_ids" in response.json()
    assert not world["portal"].related_tickets.exists()


def test_api_rejects_ticket_outside_the_editors_scope(world, tickets, editor, api_for):
    response = api_for(editor).patch(
        f"/api/knowledge/{world['portal'].pk}",
        {"related_ticket_ids": [tickets["a"].pk]},
        format="json",
    )
    assert response.status_code == 400
    assert "related_ticket_ids" in response.json()
    assert not world["portal"].related_tickets.exists()


@pytest.mark.parametrize("who", ["client_a", "client_b"])
def test_api_client_cannot_set_tickets(world, tickets, people, api_for, who):
    response = api_for(people[who]).patch(
        f"/api/knowledge/{world['portal'].pk}",
        {"related_ticket_ids": [tickets["a"].pk]},
        format="json",
    )
    assert response.status_code == 403
    assert not world["portal"].related_tickets.exists()


SEES = {
    "staff": {"a", "b"},
    "client_a": {"a"},
    "client_b": {"b"},
}


@pytest.mark.parametrize("who", SEES)
def test_api_related_tickets_visibility_matrix(
    world, tickets, people, admin_user, api_for, who
):
    article = world["portal"]
    set_article_tickets(article, tickets=tickets.values(), by=admin_user)
    api = api_for(people[who])
    expected = {tickets[k].number for k in SEES[who]}
    detail = api.get(f"/api/knowledge/{article.pk}").json()
    assert {t["number"] for t in detail["related_tickets"]} == expected
    listed = api.get("/api/knowledge", {"q": "zebra"}).json()["results"]
    row = next(r for r in listed if r["id"] == article.pk)
    assert {t["number"] for t in row["related_tickets"]} == expected


def test_api_list_queries_do_not_grow_with_ticket_links(
    world, admin_user, admin_api, django_assert_max_num_queries
):
    def link(n):
        for article in Article.objects.all():
            set_article_tickets(
                article,
                tickets=[
                    *article.related_tickets.all(),
                    *TicketFactory.create_batch(n, company=world["a"]),
                ],
                by=admin_user,
            )

    link(1)
    with CaptureQueriesContext(connection) as few:
        admin_api.get("/api/knowledge")
    link(3)
    ArticleFactory.create_batch(3, author=admin_user)
    with django_assert_max_num_queries(len(few)):
        admin_api.get("/api/knowledge")


# --- admin ----------------------------------------------------------------


def test_admin_links_tickets_through_the_service(world, tickets, staff_client):
    article = world["internal"]
    url = reverse("admin:knowledge_article_change", args=[article.pk])
    page = staff_client.get(url).content.decode()
    assert 'name="related_tickets"' in page and "admin-autocomplete" in page
    response = staff_client.post(
        url,
        {
            "title": article.title,
            "slug": article.slug,
            "summary": "",
            "body": article.body,
            "status": "published",
            "visibility": "internal",
            "related_tickets": [tickets["a"].pk],
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
            "attachments-TOTAL_FORMS": "0",
            "attachments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(article.related_tickets.all()) == [tickets["a"]]
    assert _link_events(tickets["a"]).get().channel == EventChannel.ADMIN
    autocomplete = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "term": tickets["b"].number,
            "app_label": "knowledge",
            "model_name": "article",
            "field_name": "related_tickets",
        },
    )
    assert autocomplete.status_code == 200
    assert [r["id"] for r in autocomplete.json()["results"]] == [str(tickets["b"].pk)]


# --- pages ----------------------------------------------------------------


@pytest.mark.parametrize("who", SEES)
def test_article_page_lists_only_visible_tickets(
    world, tickets, people, admin_user, who
):
    article = world["portal"]
    set_article_tickets(article, tickets=tickets.values(), by=admin_user)
    html = _login(people[who]).get(article.get_absolute_url()).content.decode()
    for key, ticket in tickets.items():
        shown = f'href="{ticket.get_absolute_url()}"' in html
        assert shown == (key in SEES[who]), key


PANEL = {
    # who -> articles of `world` the Knowledge panel of ticket A shows them
    "staff": {"internal", "portal", "only_a", "only_b"},
    "client_a": {"portal", "only_a"},
}


@pytest.mark.parametrize("who", PANEL)
def test_ticket_page_knowledge_panel_visibility(
    world, tickets, people, admin_user, who
):
    for key in ("internal", "portal", "only_a", "only_b"):
        link_article_to_ticket(world[key], ticket=tickets["a"], by=admin_user)
    response = _login(people[who]).get(tickets["a"].get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="kb-ticket-knowledge"' in html
    for key in ("internal", "portal", "only_a", "only_b"):
        assert (world[key].get_absolute_url() in html) == (key in PANEL[who]), key
    staff = who == "staff"
    assert (
        reverse("knowledge:ticket_unlink", args=[tickets["a"].number]) in html
    ) is staff
    assert ('id="kb-insert-q"' in html) is staff
    assert ("knowledge/kb.js" in html) is staff
    # The client's timeline names only the articles it may read.
    assert (world["internal"].title in html) is staff


def test_client_b_cannot_open_client_a_ticket(tickets, people):
    response = _login(people["client_b"]).get(tickets["a"].get_absolute_url())
    assert response.status_code == 404


def test_staff_link_and_unlink_on_ticket_page(world, tickets, admin_user):
    client = _login(admin_user)
    number = tickets["a"].number
    article = world["portal"]
    response = client.post(
        reverse("knowledge:ticket_link", args=[number]),
        {"article": article.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="kb-ticket-knowledge"' in response.content.decode()
    assert article.get_absolute_url() in response.content.decode()
    assert list(article.related_tickets.all()) == [tickets["a"]]
    response = client.post(
        reverse("knowledge:ticket_unlink", args=[number]), {"article": article.pk}
    )
    assert response.status_code == 302
    assert response.url == tickets["a"].get_absolute_url()
    assert not article.related_tickets.exists()
    timeline = client.get(tickets["a"].get_absolute_url()).content.decode()
    assert timeline.count("knowledge_articles") == 2


@pytest.mark.parametrize(
    "data, status",
    [({}, 400), ({"article": "x"}, 400), ({"article": "999999"}, 404)],
)
def test_ticket_link_bad_input(world, tickets, admin_user, data, status):
    response = _login(admin_user).post(
        reverse("knowledge:ticket_link", args=[tickets["a"].number]), data
    )
    assert response.status_code == status
    assert not tickets["a"].knowledge_articles.exists()


def test_ticket_link_unknown_ticket_is_404(world, admin_user):
    response = _login(admin_user).post(
        reverse("knowledge:ticket_link", args=["T-NOPE"]),
        {"article": world["portal"].pk},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["client_a", "client_b"])
def test_clients_cannot_link_or_unlink(world, tickets, people, admin_user, who):
    link_article_to_ticket(world["portal"], ticket=tickets["a"], by=admin_user)
    client = _login(people[who])
    for name in ("knowledge:ticket_link", "knowledge:ticket_unlink"):
        response = client.post(
            reverse(name, args=[tickets["a"].number]), {"article": world["portal"].pk}
        )
        assert response.status_code == 403
    assert list(world["portal"].related_tickets.all()) == [tickets["a"]]


def test_reader_staff_cannot_link(world, tickets, reader):
    """Staff without the ticket change permission see no link controls."""
    response = _login(reader).post(
        reverse("knowledge:ticket_link", args=[tickets["a"].number]),
        {"article": world["portal"].pk},
    )
    assert response.status_code == 403


def test_technician_cannot_link_a_ticket_outside_scope(world, tickets, editor):
    response = _login(editor).post(
        reverse("knowledge:ticket_link", args=[tickets["a"].number]),
        {"article": world["portal"].pk},
    )
    assert response.status_code == 404


# --- insert-link helper -----------------------------------------------------


def test_insert_mode_lists_markdown_links_and_links_on_insert(
    world, tickets, admin_user, settings
):
    settings.NEXUS_BASE_URL = "https://nexus.example.com/"
    client = _login(admin_user)
    response = client.get(
        reverse("knowledge:suggest"),
        {"q": "zebra guide", "mode": "insert", "ticket": tickets["a"].number},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    link = f"[{world['portal'].title}](https://nexus.example.com{world['portal'].get_absolute_url()})"
    assert f'data-kb-insert="{link}"' in html
    assert 'data-kb-target="id_body"' in html
    assert reverse("knowledge:ticket_link", args=[tickets["a"].number]) in html
    assert "<script" not in html  # nothing inline (CSP)


def test_insert_link_escapes_brackets_in_titles(tickets, admin_user):
    article = ArticleFactory(title="Reset [admin] password", author=admin_user)
    html = (
        _login(admin_user)
        .get(
            reverse("knowledge:suggest"),
            {"q": "password", "mode": "insert", "ticket": tickets["a"].number},
            HTTP_HX_REQUEST="true",
        )
        .content.decode()
    )
    assert (
        f"[Reset \\[admin\\] password](http://testserver{article.get_absolute_url()})"
        in html
    )


def test_link_mode_marks_linked_articles_and_works_without_js(
    world, tickets, admin_user
):
    link_article_to_ticket(world["portal"], ticket=tickets["a"], by=admin_user)
    response = _login(admin_user).get(
        reverse("knowledge:suggest"),
        {"q": "zebra", "mode": "link", "ticket": tickets["a"].number},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html  # a whole page when asked without htmx
    assert f'name="article" value="{world["internal"].pk}"' in html
    assert f'name="article" value="{world["portal"].pk}"' not in html


@pytest.mark.parametrize(
    "params, status",
    [
        ({"q": "zebra", "mode": "bogus"}, 400),
        ({"q": "zebra", "mode": "insert", "ticket": "T-NOPE"}, 404),
        ({"q": "zebra", "mode": "insert"}, 404),
    ],
)
def test_suggest_bad_input(world, tickets, admin_user, params, status):
    response = _login(admin_user).get(reverse("knowledge:suggest"), params)
    assert response.status_code == status


@pytest.mark.parametrize("who", ["client_a", "client_b"])
def test_clients_get_no_insert_or_link_mode(world, tickets, people, who):
    for mode in ("insert", "link"):
        response = _login(people[who]).get(
            reverse("knowledge:suggest"),
            {"q": "zebra", "mode": mode, "ticket": tickets["a"].number},
        )
        assert response.status_code == 403


def test_kb_js_is_served_and_has_no_eval():
    from django.contrib.staticfiles import finders

    path = finders.find("knowledge/kb.js")
    assert path is not None
    source = open(path, encoding="utf-8").read()
    assert "data-kb-insert" in source and "selectionStart" in source
    assert "eval(" not in source and "innerHTML" not in source


# --- suggestions on a new ticket ------------------------------------------


SUGGEST = {
    "staff": {"internal", "portal", "only_a", "only_b"},
    "client_a": {"portal", "only_a"},
    "client_b": {"portal", "only_b"},
}


@pytest.mark.parametrize("who", SUGGEST)
def test_new_ticket_form_has_live_suggestions(world, people, who):
    client = _login(people[who])
    html = client.get(reverse("tickets:ticket_create")).content.decode()
    assert f'hx-get="{reverse("knowledge:suggest")}"' in html
    assert 'hx-trigger="keyup changed delay:300ms from:#id_title' in html
    assert 'hx-include="#id_title"' in html
    # What htmx sends as the user types: the title field itself.
    partial = client.get(
        reverse("knowledge:suggest"), {"title": "zebra help"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    for key in ("internal", "portal", "only_a", "only_b", "draft"):
        assert (world[key].title in partial) == (key in SUGGEST[who]), key
    assert partial.count("<li>") <= 5


@pytest.mark.parametrize("who", SUGGEST)
def test_new_ticket_form_suggests_without_js_on_rerender(world, people, who):
    """A form sent back with an error shows suggestions for its title, rendered
    by the server (no JavaScript needed)."""
    response = _login(people[who]).post(
        reverse("tickets:ticket_create"),
        {"title": "zebra trouble", "priority": "bogus", "type": "incident"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("internal", "portal", "only_a", "only_b", "draft"):
        assert (world[key].title in html) == (key in SUGGEST[who]), key


def test_suggestions_at_most_five(admin_user):
    for n in range(7):
        ArticleFactory(title=f"Toner guide {n}", author=admin_user)
    html = (
        _login(admin_user)
        .get(reverse("knowledge:suggest"), {"q": "toner"})
        .content.decode()
    )
    assert html.count("<li>") == 5


def test_new_ticket_form_without_kb_permission_has_no_box(make_user):
    from django.contrib.auth.models import Permission

    user = make_user()
    user.user_permissions.add(
        Permission.objects.get(codename="add_ticket"),
        Permission.objects.get(codename="view_ticket"),
    )
    response = _login(user).get(reverse("tickets:ticket_create"))
    assert response.status_code == 200
    assert "kb-suggest" not in response.content.decode()


def test_short_or_empty_text_suggests_nothing(world, admin_user):
    client = _login(admin_user)
    for text in ("", "ze", "   "):
        html = client.get(reverse("knowledge:suggest"), {"q": text}).content.decode()
        assert "<li>" not in html
