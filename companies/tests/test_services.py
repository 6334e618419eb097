import random
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection

from accounts.choices import Role
from assets.tests.factories import AssetFactory
from companies import services
from companies.choices import CreditTransactionKind
from companies.models import (
    Company,
    CreditAccount,
    CreditTransaction,
    IssuedAccountNumber,
)
from companies.services import (
    DuplicateAccountNumber,
    adjust_credits,
    change_account_number,
    create_company,
    deduct_credits,
    delete_company,
    generate_account_number,
    purchase_credits,
    refund_credits,
)
from contacts.tests.factories import ContactFactory

from .factories import CompanyFactory, CreditAccountFactory

pytestmark = pytest.mark.django_db


def ledger_sum(company) -> Decimal:
    # Summed in Python: SQLite's SUM() over decimals is a float.
    amounts = CreditTransaction.objects.filter(account__company=company)
    return sum(amounts.values_list("amount", flat=True), Decimal("0"))


# ----------------------------------------------------------------- account numbers


def test_generate_account_number_is_six_digits_and_registered():
    number = generate_account_number()
    assert 100000 <= number <= 999999
    assert IssuedAccountNumber.objects.filter(number=number).exists()


def test_generate_account_number_skips_issued_numbers(monkeypatch):
    IssuedAccountNumber.objects.create(number=123456)
    picks = iter([23456, 23456, 23457])  # randbelow offsets from 100000
    monkeypatch.setattr(services.secrets, "randbelow", lambda n: next(picks))
    # 123456 is issued (refused twice), then 123457 is free.
    assert generate_account_number() == 123457


def test_generate_account_number_skips_unregistered_company_numbers(monkeypatch):
    CompanyFactory(account_number=555555)
    picks = iter([455555, 455556])
    monkeypatch.setattr(services.secrets, "randbelow", lambda n: next(picks))
    assert generate_account_number() == 555556


def test_generate_account_number_reports_exhaustion(monkeypatch):
    IssuedAccountNumber.objects.create(number=100000)
    monkeypatch.setattr(services.secrets, "randbelow", lambda n: 0)
    with pytest.raises(ValidationError) as exc:
        generate_account_number()
    assert "account_number" in exc.value.message_dict


def test_create_company_generates_a_number():
    company = create_company(name="Acme")
    assert 100000 <= company.account_number <= 999999
    assert IssuedAccountNumber.objects.filter(number=company.account_number).exists()


def test_create_company_with_explicit_number():
    company = create_company(name="Acme", account_number=424242, kind="supplier")
    assert company.account_number == 424242
    assert company.kind == "supplier"
    assert IssuedAccountNumber.objects.filter(number=424242).exists()


def test_create_company_rejects_existing_number():
    CompanyFactory(account_number=424242)
    with pytest.raises(DuplicateAccountNumber) as exc:
        create_company(name="Other", account_number=424242)
    assert "already exists" in exc.value.message_dict["account_number"][0]


@pytest.mark.parametrize("bad", [99999, 1000000, 0, -5, "123456", True])
def test_create_company_rejects_numbers_out_of_range(bad):
    with pytest.raises(ValidationError) as exc:
        create_company(name="Acme", account_number=bad)
    assert "account_number" in exc.value.message_dict


def test_create_company_validates_fields():
    with pytest.raises(ValidationError) as exc:
        create_company(name="", kind="nonsense")
    assert {"name", "kind"} <= set(exc.value.message_dict)


def test_create_company_records_history_actor(make_user):
    actor = make_user(Role.ADMIN)
    company = create_company(name="Acme", actor=actor)
    assert company.history.first().history_user == actor


def test_deleted_company_number_is_never_generated_again(monkeypatch):
    company = create_company(name="Gone")
    number = company.account_number
    delete_company(company)
    picks = iter([number - 100000, number - 100000 + 1 if number < 999999 else 0])
    monkeypatch.setattr(services.secrets, "randbelow", lambda n: next(picks))
    assert generate_account_number() != number


def test_change_account_number_by_admin_registers_it(make_user):
    admin = make_user(Role.ADMIN)
    company = create_company(name="Acme", account_number=111111)
    change_account_number(company, account_number=222222, actor=admin)
    company.refresh_from_db()
    assert company.account_number == 222222
    assert IssuedAccountNumber.objects.filter(number=222222).exists()
    # The old one stays issued: never handed out again.
    assert IssuedAccountNumber.objects.filter(number=111111).exists()


def test_change_account_number_refused_for_non_admin(make_user):
    tech = make_user(Role.TECHNICIAN)
    company = create_company(name="Acme", account_number=111111)
    with pytest.raises(PermissionDenied):
        change_account_number(company, account_number=222222, actor=tech)


def test_change_account_number_refuses_taken_number(make_user):
    admin = make_user(Role.ADMIN)
    CompanyFactory(account_number=333333)
    company = create_company(name="Acme", account_number=111111)
    with pytest.raises(DuplicateAccountNumber):
        change_account_number(company, account_number=333333, actor=admin)


# ------------------------------------------------------------------------ deletion


def test_delete_company_without_dependants():
    company = create_company(name="Empty")
    delete_company(company)
    assert not Company.objects.filter(pk=company.pk).exists()


def test_delete_company_refused_with_assets():
    company = CompanyFactory()
    AssetFactory(company=company)
    with pytest.raises(ValidationError) as exc:
        delete_company(company)
    assert "assets" in exc.value.messages[0]
    assert Company.objects.filter(pk=company.pk).exists()


def test_delete_company_refused_with_contacts():
    company = CompanyFactory()
    ContactFactory().companies.add(company)
    with pytest.raises(ValidationError) as exc:
        delete_company(company)
    assert "contacts" in exc.value.messages[0]


def test_delete_company_refused_with_users(portal_user_for):
    company = CompanyFactory()
    portal_user_for(company)
    with pytest.raises(ValidationError) as exc:
        delete_company(company)
    assert "users" in exc.value.messages[0]


def test_delete_company_refused_with_ledger():
    company = CompanyFactory()
    purchase_credits(company, amount=Decimal("5"))
    with pytest.raises(ValidationError) as exc:
        delete_company(company)
    assert "credit transactions" in exc.value.messages[0]


# -------------------------------------------------------------------------- ledger


def test_purchase_creates_account_and_transaction(make_user):
    actor = make_user(Role.BILLING)
    company = CompanyFactory()
    tx = purchase_credits(
        company, amount=Decimal("10.50"), actor=actor, reference="inv-1", note="Q1"
    )
    assert tx.kind == CreditTransactionKind.PURCHASE
    assert tx.amount == Decimal("10.50")
    assert tx.balance_after == Decimal("10.50")
    assert tx.actor == actor
    assert tx.reference == "inv-1"
    assert company.credit_account.balance == Decimal("10.50")


def test_deduct_and_refund_update_balance():
    company = CompanyFactory()
    purchase_credits(company, amount=Decimal("10"))
    tx = deduct_credits(company, amount=Decimal("3.25"), reference="time-entry:1")
    assert tx.amount == Decimal("-3.25")
    assert tx.balance_after == Decimal("6.75")
    tx = refund_credits(company, amount=Decimal("1.25"))
    assert tx.balance_after == Decimal("8.00")
    assert CreditAccount.objects.get(company=company).balance == Decimal("8.00")


def test_deduct_below_zero_refused():
    company = CompanyFactory()
    purchase_credits(company, amount=Decimal("2"))
    with pytest.raises(ValidationError) as exc:
        deduct_credits(company, amount=Decimal("2.01"))
    assert "amount" in exc.value.message_dict
    assert CreditAccount.objects.get(company=company).balance == Decimal("2")
    assert CreditTransaction.objects.filter(account__company=company).count() == 1


def test_deduct_on_new_account_refused():
    company = CompanyFactory()
    with pytest.raises(ValidationError):
        deduct_credits(company, amount=Decimal("1"))


def test_deduct_allowed_into_overdraft_when_account_allows():
    company = CompanyFactory()
    CreditAccountFactory(company=company, allow_overdraft=True)
    tx = deduct_credits(company, amount=Decimal("5"))
    assert tx.balance_after == Decimal("-5")


def test_deduct_override_allows_overdraft():
    company = CompanyFactory()
    tx = deduct_credits(company, amount=Decimal("5"), allow_overdraft=True)
    assert tx.balance_after == Decimal("-5")
    # Back to the normal rule for the next movement.
    with pytest.raises(ValidationError):
        deduct_credits(company, amount=Decimal("1"))
    purchase_credits(company, amount=Decimal("2"))
    assert company.credit_account.__class__.objects.get(
        company=company
    ).balance == Decimal("-3")


def test_deduct_override_can_forbid_overdraft():
    company = CompanyFactory()
    CreditAccountFactory(company=company, allow_overdraft=True)
    with pytest.raises(ValidationError):
        deduct_credits(company, amount=Decimal("5"), allow_overdraft=False)


def test_adjust_is_signed():
    company = CompanyFactory()
    adjust_credits(company, amount=Decimal("4"))
    tx = adjust_credits(company, amount=Decimal("-1.5"), note="typo")
    assert tx.kind == CreditTransactionKind.ADJUSTMENT
    assert tx.balance_after == Decimal("2.5")
    with pytest.raises(ValidationError):
        adjust_credits(company, amount=Decimal("-3"))


@pytest.mark.parametrize("service", [purchase_credits, deduct_credits, refund_credits])
@pytest.mark.parametrize("amount", [0, -1, "0.001", "abc", None, "NaN", "1e40"])
def test_bad_amounts_refused(service, amount):
    company = CompanyFactory()
    with pytest.raises(ValidationError) as exc:
        service(company, amount=amount)
    assert "amount" in exc.value.message_dict
    assert not CreditTransaction.objects.exists()


def test_adjust_zero_refused():
    with pytest.raises(ValidationError) as exc:
        adjust_credits(CompanyFactory(), amount=Decimal("0"))
    assert "amount" in exc.value.message_dict


def test_balance_equals_sum_of_transactions_after_random_operations():
    rng = random.Random(20261121)
    company = CompanyFactory()
    CreditAccountFactory(company=company)
    for _ in range(300):
        op = rng.choice(["purchase", "deduct", "refund", "adjust", "deduct_over"])
        amount = Decimal(rng.randint(1, 2000)) / 100
        try:
            if op == "purchase":
                purchase_credits(company, amount=amount)
            elif op == "deduct":
                deduct_credits(company, amount=amount)
            elif op == "deduct_over":
                deduct_credits(company, amount=amount, allow_overdraft=True)
            elif op == "refund":
                refund_credits(company, amount=amount)
            else:
                adjust_credits(company, amount=amount * rng.choice([1, -1]))
        except ValidationError:
            pass
        account = CreditAccount.objects.get(company=company)
        assert account.balance == ledger_sum(company)
    last = CreditTransaction.objects.filter(account__company=company).first()
    assert last.balance_after == CreditAccount.objects.get(company=company).balance


# ------------------------------------------------------------ PostgreSQL concurrency

pg_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs real row locks (PostgreSQL)"
)


def _run_threads(count: int, target, *, workers: int = 16) -> list:
    """Run target(0..count-1) on `workers` threads started together.

    The pool is bounded so the test never needs more database connections than
    PostgreSQL's default limit leaves free, however large `count` is.
    """
    errors: list = []
    workers = min(workers, count)
    barrier = threading.Barrier(workers)

    def worker(first):
        try:
            barrier.wait()
            for i in range(first, count, workers):
                try:
                    target(i)
                except Exception as exc:  # collected and asserted below
                    errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


@pg_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_create_company_gives_distinct_numbers():
    errors = _run_threads(50, lambda i: create_company(name=f"Concurrent {i}"))
    assert errors == []
    numbers = list(Company.objects.values_list("account_number", flat=True))
    assert len(numbers) == 50
    assert len(set(numbers)) == 50


@pg_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_deductions_leave_exact_balance():
    company = CompanyFactory()
    purchase_credits(company, amount=Decimal("120"))
    errors = _run_threads(
        100, lambda i: deduct_credits(company, amount=Decimal("1.10"))
    )
    assert errors == []
    account = CreditAccount.objects.get(company=company)
    assert account.balance == Decimal("120") - 100 * Decimal("1.10")
    assert account.balance == ledger_sum(company)
    assert CreditTransaction.objects.filter(kind="deduction").count() == 100


@pg_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_deductions_never_overdraw():
    company = CompanyFactory()
    purchase_credits(company, amount=Decimal("30"))
    errors = _run_threads(60, lambda i: deduct_credits(company, amount=Decimal("1")))
    assert len(errors) == 30
    assert all(isinstance(e, ValidationError) for e in errors)
    account = CreditAccount.objects.get(company=company)
    assert account.balance == Decimal("0")
    assert account.balance == ledger_sum(company)


@pg_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_api_posts_give_distinct_numbers(make_user):
    from rest_framework.test import APIClient

    user = make_user(Role.TECHNICIAN)
    statuses: list[int] = []

    def post(i):
        client = APIClient()
        client.force_authenticate(user)
        response = client.post("/api/companies", {"name": f"API {i}"}, format="json")
        statuses.append(response.status_code)

    errors = _run_threads(50, post)
    assert errors == []
    assert statuses == [201] * 50
    numbers = set(Company.objects.values_list("account_number", flat=True))
    assert len(numbers) == 50


@pg_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_explicit_duplicates_give_one_company():
    results: list[str] = []

    def create(i):
        try:
            create_company(name=f"Dup {i}", account_number=777777)
            results.append("ok")
        except DuplicateAccountNumber:
            results.append("dup")

    errors = _run_threads(20, create)
    assert errors == []
    assert results.count("ok") == 1
    assert results.count("dup") == 19
    assert Company.objects.filter(account_number=777777).count() == 1
