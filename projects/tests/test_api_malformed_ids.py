"""A malformed id in a thread URL is a 404, not a 500 (issue 10 fuzzing)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("suffix", ["messages/", "files/"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_malformed_thread_id_is_a_404(admin_api, method, suffix):
    response = getattr(admin_api, method)(
        f"/api/threads/qN;/{suffix}", {}, format="json"
    )
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Not found."}
