import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import Role
from companies.tests.factories import CompanyFactory
from manufacturing import services
from manufacturing.choices import StepStatus, TravelerStatus
from manufacturing.models import ChangeRequest, LaborLog, Traveler

from .factories import (
    PurchaseOrderFactory,
    PurchaseOrderLineFactory,
    TravelerFactory,
    traveler_type,
)

pytestmark = pytest.mark.django_db

COATING = {
    "coating_type": "acrylic",
    "material_lot": "LOT-9",
    "thickness_um": "40",
    "cure_minutes": 30,
    "cure_temperature_c": "60",
    "humidity_pct": "45",
    "result": "pass",
}


def _results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_create_traveler_from_po_line(api_for, manager):
    line = PurchaseOrderLineFactory(part_number="PCB-1", revision="B", quantity=7)
    response = api_for(manager).post(
        "/api/travelers",
        {"traveler_type_id": traveler_type("pcb").pk, "po_line_id": line.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("TRV-")
    assert (body["part_number"], body["revision"], body["quantity"]) == (
        "PCB-1",
        "B",
        7,
    )
    assert body["purchase_order"]["po_number"] == line.purchase_order.po_number
    assert body["status"] == "draft"
    assert body["bom_items"] == [] and body["steps"] == []


@pytest.mark.parametrize(
    ("method", "change", "field"),
    [
        ("patch", {"quantity": 0}, "quantity"),
        ("patch", {"unit_price": "-0.01"}, "unit_price"),
        ("put", {"quantity": 0}, "quantity"),
    ],
)
def test_po_line_update_below_the_constraints_is_400(admin_api, method, change, field):
    """The line's check constraints are field errors, not an IntegrityError 500
    (contract fuzzing: PUT/PATCH with quantity 0)."""
    line = PurchaseOrderLineFactory(quantity=3, unit_price=Decimal("2.50"))
    body = {"part_number": line.part_number, "quantity": 3, **change}
    response = getattr(admin_api, method)(
        f"/api/purchase-order-lines/{line.pk}/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    line.refresh_from_db()
    assert (line.quantity, line.unit_price) == (3, Decimal("2.50"))


def test_create_traveler_bad_input_is_400(api_for, manager):
    client = api_for(manager)
    response = client.post(
        "/api/travelers", {"traveler_type_id": 999999}, format="json"
    )
    assert response.status_code == 400
    assert "traveler_type_id" in response.json()
    response = client.post(
        "/api/travelers",
        {"traveler_type_id": traveler_type().pk, "part_number": "X", "quantity": 0},
        format="json",
    )
    assert response.status_code == 400
    assert "quantity" in response.json()


def test_traveler_detail_has_bom_steps_and_logs(api_for, manager, release, operator):
    traveler = release("pcb")
    services.start_labour(traveler.steps.get(sequence=10), by=operator)
    body = api_for(manager).get(f"/api/travelers/{traveler.pk}").json()
    assert [s["sequence"] for s in body["steps"]] == [10, 20, 30, 40, 50, 60, 70]
    assert body["labor_logs"][0]["is_open"] is True
    assert body["step_count"] == 7
    assert body["revisions"]


def test_traveler_filters(api_for, manager):
    today = timezone.localdate()
    po = PurchaseOrderFactory()
    late = TravelerFactory(purchase_order=po, due_date=today - dt.timedelta(days=2))
    TravelerFactory(
        due_date=today + dt.timedelta(days=20), traveler_type=traveler_type("cable")
    )
    done = TravelerFactory(due_date=today - dt.timedelta(days=5))
    Traveler.objects.filter(pk=done.pk).update(status=TravelerStatus.COMPLETED)
    client = api_for(manager)

    def numbers(query):
        return {t["number"] for t in _results(client.get(f"/api/travelers?{query}"))}

    assert numbers("overdue=true") == {late.number}
    assert numbers(f"purchase_order={po.pk}") == {late.number}
    assert numbers(f"customer={po.customer_id}") == {late.number}
    assert numbers("type=cable") == {
        t.number for t in Traveler.objects.filter(traveler_type__code="cable")
    }
    assert numbers(f"due_before={today}") == {late.number, done.number}
    assert numbers("status=completed") == {done.number}
    assert client.get("/api/travelers?status=bogus").status_code == 400
    assert client.get("/api/travelers?due_before=notadate").status_code == 400


def test_types_endpoint_lists_routing(api_for, operator):
    traveler_type("pcb")
    response = api_for(operator).get("/api/travelers/types")
    assert response.status_code == 200
    codes = {t["code"]: t for t in response.json()}
    assert {"pcb", "parts", "assembly", "cable"} <= set(codes)
    assert codes["pcb"]["operations"][4]["requires_coating"] is True
    assert api_for(operator).get("/api/travelers/types/").status_code == 200


def test_bom_get_and_post_on_draft(api_for, engineer):
    traveler = TravelerFactory()
    client = api_for(engineer)
    response = client.post(
        f"/api/travelers/{traveler.pk}/bom",
        {
            "part_number": "R-1",
            "quantity_per_unit": "4",
            "reference_designators": "R1-R4",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["line"] == 10
    listed = client.get(f"/api/travelers/{traveler.pk}/bom").json()
    assert [i["part_number"] for i in listed] == ["R-1"]
    bad = client.post(
        f"/api/travelers/{traveler.pk}/bom", {"quantity_per_unit": "-1"}, format="json"
    )
    assert bad.status_code == 400


def test_bom_post_on_released_needs_reason_and_creates_change_request(
    api_for, engineer, release
):
    traveler = release("pcb")
    client = api_for(engineer)
    response = client.post(
        f"/api/travelers/{traveler.pk}/bom", {"part_number": "F-1"}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()
    response = client.post(
        f"/api/travelers/{traveler.pk}/bom",
        {"part_number": "F-1", "reason": "ECO-7: add fuse"},
        format="json",
    )
    assert response.status_code == 202
    cr = ChangeRequest.objects.get()
    assert not traveler.bom_items.filter(part_number="F-1").exists()
    response = client.post(f"/api/change-requests/{cr.pk}/approve", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert traveler.bom_items.filter(part_number="F-1").exists()


def test_step_actions_start_stop_complete_signoff(api_for, release, operator, quality):
    traveler = release("cable", quantity=4)
    op, qc = api_for(operator), api_for(quality)
    steps = {s.sequence: s for s in traveler.steps.all()}
    refused = op.post(f"/api/process-steps/{steps[20].pk}/start")
    assert refused.status_code == 400
    assert "Step 10" in refused.json()["step"][0]
    started = op.post(f"/api/process-steps/{steps[10].pk}/start")
    assert started.status_code == 201 and started.json()["is_open"]
    again = op.post(f"/api/process-steps/{steps[10].pk}/start")
    assert again.status_code == 400 and "operator" in again.json()
    stopped = op.post(
        f"/api/process-steps/{steps[10].pk}/stop", {"quantity": 4}, format="json"
    )
    assert stopped.status_code == 200 and stopped.json()["stopped_at"]
    done = op.post(
        f"/api/process-steps/{steps[10].pk}/complete",
        {"quantity_passed": 4, "quantity_failed": 0},
        format="json",
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    for seq in (20, 30, 40, 50):
        op.post(f"/api/process-steps/{steps[seq].pk}/start")
        op.post(
            f"/api/process-steps/{steps[seq].pk}/complete",
            {"quantity_passed": 4},
            format="json",
        )
        if steps[seq].requires_signoff:
            assert (
                op.post(f"/api/process-steps/{steps[seq].pk}/sign-off").status_code
                == 403
            )
            signed = qc.post(f"/api/process-steps/{steps[seq].pk}/sign-off")
            assert signed.status_code == 200, signed.content
    traveler.refresh_from_db()
    assert traveler.status == TravelerStatus.COMPLETED


def test_complete_bad_quantities_is_400(api_for, release, operator):
    step = release("cable", quantity=3).steps.get(sequence=10)
    client = api_for(operator)
    client.post(f"/api/process-steps/{step.pk}/start")
    assert (
        client.post(
            f"/api/process-steps/{step.pk}/complete",
            {"quantity_passed": "x"},
            format="json",
        ).status_code
        == 400
    )
    response = client.post(
        f"/api/process-steps/{step.pk}/complete", {"quantity_passed": 9}, format="json"
    )
    assert response.status_code == 400 and "quantity_passed" in response.json()


def test_labor_logs_create_stop_and_manager_edit(api_for, release, operator, manager):
    step = release("cable").steps.get(sequence=10)
    op = api_for(operator)
    created = op.post("/api/labor-logs", {"step_id": step.pk}, format="json")
    assert created.status_code == 201, created.content
    log_id = created.json()["id"]
    assert (
        op.post(
            f"/api/labor-logs/{log_id}/stop", {"quantity": 2}, format="json"
        ).status_code
        == 200
    )
    assert (
        op.patch(
            f"/api/labor-logs/{log_id}", {"quantity": 3, "reason": "x"}, format="json"
        ).status_code
        == 403
    )
    mgr = api_for(manager)
    no_reason = mgr.patch(f"/api/labor-logs/{log_id}", {"quantity": 3}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    edited = mgr.patch(
        f"/api/labor-logs/{log_id}",
        {"quantity": 3, "reason": "Miscount"},
        format="json",
    )
    assert edited.status_code == 200
    assert edited.json()["edited_by"]["id"] == manager.pk
    assert edited.json()["edit_reason"] == "Miscount"


def test_coating_and_inspection_endpoints(api_for, done_step, operator, quality):
    step = done_step("pcb", 50)
    qc = api_for(quality)
    assert qc.post(f"/api/process-steps/{step.pk}/sign-off").status_code == 400
    bad = api_for(operator).post(
        "/api/coating-logs",
        {**COATING, "step_id": step.pk, "humidity_pct": "140"},
        format="json",
    )
    assert bad.status_code == 400 and "humidity_pct" in bad.json()
    ok = api_for(operator).post(
        "/api/coating-logs", {**COATING, "step_id": step.pk}, format="json"
    )
    assert ok.status_code == 201, ok.content
    assert qc.post(f"/api/process-steps/{step.pk}/sign-off").status_code == 200
    failed = qc.post(
        "/api/inspections",
        {
            "step_id": step.pk,
            "result": "fail",
            "defects": "bubbles",
            "disposition": "rework",
        },
        format="json",
    )
    assert failed.status_code == 201
    step.traveler.refresh_from_db()
    assert step.traveler.status == TravelerStatus.ON_HOLD
    no_disposition = qc.post(
        "/api/inspections", {"step_id": step.pk, "result": "fail"}, format="json"
    )
    assert no_disposition.status_code == 400


def test_purchase_order_create_with_lines(api_for, make_user):
    buyer = make_user(Role.PURCHASING)
    customer = CompanyFactory()
    response = api_for(buyer).post(
        "/api/purchase-orders",
        {
            "po_number": "PO-777",
            "customer_id": customer.pk,
            "order_date": "2026-11-01",
            "due_date": "2026-12-01",
            "lines": [
                {"part_number": "A", "quantity": 5, "unit_price": "1.50"},
                {"part_number": "B", "revision": "C", "quantity": 2},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [line["line"] for line in response.json()["lines"]] == [1, 2]
    dup = api_for(buyer).post(
        "/api/purchase-orders",
        {"po_number": "PO-777", "customer_id": customer.pk, "order_date": "2026-11-01"},
        format="json",
    )
    assert dup.status_code == 400 and "po_number" in dup.json()
    backwards = api_for(buyer).post(
        "/api/purchase-orders",
        {
            "po_number": "PO-778",
            "customer_id": customer.pk,
            "order_date": "2026-11-01",
            "due_date": "2026-10-01",
        },
        format="json",
    )
    assert backwards.status_code == 400


def test_purchase_order_with_travelers_cannot_be_deleted(api_for, make_user):
    buyer = make_user(Role.PURCHASING)
    traveler = TravelerFactory()
    response = api_for(buyer).delete(
        f"/api/purchase-orders/{traveler.purchase_order_id}"
    )
    assert response.status_code == 400


def test_labor_efficiency_report_on_known_data(api_for, manager, release, make_user):
    """Two operators on a cable traveler (standard 1.5 and 2.5 min/unit)."""
    alice, bob = (
        make_user(Role.OPERATOR, full_name="Alice"),
        make_user(Role.OPERATOR, full_name="Bob"),
    )
    traveler = release("cable", quantity=20)
    cut, crimp = traveler.steps.get(sequence=10), traveler.steps.get(sequence=20)
    t0 = timezone.now() - dt.timedelta(days=1)
    services.start_labour(cut, by=alice, now=t0)
    services.stop_labour(
        cut, by=alice, quantity=10, now=t0 + dt.timedelta(minutes=20)
    )  # 15 std
    services.start_labour(cut, by=bob, now=t0)
    services.stop_labour(
        cut, by=bob, quantity=10, now=t0 + dt.timedelta(minutes=10)
    )  # 15 std
    services.complete_step(
        cut, by=alice, quantity_passed=20, now=t0 + dt.timedelta(minutes=21)
    )
    services.start_labour(crimp, by=bob, now=t0 + dt.timedelta(minutes=30))
    services.stop_labour(
        crimp, by=bob, quantity=20, now=t0 + dt.timedelta(minutes=80)
    )  # 50 std
    # An open timer and a log outside the range do not count.
    services.start_labour(crimp, by=alice, now=t0 + dt.timedelta(minutes=90))
    response = api_for(manager).get(
        "/api/reports/labor-efficiency",
        {
            "date_from": str((t0 - dt.timedelta(days=1)).date()),
            "date_to": str(timezone.localdate()),
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["logs"] == 3
    assert Decimal(body["actual_minutes"]) == Decimal("80.00")
    assert Decimal(body["standard_minutes"]) == Decimal("80.00")
    assert Decimal(body["efficiency_pct"]) == Decimal("100.00")
    ops = {r["key"]: r for r in body["by_operation"]}
    assert Decimal(ops["Cut and strip"]["actual_minutes"]) == Decimal("30.00")
    assert Decimal(ops["Cut and strip"]["standard_minutes"]) == Decimal("30.00")
    assert Decimal(ops["Crimp and insert"]["efficiency_pct"]) == Decimal("100.00")
    people = {r["label"]: r for r in body["by_operator"]}
    assert Decimal(people["Alice"]["efficiency_pct"]) == Decimal("75.00")  # 15 / 20
    assert Decimal(people["Bob"]["actual_minutes"]) == Decimal("60.00")
    assert Decimal(people["Bob"]["efficiency_pct"]) == Decimal("108.33")  # 65 / 60
    centres = {r["key"]: r for r in body["by_work_centre"]}
    assert Decimal(centres["crimping"]["actual_minutes"]) == Decimal("50.00")
    empty = (
        api_for(manager)
        .get(
            "/api/reports/labor-efficiency",
            {"date_from": "2020-01-01", "date_to": "2020-01-31"},
        )
        .json()
    )
    assert empty["logs"] == 0 and empty["efficiency_pct"] is None
    bad = api_for(manager).get(
        "/api/reports/labor-efficiency",
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
    )
    assert bad.status_code == 400


def test_completion_coating_and_dashboard_reports(
    api_for, manager, done_step, operator, quality
):
    step = done_step("pcb", 50)
    api_for(operator).post(
        "/api/coating-logs",
        {**COATING, "step_id": step.pk, "result": "fail"},
        format="json",
    )
    api_for(operator).post(
        "/api/coating-logs", {**COATING, "step_id": step.pk}, format="json"
    )
    client = api_for(manager)
    coating = client.get("/api/reports/coating-status").json()
    acrylic = next(r for r in coating["by_type"] if r["coating_type"] == "acrylic")
    assert (acrylic["total"], acrylic["passed"], Decimal(acrylic["pass_rate"])) == (
        2,
        1,
        Decimal("50.00"),
    )
    assert coating["waiting"][0]["has_passing_coating"] is True
    services.sign_off_step(step, by=quality)
    for later in step.traveler.steps.filter(sequence__gt=50):
        services.skip_step(later, by=manager, reason="test")
    completion = client.get("/api/reports/traveler-completion").json()
    assert completion["completed"] == 1 and completion["days"][-1]["completed"] == 1
    stats = client.get("/api/reports/dashboard-stats").json()
    assert stats["by_status"]["completed"] == 1


@pytest.mark.parametrize(
    ("url", "make"),
    [
        (
            "/api/travelers",
            lambda n, e: [
                services.release_traveler(TravelerFactory(), by=e) for _ in range(n)
            ],
        ),
        (
            "/api/purchase-orders",
            lambda n, e: [PurchaseOrderLineFactory() for _ in range(n)],
        ),
        (
            "/api/process-steps",
            lambda n, e: [
                services.release_traveler(TravelerFactory(), by=e) for _ in range(n)
            ],
        ),
        (
            "/api/bom-items",
            lambda n, e: [
                services.add_bom_item(TravelerFactory(), by=e, part_number="X")
                for _ in range(n)
            ],
        ),
        (
            "/api/traveler-revisions",
            lambda n, e: [
                TravelerFactory() and services.release_traveler(TravelerFactory(), by=e)
                for _ in range(n)
            ],
        ),
    ],
)
def test_list_query_count_does_not_grow(api_for, admin_user, engineer, url, make):
    client = api_for(admin_user)
    make(2, engineer)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    make(5, engineer)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) <= len(few)


def test_log_lists_query_count_does_not_grow(
    api_for, admin_user, done_step, operator, quality, release
):
    client = api_for(admin_user)

    def make(n):
        for _ in range(n):
            step = done_step("pcb", 50)
            services.record_coating(
                step,
                by=operator,
                **{
                    **COATING,
                    "thickness_um": Decimal("40"),
                    "cure_temperature_c": Decimal("60"),
                    "humidity_pct": Decimal("45"),
                },
            )
            services.record_inspection(step, by=quality, result="pass")
            services.request_change(
                step.traveler,
                by=quality,
                subject="traveler",
                changes={"quantity": 11},
                reason="r",
            )

    urls = [
        "/api/labor-logs",
        "/api/coating-logs",
        "/api/inspections",
        "/api/change-requests",
    ]
    make(2)
    few = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        few[url] = len(ctx)
    make(5)
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        assert len(ctx) <= few[url], url


def test_portal_user_sees_only_own_company(portal_api_for, engineer):
    mine = services.release_traveler(TravelerFactory(), by=engineer)
    theirs = services.release_traveler(TravelerFactory(), by=engineer)
    client = portal_api_for(mine.customer)
    numbers = {t["number"] for t in _results(client.get("/api/travelers"))}
    assert numbers == {mine.number}
    assert client.get(f"/api/travelers/{theirs.pk}").status_code == 404
    assert _results(client.get(f"/api/travelers?customer={theirs.customer_id}")) == []
    assert _results(client.get(f"/api/travelers?search={theirs.number}")) == []
    detail = client.get(f"/api/travelers/{mine.pk}").json()
    assert "labor_logs" not in detail and "bom_items" not in detail and detail["steps"]
    pos = {p["po_number"] for p in _results(client.get("/api/purchase-orders"))}
    assert pos == {mine.purchase_order.po_number}
    assert (
        client.get(f"/api/purchase-orders/{theirs.purchase_order_id}").status_code
        == 404
    )
    # No writes, no shop-floor data.
    step = theirs.steps.first()
    assert client.post(f"/api/process-steps/{step.pk}/start").status_code in (403, 404)
    assert client.get("/api/labor-logs").status_code == 403
    assert client.get("/api/reports/dashboard-stats").status_code == 403
    assert (
        client.post(
            f"/api/travelers/{theirs.pk}/hold", {"reason": "x"}, format="json"
        ).status_code
        == 404
    )
    assert not LaborLog.objects.exists()


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/travelers").status_code in (401, 403)
    assert api_client.get("/api/reports/dashboard-stats").status_code in (401, 403)


def test_step_detail_and_filters(api_for, operator, release):
    traveler = release("pcb")
    rows = _results(
        api_for(operator).get(
            f"/api/process-steps?traveler={traveler.pk}&status=pending"
        )
    )
    assert len(rows) == 7
    assert rows[0]["traveler"]["number"] == traveler.number
    assert StepStatus.PENDING == rows[0]["status"]


def test_patch_released_traveler(api_for, manager, release):
    traveler = release("pcb", quantity=10)
    client = api_for(manager)
    refused = client.patch(
        f"/api/travelers/{traveler.pk}", {"quantity": 20}, format="json"
    )
    assert (
        refused.status_code == 400 and "change request" in refused.json()["quantity"][0]
    )
    ok = client.patch(
        f"/api/travelers/{traveler.pk}", {"priority": "urgent"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["priority"] == "urgent"
    assert ok.json()["revisions"][0]["changes"] == {"priority": ["normal", "urgent"]}
    moved = client.patch(
        f"/api/travelers/{traveler.pk}", {"customer_id": None}, format="json"
    )
    assert moved.status_code == 400


def test_set_bom_status_validates_choice(api_for, make_user, engineer):
    buyer = make_user(Role.PURCHASING)
    item = services.add_bom_item(TravelerFactory(), by=engineer, part_number="R")
    bad = api_for(buyer).post(
        f"/api/bom-items/{item.pk}/set-status", {"status": "lost"}, format="json"
    )
    assert bad.status_code == 400 and "status" in bad.json()
