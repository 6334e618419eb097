"""CSV/XLSX exports neutralise formula injection (issue 10).

Every export is downloaded for real and parsed — CSV with the csv module, XLSX
with openpyxl — and no cell may start with `=`, `+`, `-`, `@`, a tab or a CR
(unless it is a plain number), nor be stored as a formula: the admin exports of
companies, contacts and assets (django-import-export, CSV and XLSX), the asset and
contact page exports, the network host list (page and API) and the manufacturing
CSV reports. The hostile values must reach the file (quoted), so the test cannot
pass by exporting nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from assets.models import Asset
from assets.tests.factories import AssetFactory
from companies.models import Company
from companies.tests.factories import CompanyFactory
from contacts.models import Contact
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("http://evil.test","x")',
    "==1+1",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?%?$")


def dangerous_cells(rows) -> list[str]:
    return [
        cell
        for row in rows
        for cell in row
        if isinstance(cell, str)
        and cell.startswith(DANGEROUS)
        and not NUMBER.match(cell)
    ]


def csv_rows(content: bytes | str) -> list[list[str]]:
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    return list(csv.reader(io.StringIO(text, newline="")))


def xlsx_rows(content: bytes) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (
                    f"formula cell {cell.coordinate}: {cell.value!r}"
                )
            rows.append([cell.value for cell in row])
    return rows


def _downloaded(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(
            c if isinstance(c, bytes) else c.encode()
            for c in response.streaming_content
        )
    return response.content


def assert_neutralised(rows, *, expect_hostile: int = 1):
    assert not dangerous_cells(rows), dangerous_cells(rows)
    flat = [str(cell) for row in rows for cell in row if cell is not None]
    seen = [h for h in HOSTILE if any(h.strip() in cell for cell in flat)]
    assert len(seen) >= expect_hostile, "the hostile values must reach the export"


def test_the_check_sees_an_unsafe_export():
    assert dangerous_cells(csv_rows('name\n"=1+1"\n"-cmd"\n'))
    assert dangerous_cells([["@SUM(A1)"], ["\t=1"]])
    assert not dangerous_cells([["-12.5"], ["+3"], ["'=1+1"], ["a=b"]])


@pytest.fixture
def hostile_rows():
    company = CompanyFactory(name=HOSTILE[0], description=HOSTILE[2])
    companies = [company] + [
        CompanyFactory(name=value, description=value) for value in HOSTILE[1:]
    ]
    contacts, assets = [], []
    for index, value in enumerate(HOSTILE):
        contact = ContactFactory(
            name=value, title=value, work_phone=value, email=f"c{index}@x.test"
        )
        contact.companies.add(company)
        contacts.append(contact)
        assets.append(
            AssetFactory(
                company=company,
                hostname=value,
                name=value,
                serial_number=value,
                operating_system=value,
                notes=value,
            )
        )
    return companies, contacts, assets


# ---------------------------------------------------------------- admin exports


def _admin_export(client, model, pks, file_format: str):
    model_admin = admin.site._registry[model]
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    response = client.post(
        changelist, {"action": "export_admin_action", ACTION_CHECKBOX_NAME: pks}
    )
    assert response.status_code == 200
    resource = model_admin.get_export_resource_classes(None)[0]
    prefix = resource.__name__.lower()
    fields = [f"{prefix}_{name}" for name in resource.Meta.fields]
    formats = [f().get_extension() for f in model_admin.get_export_formats()]
    return client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_export"),
        {
            "format": str(formats.index(file_format)),
            "resource": "0",
            "export_items": pks,
            **dict.fromkeys(fields, "on"),
        },
    )


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("model", [Company, Contact, Asset])
def test_admin_exports_neutralise_formulae(
    staff_client, hostile_rows, model, file_format
):
    companies, contacts, assets = hostile_rows
    rows = {Company: companies, Contact: contacts, Asset: assets}[model]
    response = _admin_export(staff_client, model, [r.pk for r in rows], file_format)
    assert response.status_code == 200, response.content[:300]
    content = response.content
    parsed = csv_rows(content) if file_format == "csv" else xlsx_rows(content)
    assert len(parsed) == len(rows) + 1
    assert_neutralised(parsed, expect_hostile=len(HOSTILE) - 2)


# ---------------------------------------------------------------- page exports


@pytest.mark.parametrize("url", ["/assets/export.csv", "/contacts/export.csv"])
def test_page_exports_neutralise_formulae(staff_client, hostile_rows, url):
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    parsed = csv_rows(_downloaded(response))
    assert len(parsed) == len(HOSTILE) + 1
    assert_neutralised(parsed, expect_hostile=len(HOSTILE) - 2)


def test_portal_page_exports_neutralise_formulae(portal_client_for, hostile_rows):
    companies, _contacts, _assets = hostile_rows
    client = portal_client_for(companies[0])
    for url in ("/assets/export.csv", "/contacts/export.csv"):
        response = client.get(url)
        if response.status_code != 200:
            assert response.status_code in (302, 403, 404)
            continue
        assert_neutralised(csv_rows(_downloaded(response)))


def test_host_list_exports_neutralise_formulae(staff_client, admin_api, hostile_rows):
    from assets.models import Network
    from assets.networks import claim_next_free, save_network

    companies, _contacts, assets = hostile_rows
    network = save_network(
        Network(company=companies[0], name=HOSTILE[0], cidr="10.9.8.0/29")
    )
    for index, value in enumerate(HOSTILE[:5], start=1):
        claim_next_free(network, hostname=value, asset=assets[index])
    page = staff_client.get(reverse("assets:network_export", args=[network.pk]))
    api = admin_api.get(f"/api/networks/{network.pk}/host-list-csv/")
    for response in (page, api):
        assert response.status_code == 200
        assert_neutralised(csv_rows(_downloaded(response)), expect_hostile=4)


# ---------------------------------------------------------------- manufacturing


def test_manufacturing_reports_neutralise_formulae(make_user, client):
    from manufacturing import services
    from manufacturing.tests.factories import TravelerFactory, traveler_type

    engineer = make_user(Role.ENGINEER)
    operator = make_user(Role.OPERATOR, full_name=HOSTILE[4])
    traveler = services.release_traveler(
        TravelerFactory(traveler_type=traveler_type("cable")), by=engineer
    )
    step = traveler.steps.get(sequence=10)
    type(step).objects.filter(pk=step.pk).update(operation=HOSTILE[1])
    step.refresh_from_db()
    t0 = timezone.now() - dt.timedelta(hours=1)
    services.start_labour(step, by=operator, now=t0)
    services.stop_labour(
        step, by=operator, quantity=5, now=t0 + dt.timedelta(minutes=9)
    )
    boss = make_user(Role.ADMIN, is_superuser=True)
    client.force_login(boss)
    seen = 0
    for kind in ("labor-efficiency", "traveler-completion", "coating-status"):
        response = client.get(f"/manufacturing/reports/{kind}.csv")
        assert response.status_code == 200
        rows = csv_rows(_downloaded(response))
        assert not dangerous_cells(rows), (kind, dangerous_cells(rows))
        seen += sum(HOSTILE[1] in c or HOSTILE[4] in c for r in rows for c in r)
    assert seen >= 2
