from decimal import Decimal

import pytest

from accounts.choices import Role
from accounts.tests.factories import DepartmentFactory
from companies.services import purchase_credits
from companies.tests.factories import CompanyFactory
from contacts.tests.factories import ContactFactory
from tickets.choices import EventChannel
from tickets.services import create_ticket


@pytest.fixture
def department(db):
    return DepartmentFactory(name="Service desk")


@pytest.fixture
def company_a(db):
    return CompanyFactory(name="Alpha Ltd", domains=["alpha.test"])


@pytest.fixture
def company_b(db):
    return CompanyFactory(name="Beta SA", domains=["beta.test"])


@pytest.fixture
def manager(make_user, department):
    user = make_user(Role.MANAGER, department=department)
    department.manager = user
    department.save()
    return user


@pytest.fixture
def tech(make_user, department):
    return make_user(Role.TECHNICIAN, department=department)


@pytest.fixture
def funded(db):
    """funded(company, hours) -> the company with that many credits."""

    def _fund(company, hours="10.00", *, overdraft=False):
        purchase_credits(company, amount=Decimal(hours), reference="test")
        account = company.credit_account
        account.refresh_from_db()
        if overdraft:
            account.allow_overdraft = True
            account.save(update_fields=["allow_overdraft"])
        return company

    return _fund


@pytest.fixture
def new_ticket(admin_user):
    """new_ticket(company, **fields) -> a ticket made through the service."""

    def _make(company, **fields):
        fields.setdefault("title", "Printer on fire")
        fields.setdefault("description", "It smokes.")
        fields.setdefault("by", admin_user)
        fields.setdefault("channel", EventChannel.API)
        return create_ticket(company=company, **fields)

    return _make


@pytest.fixture
def contact_of():
    def _make(company, **fields):
        return ContactFactory(companies=[company], **fields)

    return _make
