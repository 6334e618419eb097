"""Project codes stay unique under concurrent creation (real threads)."""

import threading

import pytest
from django.db import connection, connections

from companies.tests.factories import CompanyFactory
from projects.models import Project
from projects.services import save_project


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs row locks under real threads"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_projects_get_distinct_codes():
    client = CompanyFactory()
    barrier = threading.Barrier(8)
    errors = []

    def create(n):
        try:
            barrier.wait(timeout=10)
            save_project(Project(name=f"P{n}", client=client))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    codes = list(Project.objects.values_list("code", flat=True))
    assert len(codes) == 8 and len(set(codes)) == 8
