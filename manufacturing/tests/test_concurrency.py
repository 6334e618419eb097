"""Concurrent scans: one open labour log per operator, stops never double-close."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from manufacturing import services
from manufacturing.models import LaborLog, ProcessStep

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks under real threads need PostgreSQL",
)


def _race(worker, count: int) -> list:
    """Run worker(i) in `count` threads released together; collect results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = worker(index)
        except Exception as exc:  # the outcome is what the test checks
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_open_one_log_per_operator(release, operator):
    travelers = [release("cable") for _ in range(6)]
    steps = [t.steps.get(sequence=10).pk for t in travelers]

    def start(index):
        return services.start_labour(
            ProcessStep.objects.get(pk=steps[index]), by=operator
        )

    results = _race(start, len(steps))
    opened = [r for r in results if isinstance(r, LaborLog)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(opened) == 1, results
    assert len(refused) == len(steps) - 1, results
    assert LaborLog.objects.open().filter(operator=operator).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_stops_close_the_log_once(release, operator):
    step = release("cable").steps.get(sequence=10)
    services.start_labour(step, by=operator)

    def stop(index):
        return services.stop_labour(
            ProcessStep.objects.get(pk=step.pk), by=operator, quantity=index + 1
        )

    results = _race(stop, 8)
    stopped = [r for r in results if isinstance(r, LaborLog)]
    assert len(stopped) == 1, results
    assert all(isinstance(r, ValidationError) for r in results if r not in stopped)
    log = LaborLog.objects.get(operator=operator)
    assert log.stopped_at is not None and log.quantity == stopped[0].quantity


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_travelers_get_unique_numbers(make_user):
    from accounts.choices import Role

    from .factories import traveler_type

    manager = make_user(Role.MANAGER)
    pcb = traveler_type("pcb")

    def create(index):
        return services.create_traveler(
            by=manager, traveler_type=pcb, part_number=f"P{index}", quantity=1
        ).number

    numbers = _race(create, 8)
    assert all(isinstance(n, str) for n in numbers), numbers
    assert len(set(numbers)) == 8


@pytest.mark.django_db
def test_second_start_is_refused_sequentially(release, operator):
    """The same rule without threads (runs on SQLite too)."""
    a, b = release("cable"), release("cable")
    services.start_labour(a.steps.get(sequence=10), by=operator)
    with pytest.raises(ValidationError):
        services.start_labour(b.steps.get(sequence=10), by=operator)
    with pytest.raises(ValidationError):
        services.start_labour(a.steps.get(sequence=10), by=operator)
