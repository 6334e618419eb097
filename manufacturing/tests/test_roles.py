"""Role matrix: each role can do exactly its actions, by API and by page."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.choices import Role
from companies.tests.factories import CompanyFactory
from manufacturing import services
from manufacturing.models import ChangeRequest, LaborLog, Traveler

from .factories import TravelerFactory, traveler_type

pytestmark = pytest.mark.django_db

ROLES = [
    Role.ADMIN,
    Role.MANAGER,
    Role.OPERATOR,
    Role.QUALITY,
    Role.PURCHASING,
    Role.ASSEMBLY,
    Role.ENGINEER,
    Role.TECHNICIAN,
    Role.CLIENT,
]
ALL = set(ROLES)


def _skipped_to(traveler, sequence):
    traveler.steps.filter(sequence__lt=sequence).update(
        status="skipped", skip_reason="t"
    )
    return traveler.steps.get(sequence=sequence)


# action -> (roles allowed, callable(api, ctx) -> response)
def _create_traveler(api, ctx):
    return api.post(
        "/api/travelers",
        {"traveler_type_id": traveler_type().pk, "part_number": "X", "quantity": 1},
        format="json",
    )


def _release(api, ctx):
    return api.post(
        f"/api/travelers/{TravelerFactory(customer=ctx['company'], purchase_order=None).pk}/release"
    )


def _hold(api, ctx):
    return api.post(
        f"/api/travelers/{ctx['released'].pk}/hold", {"reason": "check"}, format="json"
    )


def _add_bom(api, ctx):
    draft = TravelerFactory(customer=ctx["company"], purchase_order=None)
    return api.post(
        f"/api/travelers/{draft.pk}/bom", {"part_number": "R1"}, format="json"
    )


def _bom_status(api, ctx):
    item = services.add_bom_item(
        TravelerFactory(customer=ctx["company"], purchase_order=None),
        by=ctx["engineer"],
        part_number="R",
    )
    return api.post(
        f"/api/bom-items/{item.pk}/set-status", {"status": "ordered"}, format="json"
    )


def _create_po(api, ctx):
    return api.post(
        "/api/purchase-orders",
        {
            "po_number": "PO-ROLE",
            "customer_id": ctx["company"].pk,
            "order_date": "2026-11-01",
        },
        format="json",
    )


def _start_kitting(api, ctx):
    return api.post(
        f"/api/process-steps/{ctx['released'].steps.get(sequence=10).pk}/start"
    )


def _start_assembly(api, ctx):
    step = _skipped_to(ctx["assembly"], 20)
    return api.post(f"/api/process-steps/{step.pk}/start")


def _sign_off(api, ctx):
    return api.post(f"/api/process-steps/{ctx['done_step'].pk}/sign-off")


def _inspect(api, ctx):
    return api.post(
        "/api/inspections",
        {"step_id": ctx["done_step"].pk, "result": "pass"},
        format="json",
    )


def _coating(api, ctx):
    step = _skipped_to(ctx["released"], 50)
    return api.post(
        "/api/coating-logs",
        {
            "step_id": step.pk,
            "coating_type": "acrylic",
            "material_lot": "L1",
            "thickness_um": "30",
            "cure_minutes": 20,
            "cure_temperature_c": "60",
            "humidity_pct": "40",
            "result": "pass",
        },
        format="json",
    )


def _approve(api, ctx):
    cr = services.request_change(
        ctx["released"],
        by=ctx["engineer"],
        subject="traveler",
        changes={"quantity": 3},
        reason="r",
    )
    return api.post(f"/api/change-requests/{cr.pk}/approve", {}, format="json")


def _request_change(api, ctx):
    return api.post(
        "/api/change-requests",
        {
            "traveler_id": ctx["released"].pk,
            "subject": "traveler",
            "changes": {"quantity": 4},
            "reason": "r",
        },
        format="json",
    )


def _edit_labour(api, ctx):
    return api.patch(
        f"/api/labor-logs/{ctx['closed_log'].pk}",
        {"quantity": 1, "reason": "fix"},
        format="json",
    )


def _skip(api, ctx):
    return api.post(
        f"/api/process-steps/{ctx['released'].steps.get(sequence=10).pk}/skip",
        {"reason": "waiver"},
        format="json",
    )


def _reports(api, ctx):
    return api.get("/api/reports/dashboard-stats")


def _edit_routing(api, ctx):
    op = traveler_type("parts").operations.first()
    return api.patch(
        f"/api/routing-operations/{op.pk}", {"standard_minutes": "7"}, format="json"
    )


def _read_steps(api, ctx):
    return api.get("/api/process-steps")


MFG = {
    Role.ADMIN,
    Role.MANAGER,
    Role.OPERATOR,
    Role.QUALITY,
    Role.PURCHASING,
    Role.ASSEMBLY,
    Role.ENGINEER,
}
MATRIX = {
    "create_traveler": ({Role.ADMIN, Role.MANAGER, Role.ENGINEER}, _create_traveler),
    "release_traveler": ({Role.ADMIN, Role.MANAGER, Role.ENGINEER}, _release),
    "hold_traveler": ({Role.ADMIN, Role.MANAGER, Role.QUALITY}, _hold),
    "add_bom_line": ({Role.ADMIN, Role.ENGINEER}, _add_bom),
    "set_bom_status": ({Role.ADMIN, Role.PURCHASING}, _bom_status),
    "create_purchase_order": ({Role.ADMIN, Role.PURCHASING}, _create_po),
    "start_labour": ({Role.ADMIN, Role.OPERATOR}, _start_kitting),
    "start_assembly_labour": (
        {Role.ADMIN, Role.OPERATOR, Role.ASSEMBLY},
        _start_assembly,
    ),
    "sign_off": ({Role.ADMIN, Role.QUALITY}, _sign_off),
    "inspect": ({Role.ADMIN, Role.QUALITY}, _inspect),
    "coating_data": ({Role.ADMIN, Role.OPERATOR, Role.QUALITY}, _coating),
    "request_change": (
        {Role.ADMIN, Role.MANAGER, Role.QUALITY, Role.ENGINEER},
        _request_change,
    ),
    "approve_change": ({Role.ADMIN, Role.ENGINEER}, _approve),
    "edit_labour_log": ({Role.ADMIN, Role.MANAGER}, _edit_labour),
    "skip_step": ({Role.ADMIN, Role.MANAGER, Role.ENGINEER}, _skip),
    "reports": ({Role.ADMIN, Role.MANAGER}, _reports),
    "edit_routing": ({Role.ADMIN, Role.ENGINEER}, _edit_routing),
    "read_shop_floor": (MFG, _read_steps),
}


class LazyContext(dict):
    """Builds each fixture row on first use, so every case pays only for its own."""

    def __init__(self, builders):
        super().__init__()
        self.builders = builders

    def __missing__(self, key):
        self[key] = value = self.builders[key]()
        return value


@pytest.fixture
def ctx(engineer, operator, release, done_step):
    def closed_log():
        step = release("cable").steps.get(sequence=10)
        services.start_labour(step, by=operator)
        return services.stop_labour(step, by=operator, quantity=1)

    return LazyContext(
        {
            "company": CompanyFactory,
            "engineer": lambda: engineer,
            "released": lambda: release("pcb", customer=None, purchase_order=None),
            "assembly": lambda: release("assembly"),
            "done_step": lambda: done_step("pcb", 40),
            "closed_log": closed_log,
        }
    )


def _user(make_user, role, company):
    if role == Role.CLIENT:
        return make_user(Role.CLIENT, company=company)
    if role == Role.ADMIN:
        return make_user(Role.ADMIN)  # the Admin group, not a superuser
    return make_user(role)


@pytest.mark.parametrize("action", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_api_role_matrix(make_user, ctx, role, action):
    allowed, call = MATRIX[action]
    api = APIClient()
    api.force_authenticate(_user(make_user, role, ctx["company"]))
    response = call(api, ctx)
    if role in allowed:
        assert response.status_code in (200, 201, 202), (role, action, response.content)
    else:
        assert response.status_code in (403, 404), (
            role,
            action,
            response.status_code,
            response.content,
        )


PAGES = {
    "traveler list": ("/manufacturing/", MFG | {Role.CLIENT}),
    "station": ("/manufacturing/station/", MFG),
    "reports": ("/manufacturing/reports/", {Role.ADMIN, Role.MANAGER}),
}


@pytest.mark.parametrize("page_name", sorted(PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_page_role_matrix(make_user, role, page_name):
    url, allowed = PAGES[page_name]
    client = Client()
    client.force_login(_user(make_user, role, CompanyFactory()))
    response = client.get(url)
    assert response.status_code == (200 if role in allowed else 403), (role, page_name)


@pytest.mark.parametrize("role", ROLES)
def test_page_station_start_and_release_by_role(make_user, release, role):
    company = CompanyFactory()
    user = _user(make_user, role, company)
    client = Client()
    client.force_login(user)
    traveler = release("pcb")
    step = traveler.steps.get(sequence=10)
    client.post(
        f"/manufacturing/station/steps/{step.pk}/start/", HTTP_HX_REQUEST="true"
    )
    started = LaborLog.objects.filter(operator=user).exists()
    assert started == (role in {Role.ADMIN, Role.OPERATOR}), role
    draft = TravelerFactory()
    client.post(f"/manufacturing/travelers/{draft.pk}/release/")
    draft.refresh_from_db()
    assert (draft.status == "released") == (
        role in {Role.ADMIN, Role.MANAGER, Role.ENGINEER}
    ), role
    cr_count = ChangeRequest.objects.count()
    assert cr_count == 0
    assert (
        Traveler.objects.filter(pk=traveler.pk, status="in_progress").exists()
        == started
    )
