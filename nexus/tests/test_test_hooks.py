"""The root conftest keeps each phase's report on the test item, which the
browser tests' failure_artifacts fixture reads to save a screenshot."""

import pytest


@pytest.fixture
def call_report_in_teardown(request):
    yield
    # An error here (no rep_call, or not passed) fails the test at teardown.
    assert request.node.rep_call.passed


def test_phase_reports_are_kept_on_the_item(request, call_report_in_teardown):
    assert request.node.rep_setup.passed
    assert not hasattr(request.node, "rep_call")  # the call is not reported yet
