"""Request decimals accept a string or a JSON number in the schema, as the API
does (nexus.schema.DecimalInput; contract fuzzing with rows: PUT /api/plans/{id}/
with `"monthly_price": 0` was reported as a schema-violating body accepted, and
the projects seed posts `"budget": 100000`). Responses stay strings."""

import pytest

from companies.tests.factories import CreditAccountFactory, PlanFactory


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("PlanRequest", "monthly_price"),
        ("PatchedPlanRequest", "monthly_price"),
        ("PatchedCreditAccountRequest", "low_balance_threshold"),
        ("CreateCreditTransactionRequest", "amount"),
    ],
)
def test_request_decimal_is_a_decimal_string_or_a_number(components, component, field):
    choices = components[component]["properties"][field]["oneOf"]
    assert choices[0]["type"] == "string" and choices[0]["format"] == "decimal"
    assert "pattern" in choices[0]
    assert choices[1] == {"type": "number"}


def test_response_decimal_stays_a_string(components):
    price = components["Plan"]["properties"]["monthly_price"]
    assert price["type"] == "string" and price["format"] == "decimal"
    assert "oneOf" not in price


@pytest.mark.django_db
@pytest.mark.parametrize("value", [0, 12.5, "12.50"])
def test_plan_price_as_number_or_string_is_stored(admin_api, value):
    plan = PlanFactory(name="Gold")
    response = admin_api.patch(
        f"/api/plans/{plan.pk}/", {"monthly_price": value}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["monthly_price"] == f"{float(value):.2f}"


@pytest.mark.django_db
def test_decimal_that_is_neither_is_a_400(admin_api):
    account = CreditAccountFactory()
    response = admin_api.patch(
        f"/api/credit-accounts/{account.pk}/",
        {"low_balance_threshold": True},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "low_balance_threshold" in response.json()
