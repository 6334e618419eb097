"""Credits and ticket numbers under real concurrent writers (PostgreSQL row locks)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from companies.models import CreditTransaction
from tickets.choices import EventChannel
from tickets.models import Ticket, TimeEntry
from tickets.services import create_ticket, delete_time, edit_time, log_time

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks under real threads need PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

API = EventChannel.API


def run_together(count, work):
    """Run `work(i)` in `count` threads released at the same moment."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def runner(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except ValidationError as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def balance(company) -> Decimal:
    company.credit_account.refresh_from_db()
    return company.credit_account.balance


def test_concurrent_billable_entries_deduct_exactly(
    new_ticket, company_a, tech, funded
):
    funded(company_a, "5.00")
    ticket = new_ticket(company_a)
    results = run_together(
        16, lambda i: log_time(ticket=ticket, by=tech, minutes=30, channel=API)
    )
    made = [r for r in results if isinstance(r, TimeEntry)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(made) == 10 and len(refused) == 6
    assert balance(company_a) == Decimal("0.00")
    assert TimeEntry.objects.count() == 10
    assert (
        CreditTransaction.objects.filter(reference__startswith="time-entry:").count()
        == 10
    )


def test_concurrent_edits_and_deletes_refund_exactly(
    new_ticket, company_a, tech, funded
):
    funded(company_a, "10.00")
    ticket = new_ticket(company_a)
    entries = [
        log_time(ticket=ticket, by=tech, minutes=60, channel=API) for _ in range(4)
    ]
    assert balance(company_a) == Decimal("6.00")

    def work(i):
        entry = entries[i % 4]
        if i % 4 == 0:
            return delete_time(entry, by=tech, channel=API)
        return edit_time(entry, by=tech, channel=API, minutes=15 * (i % 7 + 1))

    run_together(16, work)
    billed = sum(TimeEntry.objects.values_list("billed_hours", flat=True), Decimal("0"))
    # Whatever order the writers ran in, credits + what is billed is what was bought.
    assert balance(company_a) + billed == Decimal("10.00")
    assert not TimeEntry.objects.filter(pk=entries[0].pk).exists()
    refunds = CreditTransaction.objects.filter(
        reference=f"time-entry:{entries[0].pk}", kind="refund"
    )
    assert sum(refunds.values_list("amount", flat=True)) == Decimal("1.00")


def test_concurrent_tickets_get_distinct_numbers(company_a, admin_user):
    results = run_together(
        12,
        lambda i: create_ticket(
            by=admin_user, channel=API, title=f"t{i}", company=company_a
        ),
    )
    numbers = {r.number for r in results}
    assert len(numbers) == 12
    assert Ticket.objects.count() == 12
