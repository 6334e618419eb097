import pytest

pytestmark = pytest.mark.django_db


def test_status_reports_healthy(api_client):
    response = api_client.get("/api/status")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert body["version"]


def test_status_reports_stopped_broker_as_unhealthy(api_client, settings):
    from nexus.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = api_client.get("/api/status/")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] is False


def test_schema_and_docs_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content and b"cdn" not in docs.content.lower()


def test_sequence_next_value_increments():
    from nexus.sequences import next_value

    assert [next_value("t"), next_value("t"), next_value("t")] == [1, 2, 3]


def test_encrypted_field_roundtrip():
    from nexus.fields import decrypt_text, encrypt_text, mask_secret

    token = encrypt_text("s3cret")
    assert "s3cret" not in token and decrypt_text(token) == "s3cret"
    assert mask_secret("ABCDEFGH").endswith("EFGH")


def test_json_renderer_handles_nested_list_errors():
    from drf_orjson_renderer.renderers import ORJSONRenderer

    assert ORJSONRenderer().render({"lines": {0: ["This field is required."]}}) == (
        b'{"lines":{"0":["This field is required."]}}'
    )


def test_favicon_is_linked_and_served(client, admin_user):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("nexus/favicon.svg")
    assert "max-age=86400" in response["Cache-Control"]
    assert client.post("/favicon.ico").status_code == 405
    client.force_login(admin_user)
    page = client.get("/").content.decode()
    assert 'rel="icon"' in page and "nexus/favicon.svg" in page
