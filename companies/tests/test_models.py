import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from companies.models import (
    Company,
    CompanyFeatureOverride,
    CreditTransaction,
    PlanFeature,
)

from .factories import (
    CompanyFactory,
    CreditAccountFactory,
    LocationFactory,
    PlanFactory,
)

pytestmark = pytest.mark.django_db


def test_str_and_absolute_url():
    company = CompanyFactory(name="Acme", account_number=123456)
    assert str(company) == "Acme"
    assert company.get_absolute_url() == "/companies/123456/"
    assert str(LocationFactory(company=company, name="HQ")) == "Acme – HQ"


@pytest.mark.parametrize("number", [99999, 1000000])
def test_account_number_range_is_a_constraint(number):
    with pytest.raises(IntegrityError), transaction.atomic():
        Company.objects.create(name="X", account_number=number)


def test_account_number_range_is_validated():
    with pytest.raises(ValidationError) as exc:
        Company(name="X", account_number=99999).full_clean()
    assert "account_number" in exc.value.message_dict


def test_kind_and_status_constraints():
    with pytest.raises(IntegrityError), transaction.atomic():
        Company.objects.create(name="X", account_number=123456, kind="alien")
    with pytest.raises(IntegrityError), transaction.atomic():
        Company.objects.create(name="X", account_number=123457, status="zombie")


def test_contract_dates_constraint_is_a_readable_error():
    import datetime

    company = Company(
        name="X",
        account_number=123456,
        contract_start=datetime.date(2026, 5, 1),
        contract_end=datetime.date(2026, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        company.full_clean()
    assert "cannot end before it starts" in str(exc.value)


def test_credit_transaction_amount_cannot_be_zero():
    account = CreditAccountFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditTransaction.objects.create(
            account=account, kind="purchase", amount=0, balance_after=0
        )


def test_effective_features_apply_enabled_overrides():
    plan = PlanFactory()
    PlanFeature.objects.create(plan=plan, key="backup", value="1 TB")
    PlanFeature.objects.create(plan=plan, key="support", value="8x5")
    company = CompanyFactory(plan=plan)
    CompanyFeatureOverride.objects.create(company=company, key="support", value="24x7")
    CompanyFeatureOverride.objects.create(company=company, key="extra", value="yes")
    CompanyFeatureOverride.objects.create(
        company=company, key="backup", value="9 TB", enabled=False
    )
    fetched = Company.objects.with_features().get(pk=company.pk)
    assert fetched.effective_features == {
        "backup": "1 TB",
        "support": "24x7",
        "extra": "yes",
    }


def test_effective_features_without_plan():
    assert CompanyFactory().effective_features == {}


def test_history_is_kept():
    company = CompanyFactory(name="Before")
    company.name = "After"
    company.save()
    assert [h.name for h in company.history.all()] == ["After", "Before"]


def test_low_credit_accounts():
    low = CreditAccountFactory(low_balance_threshold=5)
    CreditAccountFactory(balance=10, low_balance_threshold=5)
    from companies.models import CreditAccount

    assert list(CreditAccount.objects.low()) == [low]
