"""A malformed id in an attachment download URL is a 404, not a 500 (issue 10
fuzzing)."""

import pytest

pytestmark = pytest.mark.django_db


def test_malformed_attachment_id_is_a_404(admin_api):
    response = admin_api.get("/api/attachments/Q-x/download/")
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Not found."}
