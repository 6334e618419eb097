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


@pytest.fixture
def done_step(release, operator):
    """done_step(code="pcb", sequence=40) -> a done step awaiting sign-off, with
    every earlier step cleared (skipped)."""

    def _make(code: str = "pcb", sequence: int = 40):
        traveler = release(code)
        traveler.steps.filter(sequence__lt=sequence).update(
            status="skipped", skip_reason="test"
        )
        step = traveler.steps.get(sequence=sequence)
        services.start_labour(step, by=operator)
        services.complete_step(step, by=operator, quantity_passed=traveler.quantity)
        step.refresh_from_db()
        return step

    return _make
