import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.models import Asset, LicenceAssignment
from assets.resources import AssetResource
from companies.tests.factories import CompanyFactory

from .factories import (
    AssetFactory,
    LicenceAssignmentFactory,
    LicenceFactory,
    SoftwareFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/admin/assets/asset/", lambda: AssetFactory()),
        ("/admin/assets/software/", lambda: SoftwareFactory()),
        ("/admin/assets/licence/", lambda: LicenceAssignmentFactory()),
        ("/admin/assets/licenceassignment/", lambda: LicenceAssignmentFactory()),
    ],
)
def test_changelist_queries_do_not_grow(
    staff_client, django_assert_max_num_queries, url, make
):
    for _ in range(2):
        make()
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(url).status_code == 200
    for _ in range(5):
        make()
    with django_assert_max_num_queries(len(few)):
        assert staff_client.get(url).status_code == 200


def test_changelists_search_and_filter(staff_client):
    AssetFactory(hostname="FIND-ME")
    body = staff_client.get("/admin/assets/asset/?q=find-me&status__exact=in_use")
    assert "FIND-ME" in body.content.decode()
    licence = LicenceFactory(licence_key="TOPSECRET-1234")
    body = staff_client.get("/admin/assets/licence/").content.decode()
    assert "TOPSECRET" not in body and "1234" in body
    assert (
        staff_client.get(f"/admin/assets/licence/{licence.pk}/change/").status_code
        == 200
    )


def test_asset_import_dry_run_reports_bad_row(staff_client):
    CompanyFactory(account_number=600001)
    csv = (
        "id,hostname,company_account_number,status\n"
        ",GOOD-1,600001,in_use\n"
        ",BAD-1,999999,in_use\n"
        ",BAD-2,600001,exploded\n"
    )
    response = staff_client.post(
        "/admin/assets/asset/import/",
        {
            "import_file": SimpleUploadedFile("assets.csv", csv.encode()),
            "format": "0",
            "resource": "0",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "No company with account number 999999." in body
    assert "exploded" in body  # the bad status is reported on its row
    assert not Asset.objects.exists()  # a dry run with errors writes nothing


def test_asset_import_confirm_creates_rows(staff_client):
    CompanyFactory(account_number=600002)
    csv = "id,hostname,company_account_number,status\n,NEW-1,600002,in_use\n"
    response = staff_client.post(
        "/admin/assets/asset/import/",
        {
            "import_file": SimpleUploadedFile("assets.csv", csv.encode()),
            "format": "0",
            "resource": "0",
        },
    )
    assert response.status_code == 200
    form = response.context["confirm_form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    response = staff_client.post("/admin/assets/asset/process_import/", data)
    assert response.status_code == 302
    assert Asset.objects.filter(hostname="NEW-1").exists()


@pytest.mark.parametrize("file_format", ["0", "1"])
def test_asset_export_selected(staff_client, file_format):
    asset = AssetFactory(hostname="EXP-1")
    AssetFactory(hostname="NOT-SELECTED")
    response = staff_client.post(
        "/admin/assets/asset/",
        {"action": "export_admin_action", "_selected_action": [asset.pk]},
    )
    assert response.status_code == 200
    response = staff_client.post(
        "/admin/assets/asset/export/",
        {
            "format": file_format,
            "resource": "0",
            "export_items": [asset.pk],
            **dict.fromkeys(
                [f"assetresource_{name}" for name in AssetResource.Meta.fields], "on"
            ),
        },
    )
    assert response.status_code == 200
    if file_format == "0":
        body = response.content.decode()
        assert "EXP-1" in body and "NOT-SELECTED" not in body
    else:
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        values = [c.value for c in next(workbook.active.iter_rows(min_row=2))]
        assert "EXP-1" in values


def test_asset_export_rejects_unknown_item(staff_client):
    asset = AssetFactory(hostname="EXP-2")
    gone = AssetFactory(hostname="GONE-1")
    gone_pk = gone.pk
    gone.delete()
    response = staff_client.post(
        "/admin/assets/asset/export/",
        {
            "format": "0",
            "resource": "0",
            "export_items": [asset.pk, gone_pk],
            **dict.fromkeys(
                [f"assetresource_{name}" for name in AssetResource.Meta.fields], "on"
            ),
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "export_items" in response.context["form"].errors


def test_history_recorded_on_admin_change(staff_client, admin_user):
    asset = AssetFactory(hostname="HIST-1")
    response = staff_client.get(f"/admin/assets/asset/{asset.pk}/history/")
    assert response.status_code == 200
    asset.hostname = "HIST-2"
    asset._history_user = admin_user
    asset.save()
    assert asset.history.first().history_user == admin_user
    assert asset.history.count() == 2


def test_licence_inline_refuses_too_many_seats(staff_client):
    licence = LicenceFactory(seats=1)
    a1, a2 = AssetFactory.create_batch(2, company=licence.company)
    data = {
        "software": licence.software.pk,
        "company": licence.company.pk,
        "licence_key": "",
        "seats": 1,
        "renewal_reminder_days": 30,
        "status": "active",
        "assignments-TOTAL_FORMS": 2,
        "assignments-INITIAL_FORMS": 0,
        "assignments-0-asset": a1.pk,
        "assignments-1-asset": a2.pk,
    }
    response = staff_client.post(f"/admin/assets/licence/{licence.pk}/change/", data)
    assert response.status_code == 200  # re-rendered with the error
    assert LicenceAssignment.objects.count() == 0


def test_assignment_admin_uses_the_service(staff_client):
    licence = LicenceFactory(seats=1)
    a1, a2 = AssetFactory.create_batch(2, company=licence.company)
    url = "/admin/assets/licenceassignment/add/"
    response = staff_client.post(url, {"licence": licence.pk, "asset": a1.pk})
    assert response.status_code == 302
    response = staff_client.post(url, {"licence": licence.pk, "asset": a2.pk})
    assert response.status_code == 200  # form error: no seat left
    assert LicenceAssignment.objects.count() == 1
