from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from tickets.choices import EventChannel
from tickets.models import Attachment, Comment, Ticket, TimeEntry
from tickets.services import add_attachment, log_time, reply_to_ticket

from .factories import CannedResponseFactory, SlaPolicyFactory, TicketFactory

API = EventChannel.API
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name="shot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def world(new_ticket, company_a, company_b, admin_user, tech, funded, contact_of):
    """Company A and company B, each with a ticket carrying a public and an
    internal comment, a public and an internal attachment, and billed time."""
    funded(company_a)
    funded(company_b)
    data = {}
    for key, company in (("a", company_a), ("b", company_b)):
        contact = contact_of(company)
        ticket = new_ticket(company, requester=contact, title=f"Ticket of {key}")
        public = reply_to_ticket(
            ticket, by=admin_user, body=f"public {key}", channel=API
        )
        internal = reply_to_ticket(
            ticket,
            by=admin_user,
            body=f"SECRET internal {key}",
            is_internal=True,
            channel=API,
        )
        data[key] = {
            "company": company,
            "contact": contact,
            "ticket": ticket,
            "public": public,
            "internal": internal,
            "file": add_attachment(
                ticket,
                upload=png(f"{key}.png"),
                by=admin_user,
                channel=API,
                comment=public,
            ),
            "secret_file": add_attachment(
                ticket,
                upload=png(f"secret-{key}.png"),
                by=admin_user,
                channel=API,
                comment=internal,
            ),
            "time": log_time(
                ticket=ticket, by=tech, minutes=30, channel=API, note=f"work {key}"
            ),
        }
    return data


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# ------------------------------------------------------------ isolation matrix


def test_client_sees_nothing_of_another_company(world, portal_api_for):
    a, b = world["a"], world["b"]
    api = portal_api_for(a["company"])
    t_b = b["ticket"].pk

    assert ids(api.get("/api/tickets/")) == {a["ticket"].pk}
    assert ids(api.get(f"/api/tickets/?company={b['company'].pk}")) == set()
    assert ids(api.get(f"/api/tickets/?search={b['ticket'].number}")) == set()
    assert ids(api.get(f"/api/tickets/?requester={b['contact'].pk}")) == set()
    for path in (
        f"/api/tickets/{t_b}/",
        f"/api/tickets/{t_b}/comments/",
        f"/api/tickets/{t_b}/attachments/",
        f"/api/tickets/{t_b}/time-entries/",
        f"/api/tickets/{t_b}/events/",
        f"/api/comments/{b['public'].pk}/",
        f"/api/attachments/{b['file'].pk}/",
        f"/api/attachments/{b['file'].pk}/download/",
        f"/api/attachments/{b['file'].pk}/download",
        f"/api/time-entries/{b['time'].pk}/",
    ):
        assert api.get(path).status_code == 404, path
    assert ids(api.get("/api/comments/")) == {a["public"].pk}
    assert ids(api.get(f"/api/comments/?ticket={t_b}")) == set()
    assert ids(api.get("/api/attachments/")) == {a["file"].pk}
    assert ids(api.get(f"/api/attachments/?ticket={t_b}")) == set()
    assert ids(api.get("/api/time-entries/")) == {a["time"].pk}
    assert ids(api.get(f"/api/time-entries/?company={b['company'].pk}")) == set()
    # Staff-only configuration is not for clients at all.
    assert api.get("/api/canned-responses/").status_code == 403
    assert api.get("/api/sla-policies/").status_code == 403


def test_client_cannot_write_to_another_company(world, portal_api_for):
    a, b = world["a"], world["b"]
    api = portal_api_for(a["company"])
    t_b = b["ticket"].pk
    assert api.post(f"/api/tickets/{t_b}/comments/", {"body": "hi"}).status_code == 404
    upload = api.post(
        f"/api/tickets/{t_b}/attachments/", {"file": png()}, format="multipart"
    )
    assert upload.status_code == 404
    assert api.patch(f"/api/tickets/{t_b}/", {"title": "x"}).status_code in (403, 404)
    assert api.delete(f"/api/tickets/{t_b}/").status_code in (403, 404)
    assert api.post(
        f"/api/tickets/{a['ticket'].pk}/merge/", {"into": t_b}
    ).status_code in (400, 403)
    response = api.post("/api/tickets/", {"title": "x", "company_id": b["company"].pk})
    assert response.status_code == 400 and "company_id" in response.json()
    response = api.post(
        "/api/tickets/", {"title": "x", "requester_id": b["contact"].pk}
    )
    assert response.status_code == 400 and "requester_id" in response.json()
    # Attaching to B's comment through A's own ticket is refused too.
    response = api.post(
        f"/api/tickets/{a['ticket'].pk}/attachments/",
        {"file": png(), "comment": b["public"].pk},
        format="multipart",
    )
    assert response.status_code == 400
    assert Comment.objects.filter(ticket=b["ticket"]).count() == 2
    assert Ticket.objects.filter(company=b["company"]).count() == 1


def test_internal_comments_never_reach_a_client(world, portal_api_for):
    a = world["a"]
    api = portal_api_for(a["company"])
    t_a = a["ticket"].pk
    everything = b"".join(
        api.get(path).content
        for path in (
            "/api/tickets/",
            f"/api/tickets/{t_a}/",
            f"/api/tickets/{t_a}/comments/",
            f"/api/tickets/{t_a}/attachments/",
            f"/api/tickets/{t_a}/events/",
            "/api/comments/",
            f"/api/comments/?ticket={t_a}&is_internal=true",
            "/api/attachments/",
        )
    )
    assert b"SECRET" not in everything and b"secret-a.png" not in everything
    assert api.get(f"/api/comments/{a['internal'].pk}/").status_code == 404
    assert (
        api.get(f"/api/attachments/{a['secret_file'].pk}/download/").status_code == 404
    )
    assert ids(api.get(f"/api/tickets/{t_a}/comments/")) == {a["public"].pk}
    # Staff see both.
    assert a["internal"].pk in {c.pk for c in Comment.objects.filter(ticket=t_a)}


def test_staff_see_internal_comments(world, admin_api):
    t_a = world["a"]["ticket"].pk
    assert ids(admin_api.get(f"/api/tickets/{t_a}/comments/")) == {
        world["a"]["public"].pk,
        world["a"]["internal"].pk,
    }


def test_client_can_open_and_reply(company_a, portal_api_for):
    api = portal_api_for(company_a)
    response = api.post(
        "/api/tickets/", {"title": "VPN down", "description": "since 9"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["company"]["id"] == company_a.pk and body["source"] == "api"
    response = api.post(f"/api/tickets/{body['id']}/comments/", {"body": "any news?"})
    assert response.status_code == 201
    response = api.post(
        f"/api/tickets/{body['id']}/comments/", {"body": "x", "is_internal": True}
    )
    assert response.status_code == 400 and "is_internal" in response.json()
    assert (
        api.post(
            f"/api/tickets/{body['id']}/transition/", {"status": "closed"}
        ).status_code
        == 403
    )
    assert (
        api.post(f"/api/tickets/{body['id']}/time-entries/", {"minutes": 5}).status_code
        == 403
    )


# ------------------------------------------------------------------ staff API


def test_staff_creates_and_filters_tickets(
    admin_api, company_a, contact_of, tech, department
):
    SlaPolicyFactory(
        priority="high",
        calendar=None,
        first_response_minutes=30,
        resolution_minutes=240,
    )
    contact = contact_of(company_a)
    response = admin_api.post(
        "/api/tickets/",
        {
            "title": "Server down",
            "description": "**now**",
            "priority": "high",
            "company_id": company_a.pk,
            "requester_id": contact.pk,
            "department_id": department.pk,
            "assignee_id": tech.pk,
            "tags": [],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("T-")
    assert body["description_html"] == "<p><strong>now</strong></p>"
    assert body["resolution_due_at"] and body["assignee"]["id"] == tech.pk
    for query, expected in (
        ("status=new", True),
        ("status=closed", False),
        ("priority=high", True),
        (f"department={department.pk}", True),
        (f"assigned_to={tech.pk}", True),
        (f"company={company_a.pk}", True),
        (f"requester={contact.pk}", True),
        ("sla_breached=true", False),
        ("search=Server", True),
        ("created_after=2000-01-01T00:00:00Z", True),
        ("updated_before=2000-01-01T00:00:00Z", False),
        ("ordering=-priority", True),
    ):
        found = body["id"] in ids(admin_api.get(f"/api/tickets/?{query}"))
        assert found is expected, query


def test_bad_transition_is_400_with_message(admin_api, new_ticket, company_a):
    ticket = new_ticket(company_a)
    url = f"/api/tickets/{ticket.pk}/transition/"
    assert admin_api.post(url, {"status": "closed"}).status_code == 200
    response = admin_api.post(url, {"status": "pending"})
    assert response.status_code == 400
    assert "reopens only by a new public reply" in response.json()["status"][0]
    response = admin_api.post(url, {"status": "bogus"})
    assert response.status_code == 400
    response = admin_api.patch(f"/api/tickets/{ticket.pk}/", {"status": "open"})
    assert response.status_code == 400 and "status" in response.json()


def test_assign_action_respects_department(
    api_for, manager, tech, make_user, new_ticket, company_a, department
):
    from accounts.choices import Role

    outsider = make_user(Role.TECHNICIAN)
    ticket = new_ticket(company_a, department=department)
    api = api_for(manager)
    url = f"/api/tickets/{ticket.pk}/assign/"
    assert api.post(url, {"assignee_id": tech.pk}).json()["assignee"]["id"] == tech.pk
    response = api.post(url, {"assignee_id": outsider.pk})
    assert response.status_code == 400 and "assignee" in response.json()


def test_department_scoping_of_lists(
    api_for, manager, tech, make_user, new_ticket, company_a, department
):
    from accounts.choices import Role
    from accounts.tests.factories import DepartmentFactory

    other_dept = DepartmentFactory(name="Workshop")
    mine = new_ticket(company_a, department=department)
    theirs = new_ticket(company_a, department=other_dept)
    unrouted = new_ticket(company_a)
    other_tech = make_user(Role.TECHNICIAN, department=other_dept)
    assigned = new_ticket(company_a, department=other_dept, assignee=tech)
    assert ids(api_for(manager).get("/api/tickets/")) == {mine.pk, unrouted.pk}
    assert ids(api_for(tech).get("/api/tickets/")) == {mine.pk, assigned.pk}
    assert ids(api_for(other_tech).get("/api/tickets/")) == {theirs.pk, assigned.pk}
    assert api_for(tech).get(f"/api/tickets/{theirs.pk}/").status_code == 404


def test_merge_action(admin_api, new_ticket, company_a, admin_user):
    source, target = new_ticket(company_a), new_ticket(company_a)
    reply_to_ticket(source, by=admin_user, body="moved", channel=API)
    response = admin_api.post(f"/api/tickets/{source.pk}/merge/", {"into": target.pk})
    assert response.status_code == 200 and response.json()["id"] == target.pk
    assert target.comments.filter(body="moved").exists()
    response = admin_api.post(f"/api/tickets/{target.pk}/merge/", {"into": target.pk})
    assert response.status_code == 400


def test_split_action(admin_api, new_ticket, company_a, admin_user):
    ticket = new_ticket(company_a)
    comment = reply_to_ticket(ticket, by=admin_user, body="second issue", channel=API)
    response = admin_api.post(
        f"/api/tickets/{ticket.pk}/split/", {"comment": comment.pk, "title": "Second"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Second"


def test_attachment_upload_and_download(admin_api, new_ticket, company_a):
    ticket = new_ticket(company_a)
    url = f"/api/tickets/{ticket.pk}/attachments/"
    response = admin_api.post(url, {"file": png("scan.png")}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "image/png" and body["original_name"] == "scan.png"
    download = admin_api.get(f"/api/attachments/{body['id']}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PNG
    # Spoofed content is refused with a field message.
    fake = SimpleUploadedFile(
        "photo.png", b"<html><script>alert(1)</script>", content_type="image/png"
    )
    response = admin_api.post(url, {"file": fake}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    assert Attachment.objects.count() == 1


def test_ticket_time_entry_ignores_a_ticket_in_the_body(
    admin_api, new_ticket, company_a, funded
):
    """The ticket is the URL's; a `ticket` in the body used to reach log_time()
    a second time (a 500, found by contract fuzzing)."""
    funded(company_a, "2.00")
    ticket, other = new_ticket(company_a), new_ticket(company_a)
    response = admin_api.post(
        f"/api/tickets/{ticket.pk}/time-entries/",
        {"minutes": 30, "ticket": other.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["ticket"] == ticket.pk
    assert list(TimeEntry.objects.values_list("ticket", flat=True)) == [ticket.pk]


def test_time_entries_api_bills_and_refunds(admin_api, new_ticket, company_a, funded):
    funded(company_a, "2.00")
    ticket = new_ticket(company_a)
    response = admin_api.post(
        f"/api/tickets/{ticket.pk}/time-entries/", {"minutes": 90, "note": "fix"}
    )
    assert response.status_code == 201, response.content
    entry_id = response.json()["id"]
    assert response.json()["billed_hours"] == "1.50"
    response = admin_api.post(
        f"/api/tickets/{ticket.pk}/time-entries/", {"minutes": 60}
    )
    assert response.status_code == 400 and "amount" in response.json()
    response = admin_api.patch(f"/api/time-entries/{entry_id}/", {"minutes": 30})
    assert response.status_code == 200 and response.json()["billed_hours"] == "0.50"
    assert admin_api.delete(f"/api/time-entries/{entry_id}/").status_code == 204
    company_a.credit_account.refresh_from_db()
    assert company_a.credit_account.balance == Decimal("2.00")
    response = admin_api.post("/api/time-entries/", {"ticket": ticket.pk, "minutes": 0})
    assert response.status_code == 400 and "minutes" in response.json()
    assert TimeEntry.objects.count() == 0


def test_canned_responses_and_sla_policies(admin_api, tech_api):
    response = admin_api.post(
        "/api/canned-responses/", {"title": "Hi", "body": "Hello"}
    )
    assert response.status_code == 201
    assert tech_api.get("/api/canned-responses/").status_code == 200
    assert (
        tech_api.post("/api/canned-responses/", {"title": "x", "body": "y"}).status_code
        == 403
    )
    payload = {
        "name": "Normal",
        "priority": "normal",
        "first_response_minutes": 60,
        "resolution_minutes": 480,
    }
    assert admin_api.post("/api/sla-policies/", payload).status_code == 201
    response = admin_api.post("/api/sla-policies/", {**payload, "name": "Again"})
    assert response.status_code == 400
    response = admin_api.post(
        "/api/sla-policies/", {**payload, "priority": "high", "at_risk_percent": 150}
    )
    assert response.status_code == 400 and "at_risk_percent" in response.json()


# ----------------------------------------------------------------- query counts


@pytest.mark.parametrize(
    "path",
    [
        "/api/tickets/",
        "/api/comments/",
        "/api/attachments/",
        "/api/time-entries/",
        "/api/canned-responses/",
    ],
)
def test_list_queries_do_not_grow(
    path, admin_api, admin_user, company_a, tech, django_assert_max_num_queries
):
    def make(n):
        for _ in range(n):
            ticket = TicketFactory(company=company_a, assignee=tech)
            comment = reply_to_ticket(ticket, by=admin_user, body="x", channel=API)
            add_attachment(
                ticket, upload=png(), by=admin_user, channel=API, comment=comment
            )
            log_time(ticket=ticket, by=tech, minutes=5, billable=False, channel=API)
            CannedResponseFactory()

    make(2)
    with CaptureQueriesContext(connection) as few:
        assert admin_api.get(path).status_code == 200
    make(5)
    with django_assert_max_num_queries(len(few)):
        response = admin_api.get(path)
    assert response.json()["count"] >= 7


def test_nested_comment_list_queries_do_not_grow(
    admin_api, admin_user, new_ticket, company_a, django_assert_max_num_queries
):
    ticket = new_ticket(company_a)

    def make(n):
        for _ in range(n):
            comment = reply_to_ticket(ticket, by=admin_user, body="x", channel=API)
            add_attachment(
                ticket, upload=png(), by=admin_user, channel=API, comment=comment
            )

    make(2)
    with CaptureQueriesContext(connection) as few:
        admin_api.get(f"/api/tickets/{ticket.pk}/comments/")
    make(5)
    with django_assert_max_num_queries(len(few)):
        admin_api.get(f"/api/tickets/{ticket.pk}/comments/")


def test_create_with_status_goes_through_the_workflow(
    admin_api, company_a, portal_api_for
):
    response = admin_api.post(
        "/api/tickets/",
        {"title": "Done already", "company_id": company_a.pk, "status": "resolved"},
    )
    assert response.status_code == 201 and response.json()["status"] == "resolved"
    assert response.json()["resolved_at"]
    response = portal_api_for(company_a).post(
        "/api/tickets/", {"title": "x", "status": "closed"}
    )
    assert response.status_code == 400 and "status" in response.json()


def test_portal_ticket_creation_is_throttled(company_a, portal_api_for, settings):
    from django.core.cache import cache

    cache.clear()  # throttle history of earlier tests in this process
    settings.NEXUS_PORTAL_TICKET_RATE = "2/hour"
    api = portal_api_for(company_a)
    codes = [
        api.post("/api/tickets/", {"title": f"t{i}"}).status_code for i in range(3)
    ]
    assert codes == [201, 201, 429]


@pytest.mark.parametrize("action", ["comments", "attachments", "time-entries"])
def test_ticket_list_actions_document_list_parameters_on_get_only(action):
    """The POST of a ticket's list action takes no limit/offset/ordering/search and
    answers 201 (contract fuzzing: `POST …/comments/?offset=-1` was documented as
    a list parameter, then ignored)."""
    path = SchemaGenerator().get_schema(request=None, public=True)["paths"][
        f"/api/tickets/{{id}}/{action}/"
    ]
    get_query = {p["name"] for p in path["get"]["parameters"] if p["in"] == "query"}
    assert get_query == {"limit", "offset"}  # `_page` neither searches nor orders
    assert "requestBody" not in path["get"]
    assert not [p for p in path["post"]["parameters"] if p["in"] == "query"]
    assert [code for code in path["post"]["responses"] if code.startswith("2")] == [
        "201"
    ]
