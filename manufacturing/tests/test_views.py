import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from manufacturing import services
from manufacturing.choices import StepStatus, TravelerStatus
from manufacturing.models import CoatingLog, Inspection, LaborLog

from .factories import TravelerFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def op_client(client, operator):
    client.force_login(operator)
    return client


def test_station_scan_shows_current_step(op_client, release):
    traveler = release("pcb")
    response = op_client.get(
        "/manufacturing/station/scan/", {"code": traveler.number.lower()}, **HX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert traveler.number in html and "Kit components" in html
    assert "Start labour" in html
    unknown = op_client.get(
        "/manufacturing/station/scan/", {"code": "TRV-999999"}, **HX
    )
    assert "No traveler TRV-999999" in unknown.content.decode()


def test_station_flow_scan_start_stop_complete(op_client, operator, release):
    traveler = release("cable", quantity=6)
    step = traveler.steps.get(sequence=10)
    start = op_client.post(f"/manufacturing/station/steps/{step.pk}/start/", **HX)
    assert "Stop labour" in start.content.decode()
    assert LaborLog.objects.open().filter(operator=operator, step=step).exists()
    stop = op_client.post(
        f"/manufacturing/station/steps/{step.pk}/stop/", {"quantity": 6}, **HX
    )
    assert "Timer stopped" in stop.content.decode()
    done = op_client.post(
        f"/manufacturing/station/steps/{step.pk}/complete/",
        {"quantity_passed": 5, "quantity_failed": 1},
        **HX,
    )
    html = done.content.decode()
    assert "Step 10 done" in html and "Step 20" in html  # moved on to the next step
    step.refresh_from_db()
    assert (step.status, step.quantity_passed, step.quantity_failed) == (
        StepStatus.DONE,
        5,
        1,
    )


def test_station_errors_are_shown_not_500(op_client, release):
    traveler = release("pcb")
    second = traveler.steps.get(sequence=20)
    response = op_client.post(f"/manufacturing/station/steps/{second.pk}/start/", **HX)
    assert response.status_code == 200
    assert "must be done before step 20" in response.content.decode()
    first = traveler.steps.get(sequence=10)
    op_client.post(f"/manufacturing/station/steps/{first.pk}/start/", **HX)
    bad = op_client.post(
        f"/manufacturing/station/steps/{first.pk}/complete/",
        {"quantity_passed": "abc"},
        **HX,
    )
    assert (
        bad.status_code == 200
        and "Check the highlighted fields" in bad.content.decode()
    )
    too_many = op_client.post(
        f"/manufacturing/station/steps/{first.pk}/complete/",
        {"quantity_passed": 99},
        **HX,
    )
    assert "exceed the traveler quantity" in too_many.content.decode()


def test_station_unknown_action_is_404_and_changes_nothing(op_client, release):
    traveler = release("pcb")
    step = traveler.steps.get(sequence=10)
    for name in ("explode", "labour", "start-all"):
        response = op_client.post(
            f"/manufacturing/station/steps/{step.pk}/{name}/", **HX
        )
        assert response.status_code == 404
    step.refresh_from_db()
    assert step.status == "pending" and not step.labor_logs.exists()


def test_station_without_htmx_redirects_with_message(op_client, release):
    traveler = release("pcb")
    step = traveler.steps.get(sequence=10)
    response = op_client.post(f"/manufacturing/station/steps/{step.pk}/start/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"?code={traveler.number}")
    page = op_client.get(response["Location"])
    assert "Timer started" in page.content.decode()


def test_station_coating_and_inspection_forms(client, make_user, done_step):
    from accounts.choices import Role

    inspector = make_user(Role.QUALITY)
    client.force_login(inspector)
    step = done_step("pcb", 50)
    panel = client.get(
        "/manufacturing/station/scan/", {"code": step.traveler.number}, **HX
    ).content.decode()
    assert "Coating data" in panel and "QC sign-off" in panel
    bad = client.post(
        f"/manufacturing/station/steps/{step.pk}/coating/",
        {"coating_type": "acrylic"},
        **HX,
    )
    assert "Check the highlighted fields" in bad.content.decode()
    refused = client.post(f"/manufacturing/station/steps/{step.pk}/sign-off/", **HX)
    assert "Record passing coating data" in refused.content.decode()
    client.post(
        f"/manufacturing/station/steps/{step.pk}/coating/",
        {
            "coating_type": "silicone",
            "material_lot": "L-7",
            "thickness_um": "60",
            "cure_minutes": "45",
            "cure_temperature_c": "80",
            "humidity_pct": "50",
            "result": "pass",
        },
        **HX,
    )
    assert CoatingLog.objects.filter(step=step, result="pass").exists()
    signed = client.post(f"/manufacturing/station/steps/{step.pk}/sign-off/", **HX)
    assert "signed off" in signed.content.decode()
    client.post(
        f"/manufacturing/station/steps/{step.pk}/inspection/",
        {
            "result": "fail",
            "defects": "Dewetting",
            "defect_count": 1,
            "disposition": "repair",
            "quantity_inspected": 10,
        },
        **HX,
    )
    assert Inspection.objects.filter(step=step, result="fail").exists()
    step.traveler.refresh_from_db()
    assert step.traveler.status == TravelerStatus.ON_HOLD


def test_traveler_detail_shows_revision_diff(staff_client, manager, release):
    traveler = release("pcb")
    services.update_traveler(
        traveler, by=manager, priority="urgent", reason="Customer call"
    )
    html = staff_client.get(f"/manufacturing/travelers/{traveler.pk}/").content.decode()
    assert "<del>normal</del>" in html and "<ins>urgent</ins>" in html
    assert "Customer call" in html
    assert "<svg" in html  # barcode


def test_traveler_actions_from_page(staff_client, release):
    traveler = release("pcb")
    response = staff_client.post(
        f"/manufacturing/travelers/{traveler.pk}/hold/", {"reason": "Parts late"}
    )
    assert response.status_code == 302
    traveler.refresh_from_db()
    assert (
        traveler.status == TravelerStatus.ON_HOLD
        and traveler.hold_reason == "Parts late"
    )
    again = staff_client.post(
        f"/manufacturing/travelers/{traveler.pk}/hold/", {"reason": "x"}, follow=True
    )
    assert "Only a released or in-progress traveler" in again.content.decode()
    assert (
        staff_client.post(
            f"/manufacturing/travelers/{traveler.pk}/explode/"
        ).status_code
        == 404
    )


def test_print_and_pdf(staff_client, release):
    traveler = release("cable")
    html = staff_client.get(
        f"/manufacturing/travelers/{traveler.pk}/print"
    ).content.decode()
    assert traveler.number in html and "Cut and strip" in html and "QC sign-off" in html
    assert html.count("<svg") >= 2  # Code128 and QR
    assert "@media print" in html
    pdf = staff_client.get(f"/manufacturing/travelers/{traveler.pk}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    from io import BytesIO

    from pypdf import PdfReader

    text = PdfReader(BytesIO(pdf.content)).pages[0].extract_text()
    assert traveler.number in text and traveler.part_number in text


def test_traveler_list_filters_and_query_count(staff_client, engineer):
    def make(n):
        for _ in range(n):
            services.release_traveler(TravelerFactory(), by=engineer)

    make(2)
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get("/manufacturing/").status_code == 200
    make(5)
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get("/manufacturing/")
    assert len(many) <= len(few)
    late = TravelerFactory(due_date=timezone.localdate() - dt.timedelta(days=3))
    html = staff_client.get("/manufacturing/", {"overdue": "true"}).content.decode()
    assert late.number in html
    assert response.content.decode().count("/manufacturing/travelers/") >= 7
    assert (
        staff_client.get("/manufacturing/", {"status": "nonsense"}).status_code == 200
    )


def test_reports_page_and_csv(staff_client, release, operator):
    step = release("cable").steps.get(sequence=10)
    t0 = timezone.now() - dt.timedelta(hours=1)
    services.start_labour(step, by=operator, now=t0)
    services.stop_labour(
        step, by=operator, quantity=10, now=t0 + dt.timedelta(minutes=20)
    )
    html = staff_client.get("/manufacturing/reports/").content.decode()
    assert html.count("<svg") >= 3 and "Cut and strip" in html
    csv_text = staff_client.get(
        "/manufacturing/reports/labor-efficiency.csv"
    ).content.decode()
    assert "operation,Cut and strip,1,10,20.00,15.00,75.00,5.00" in csv_text
    assert (
        staff_client.get("/manufacturing/reports/coating-status.csv").status_code == 200
    )
    assert (
        staff_client.get("/manufacturing/reports/traveler-completion.csv").status_code
        == 200
    )
    assert staff_client.get("/manufacturing/reports/bogus.csv").status_code == 404
    bad = staff_client.get(
        "/manufacturing/reports/", {"date_from": "2026-05-01", "date_to": "2026-01-01"}
    )
    assert (
        bad.status_code == 200 and "The start is after the end" in bad.content.decode()
    )


def test_portal_pages_show_only_own_company(portal_client_for, engineer):
    mine = services.release_traveler(TravelerFactory(), by=engineer)
    theirs = services.release_traveler(TravelerFactory(), by=engineer)
    client = portal_client_for(mine.customer)
    html = client.get("/manufacturing/").content.decode()
    assert mine.number in html and theirs.number not in html
    assert client.get(f"/manufacturing/travelers/{theirs.pk}/").status_code == 404
    own = client.get(f"/manufacturing/travelers/{mine.pk}/").content.decode()
    assert "Labour" not in own and "Bill of materials" not in own  # internal records
    assert client.get(f"/manufacturing/travelers/{mine.pk}/print").status_code == 403
    assert client.get("/manufacturing/station/").status_code == 403
    step = theirs.steps.first()
    assert (
        client.post(f"/manufacturing/station/steps/{step.pk}/start/").status_code == 403
    )
    assert (
        client.post(
            f"/manufacturing/travelers/{theirs.pk}/hold/", {"reason": "x"}
        ).status_code
        == 404
    )
    assert client.get("/manufacturing/reports/labor-efficiency.csv").status_code == 403


def test_engineer_approves_change_request_from_page(
    client, make_user, engineer, release
):
    from accounts.choices import Role

    traveler = release("pcb", quantity=10)
    cr = services.request_change(
        traveler,
        by=engineer,
        subject="traveler",
        changes={"quantity": 12},
        reason="Customer +2",
    )
    manager = make_user(Role.MANAGER)
    client.force_login(manager)
    page = client.get(f"/manufacturing/travelers/{traveler.pk}/").content.decode()
    assert "Customer +2" in page and "Approve and apply" not in page
    assert (
        client.post(f"/manufacturing/change-requests/{cr.pk}/approve/").status_code
        == 403
    )
    client.force_login(engineer)
    assert (
        "Approve and apply"
        in client.get(f"/manufacturing/travelers/{traveler.pk}/").content.decode()
    )
    response = client.post(
        f"/manufacturing/change-requests/{cr.pk}/approve/", {"note": "ok"}
    )
    assert response.status_code == 302
    traveler.refresh_from_db()
    assert traveler.quantity == 12
    again = client.post(
        f"/manufacturing/change-requests/{cr.pk}/reject/", {"note": "no"}, follow=True
    )
    assert "already decided" in again.content.decode()
