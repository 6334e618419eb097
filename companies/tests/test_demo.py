from decimal import Decimal
from io import StringIO

import pytest

from companies import demo
from companies.models import Company, CreditAccount, CreditTransaction, Plan

pytestmark = pytest.mark.django_db


def test_demo_load_is_idempotent():
    demo.load(stdout=StringIO())
    counts = (
        Plan.objects.count(),
        Company.objects.count(),
        CreditTransaction.objects.count(),
    )
    demo.load(stdout=StringIO())
    assert counts == (
        Plan.objects.count(),
        Company.objects.count(),
        CreditTransaction.objects.count(),
    )
    assert Company.objects.suppliers().count() == 2
    assert Company.objects.clients().count() == 8
    for account in CreditAccount.objects.all():
        amounts = account.transactions.values_list("amount", flat=True)
        assert account.balance == sum(amounts, Decimal("0"))
