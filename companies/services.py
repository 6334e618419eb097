"""Writes that touch several rows: account numbers, company lifecycle, credit ledger.

Every function runs under `transaction.atomic` and raises Django's `ValidationError`
with a field dict; the API, admin, pages and tasks all call these (STYLE R6).
"""

import secrets
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import ACCOUNT_NUMBER_MAX, ACCOUNT_NUMBER_MIN, CreditTransactionKind
from .models import Company, CreditAccount, CreditTransaction, IssuedAccountNumber

# With 900,000 possible numbers a free one is found in a handful of tries until the
# space is nearly full; past this many collisions we report it instead of spinning.
MAX_ACCOUNT_NUMBER_ATTEMPTS = 200

# The ledger columns are DecimalField(max_digits=12, decimal_places=2).
AMOUNT_PLACES = Decimal("0.01")
AMOUNT_LIMIT = Decimal("10000000000")  # 10 digits before the point

__all__ = [
    "adjust_credits",
    "change_account_number",
    "create_company",
    "deduct_credits",
    "delete_company",
    "generate_account_number",
    "purchase_credits",
    "refund_credits",
    "reserve_account_number",
    "update_company",
]


class DuplicateAccountNumber(ValidationError):
    """An explicit account number is already taken (the API answers 409)."""


# --------------------------------------------------------------------------- numbers


def reserve_account_number(number: int) -> bool:
    """Record `number` as issued (never to be generated); False if it already was."""
    try:
        with transaction.atomic():  # savepoint: a duplicate must not abort the caller
            IssuedAccountNumber.objects.create(number=number)
    except IntegrityError:
        return False
    return True


def _duplicate(number: int) -> DuplicateAccountNumber:
    return DuplicateAccountNumber(
        {
            "account_number": _(
                "A company with account number %(number)s already exists."
            )
            % {"number": number}
        },
        code="duplicate",
    )


@transaction.atomic
def generate_account_number() -> int:
    """Hand out a random, never-issued six-digit account number (race-free).

    The number is reserved by inserting it into `IssuedAccountNumber`, whose unique
    constraint makes two concurrent callers pick different numbers; a number stays
    reserved even if the company that got it is later deleted.
    """
    span = ACCOUNT_NUMBER_MAX - ACCOUNT_NUMBER_MIN + 1
    for _attempt in range(MAX_ACCOUNT_NUMBER_ATTEMPTS):
        number = ACCOUNT_NUMBER_MIN + secrets.randbelow(span)
        if not reserve_account_number(number):
            continue
        # Rows written before the registry existed (or by raw imports) are not
        # registered; the reservation above is kept so the number is skipped later.
        if Company.objects.filter(account_number=number).exists():
            continue
        return number
    raise ValidationError(
        {"account_number": _("No free account number could be found; try again.")},
        code="exhausted",
    )


def _claim(number: int) -> None:
    """Register an explicitly chosen number, refusing one a company already has."""
    if Company.objects.filter(account_number=number).exists():
        raise _duplicate(number)
    # An explicit number may have been issued before (e.g. to a company deleted here
    # but still present in Freshservice); the sync must be able to bring it back.
    reserve_account_number(number)


def _save_company(company: Company, **save_kwargs) -> None:
    # The number was range-checked and claimed by the caller; a clash found only at
    # save time (a lost race) must still become DuplicateAccountNumber below.
    company.full_clean(exclude=["account_number"])
    try:
        with transaction.atomic():  # savepoint: a lost race becomes a field error
            company.save(**save_kwargs)
    except IntegrityError as exc:
        if (
            Company.objects.filter(account_number=company.account_number)
            .exclude(pk=company.pk)
            .exists()
        ):
            raise _duplicate(company.account_number) from exc
        raise


@transaction.atomic
def create_company(
    *, name: str, account_number: int | None = None, actor=None, **fields
) -> Company:
    """Create a company; without `account_number` a fresh one is generated.

    An explicit number that a company already has raises `DuplicateAccountNumber`
    (a `ValidationError` on `account_number`).
    """
    if account_number is None:
        account_number = generate_account_number()
    else:
        _check_number_range(account_number)
        _claim(account_number)
    company = Company(name=name, account_number=account_number, **fields)
    if actor is not None:
        company._history_user = actor
    _save_company(company)
    return company


def _check_number_range(number) -> None:
    if (
        not isinstance(number, int)
        or isinstance(number, bool)
        or not ACCOUNT_NUMBER_MIN <= number <= ACCOUNT_NUMBER_MAX
    ):
        raise ValidationError(
            {
                "account_number": _(
                    "An account number has six digits (%(min)s–%(max)s)."
                )
                % {"min": ACCOUNT_NUMBER_MIN, "max": ACCOUNT_NUMBER_MAX}
            },
            code="invalid",
        )


@transaction.atomic
def change_account_number(company: Company, *, account_number: int, actor=None):
    """Give a company a new account number (admins only); the new one is registered."""
    if actor is not None and not actor.is_admin:
        raise PermissionDenied(_("Only administrators may change an account number."))
    if account_number == company.account_number:
        return company
    _check_number_range(account_number)
    _claim(account_number)
    company.account_number = account_number
    if actor is not None:
        company._history_user = actor
    _save_company(company)
    return company


UPDATABLE_COMPANY_FIELDS = frozenset(
    f.name
    for f in Company._meta.concrete_fields
    if f.editable and f.name not in {"id", "account_number", "created_at"}
)


@transaction.atomic
def update_company(company: Company, *, actor=None, **fields) -> Company:
    """Change a company's fields; a new `account_number` needs an administrator."""
    number = fields.pop("account_number", None)
    unknown = set(fields) - UPDATABLE_COMPANY_FIELDS - {"plan_id"}
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed.") for name in sorted(unknown)}
        )
    if number is not None and number != company.account_number:
        change_account_number(company, account_number=number, actor=actor)
    for name, value in fields.items():
        setattr(company, name, value)
    if actor is not None:
        company._history_user = actor
    _save_company(company)
    return company


# -------------------------------------------------------------------------- deletion


@transaction.atomic
def delete_company(company: Company, *, actor=None) -> None:
    """Delete a company that no longer has assets, contacts or users (seed rule).

    Its account number stays issued, so it is never handed out again.
    """
    blockers = []
    if company.assets.exists():
        blockers.append(_("assets"))
    if company.contacts.exists():
        blockers.append(_("contacts"))
    if company.users.exists():
        blockers.append(_("users"))
    if CreditTransaction.objects.filter(account__company=company).exists():
        blockers.append(_("credit transactions"))
    if blockers:
        raise ValidationError(
            _(
                "%(company)s cannot be deleted while it still has %(what)s; "
                "move or delete them first."
            )
            % {"company": company.name, "what": ", ".join(str(b) for b in blockers)},
            code="protected",
        )
    if actor is not None:
        company._history_user = actor
    try:
        with transaction.atomic():
            company.delete()
    except ProtectedError as exc:
        # Other apps (tickets, licences…) protect their rows; name what is in the way.
        names = sorted(
            {str(obj._meta.verbose_name_plural) for obj in exc.protected_objects}
        )
        raise ValidationError(
            _("%(company)s cannot be deleted while it still has %(what)s.")
            % {"company": company.name, "what": ", ".join(names)},
            code="protected",
        ) from exc


# ---------------------------------------------------------------------------- ledger


def _clean_amount(amount, *, signed: bool = False) -> Decimal:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(
            {"amount": _("Enter a number.")}, code="invalid"
        ) from None
    if not value.is_finite():
        raise ValidationError({"amount": _("Enter a number.")}, code="invalid")
    if abs(value) >= AMOUNT_LIMIT:
        raise ValidationError({"amount": _("The amount is too large.")}, code="max")
    if value != value.quantize(AMOUNT_PLACES):
        raise ValidationError(
            {"amount": _("Use at most two decimal places.")}, code="invalid"
        )
    value = value.quantize(AMOUNT_PLACES)
    if signed:
        if value == 0:
            raise ValidationError(
                {"amount": _("An adjustment cannot be zero.")}, code="zero"
            )
    elif value <= 0:
        raise ValidationError(
            {"amount": _("The amount must be greater than zero.")}, code="not_positive"
        )
    return value


def _locked_account(company: Company) -> CreditAccount:
    CreditAccount.objects.get_or_create(company=company)
    # The row lock is held until commit, so concurrent movements queue up
    # (PostgreSQL); SQLite ignores FOR UPDATE and serialises writers itself.
    return CreditAccount.objects.select_for_update().get(company=company)


def _move(
    company: Company,
    *,
    kind: str,
    amount: Decimal,
    actor,
    reference: str,
    note: str,
    allow_overdraft: bool | None = None,
) -> CreditTransaction:
    for _attempt in range(20):
        account = _locked_account(company)
        new_balance = account.balance + amount
        overdraft = (
            account.allow_overdraft if allow_overdraft is None else allow_overdraft
        )
        if amount < 0 and new_balance < 0 and not overdraft:
            raise ValidationError(
                {
                    "amount": _(
                        "Not enough credit: the balance is %(balance)s, so "
                        "%(amount)s would take it below zero."
                    )
                    % {"balance": account.balance, "amount": -amount}
                },
                code="insufficient",
            )
        # The balance we read is part of the WHERE: under the row lock it always
        # matches; where locks are not available (SQLite) a concurrent change makes
        # the update miss and we read again instead of losing that change.
        if CreditAccount.objects.filter(pk=account.pk, balance=account.balance).update(
            balance=new_balance, updated_at=timezone.now()
        ):
            break
    else:
        raise ValidationError(
            {"amount": _("The balance is changing too fast; try again.")},
            code="contention",
        )
    account.balance = new_balance
    account.company = company  # also refreshes the caller's company.credit_account
    return CreditTransaction.objects.create(
        account=account,
        kind=kind,
        amount=amount,
        balance_after=new_balance,
        reference=reference[:100],
        note=note,
        actor=actor if actor is not None and actor.is_authenticated else None,
    )


@transaction.atomic
def purchase_credits(
    company: Company,
    *,
    amount: Decimal,
    actor=None,
    reference: str = "",
    note: str = "",
) -> CreditTransaction:
    """Add bought credits to the company's balance."""
    return _move(
        company,
        kind=CreditTransactionKind.PURCHASE,
        amount=_clean_amount(amount),
        actor=actor,
        reference=reference,
        note=note,
    )


@transaction.atomic
def deduct_credits(
    company: Company,
    *,
    amount: Decimal,
    actor=None,
    reference: str = "",
    note: str = "",
    allow_overdraft: bool | None = None,
) -> CreditTransaction:
    """Take credits off the balance (e.g. for a ticket's time entry).

    Refused when the balance would go below zero, unless the account allows an
    overdraft or the caller passes `allow_overdraft=True` (False forbids it even
    when the account allows it).
    """
    return _move(
        company,
        kind=CreditTransactionKind.DEDUCTION,
        amount=-_clean_amount(amount),
        actor=actor,
        reference=reference,
        note=note,
        allow_overdraft=allow_overdraft,
    )


@transaction.atomic
def refund_credits(
    company: Company,
    *,
    amount: Decimal,
    actor=None,
    reference: str = "",
    note: str = "",
) -> CreditTransaction:
    """Give credits back (e.g. a time entry was removed)."""
    return _move(
        company,
        kind=CreditTransactionKind.REFUND,
        amount=_clean_amount(amount),
        actor=actor,
        reference=reference,
        note=note,
    )


@transaction.atomic
def adjust_credits(
    company: Company,
    *,
    amount: Decimal,
    actor=None,
    reference: str = "",
    note: str = "",
    allow_overdraft: bool | None = None,
) -> CreditTransaction:
    """Correct the balance by a signed amount; a negative one obeys the overdraft rule."""
    return _move(
        company,
        kind=CreditTransactionKind.ADJUSTMENT,
        amount=_clean_amount(amount, signed=True),
        actor=actor,
        reference=reference,
        note=note,
        allow_overdraft=allow_overdraft,
    )


LEDGER_SERVICES = {
    CreditTransactionKind.PURCHASE: purchase_credits,
    CreditTransactionKind.DEDUCTION: deduct_credits,
    CreditTransactionKind.REFUND: refund_credits,
    CreditTransactionKind.ADJUSTMENT: adjust_credits,
}
