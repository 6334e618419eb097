import pytest

from accounts.choices import Role
from manufacturing import services
from manufacturing.tests.factories import TravelerFactory, traveler_type


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ENGINEER)


@pytest.fixture
def operator(make_user):
    return make_user(Role.OPERATOR)


@pytest.fixture
def quality(make_user):
    return make_user(Role.QUALITY)


@pytest.fixture
def manager(make_user):
    return make_user(Role.MANAGER)


@pytest.fixture
def release(engineer):
    """release(code="pcb", **fields) -> a released traveler of that type."""

    def _release(code: str = "pcb", **fields):
        traveler = TravelerFactory(traveler_type=traveler_type(code), **fields)
        return services.release_traveler(traveler, by=engineer)

    return _release
