"""The assistant over real HTTP: a fake OpenAI-compatible server runs on a free
port in a thread (stdlib http.server); the httpx client is not patched."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.assistant import (
    KnowledgeProvider,
    OpenAICompatibleProvider,
    ProviderError,
    active_provider,
    retrieve_passages,
)
from knowledge.choices import ProviderKind
from knowledge.models import AssistantMessage
from knowledge.services import ask_assistant, start_assistant_session
from knowledge.tests.conftest import make_docx

pytestmark = pytest.mark.django_db


class FakeOpenAI:
    """Records requests; answers according to `mode`."""

    def __init__(self):
        self.requests: list[dict] = []
        self.mode = "cite"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                outer.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "body": body,
                    }
                )
                if outer.mode == "slow":
                    time.sleep(2)
                status, payload = {
                    "cite": (200, self._answer("Use the zebra procedure [1].")),
                    "invent": (200, self._answer("See [7] and [1].")),
                    "nocite": (200, self._answer("I am not sure.")),
                    "unauthorized": (401, {"error": {"message": "bad key"}}),
                    "ratelimit": (429, {"error": {"message": "slow down"}}),
                    "broken": (200, {"unexpected": True}),
                    "error": (500, {"error": "boom"}),
                    "slow": (200, self._answer("late")),
                }[outer.mode]
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            @staticmethod
            def _answer(text):
                return {
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": text}}
                    ]
                }

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_openai():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def http_provider(fake_openai):
    from knowledge.models import ProviderConfig

    return ProviderConfig.objects.create(
        name="Fake",
        kind=ProviderKind.OPENAI,
        is_active=True,
        base_url=fake_openai.url,
        model="fake-model",
        api_key="sk-test-123",
        timeout_seconds=1,
    )


def _sources(message) -> set[str]:
    return {c["title"] for c in message.citations}


def test_knowledge_provider_quotes_and_cites_visible_articles(world, portal_user_for):
    session = start_assistant_session(user=portal_user_for(world["a"]))
    reply = ask_assistant(session, question="What is the zebra procedure?")
    assert _sources(reply) == {"Portal zebra guide", "Alpha zebra notes"}
    for citation in reply.citations:
        assert citation["version"] == 1 and citation["url"].startswith("/kb/articles/")
        assert f"[{citation['n']}]" in reply.content
    assert "zebra procedure" in reply.content
    assert AssistantMessage.objects.filter(session=session).count() == 2
    session.refresh_from_db()
    assert session.title == "What is the zebra procedure?"


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("client_a", {"Portal zebra guide", "Alpha zebra notes"}),
        ("client_b", {"Portal zebra guide", "Beta zebra notes"}),
        ("reader", {"Portal zebra guide", "Alpha zebra notes", "Beta zebra notes",
                    "Internal zebra runbook"}),
    ],
)  # fmt: skip
def test_answers_never_cite_articles_the_user_cannot_see(
    world, portal_user_for, reader, who, expected
):
    user = {
        "client_a": lambda: portal_user_for(world["a"]),
        "client_b": lambda: portal_user_for(world["b"]),
        "reader": lambda: reader,
    }[who]()
    reply = ask_assistant(
        start_assistant_session(user=user), question="zebra procedure"
    )
    assert _sources(reply) == expected
    assert "Draft zebra portal" not in reply.content  # drafts are never quoted


def test_editor_answers_use_only_published_text(world, editor):
    from knowledge.services import update_article

    update_article(world["portal"], by=editor, body="Secret unpublished zebra text.")
    reply = ask_assistant(start_assistant_session(user=editor), question="zebra")
    assert "Secret unpublished" not in reply.content
    assert "Draft zebra portal" not in _sources(reply)


def test_no_passages_gives_a_clear_answer(world, portal_user_for):
    reply = ask_assistant(
        start_assistant_session(user=portal_user_for(world["a"])),
        question="quantum flux",
    )
    assert reply.citations == []
    assert "could not find" in reply.content


def test_session_document_is_used_for_that_session_only(
    world, portal_user_for, django_capture_on_commit_callbacks
):
    from knowledge.services import add_session_document

    user = portal_user_for(world["a"])
    session = start_assistant_session(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        add_session_document(
            session,
            upload=SimpleUploadedFile(
                "router.docx", make_docx("The wombat router needs firmware 7.2.")
            ),
        )
    reply = ask_assistant(
        session, question="Which firmware does the wombat router need?"
    )
    assert reply.citations[0]["kind"] == "document"
    assert reply.citations[0]["title"] == "router.docx"
    assert "firmware 7.2" in reply.content
    other = ask_assistant(
        start_assistant_session(user=user), question="wombat router firmware"
    )
    assert "router.docx" not in _sources(other)


def test_http_provider_gets_passages_and_its_citations_are_kept(
    world, portal_user_for, fake_openai, http_provider
):
    session = start_assistant_session(user=portal_user_for(world["b"]))
    reply = ask_assistant(session, question="zebra procedure")
    request = fake_openai.requests[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test-123"
    assert request["body"]["model"] == "fake-model"
    system = request["body"]["messages"][0]["content"]
    assert "Beta zebra notes" in system and "Portal zebra guide" in system
    assert "Alpha zebra notes" not in system and "Internal zebra runbook" not in system
    assert "cite" in system.lower()
    assert reply.content == "Use the zebra procedure [1]."
    assert [c["n"] for c in reply.citations] == [1]
    assert reply.provider == "Fake"


def test_http_provider_invented_sources_are_dropped(
    world, editor, fake_openai, http_provider
):
    fake_openai.mode = "invent"
    reply = ask_assistant(start_assistant_session(user=editor), question="zebra")
    assert [c["n"] for c in reply.citations] == [1]


def test_http_provider_without_citations_lists_what_it_was_given(
    world, editor, fake_openai, http_provider
):
    fake_openai.mode = "nocite"
    reply = ask_assistant(start_assistant_session(user=editor), question="zebra")
    assert len(reply.citations) >= 1


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("unauthorized", "refused the API key"),
        ("ratelimit", "rate limited"),
        ("error", "HTTP 500"),
        ("broken", "could not be read"),
        ("slow", "did not answer within 1 seconds"),
    ],
)
def test_http_provider_errors_are_clear_and_store_nothing(
    world, editor, fake_openai, http_provider, mode, message
):
    fake_openai.mode = mode
    session = start_assistant_session(user=editor)
    with pytest.raises(ProviderError, match=message):
        ask_assistant(session, question="zebra")
    assert not session.messages.exists()


def test_http_provider_unreachable(world, editor, http_provider):
    http_provider.base_url = "http://127.0.0.1:9/v1"  # discard port: nothing listens
    http_provider.save()
    with pytest.raises(ProviderError, match="cannot be reached"):
        ask_assistant(start_assistant_session(user=editor), question="zebra")


def test_api_flow_and_502_on_provider_failure(
    world,
    portal_api_for,
    fake_openai,
    http_provider,
    django_capture_on_commit_callbacks,
):
    api = portal_api_for(world["a"])
    session = api.post("/api/assistant/sessions", {}).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/assistant/sessions/{session['id']}/documents",
            {
                "file": SimpleUploadedFile(
                    "notes.txt", b"The zebra password rotates monthly."
                )
            },
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    response = api.post(
        f"/api/assistant/sessions/{session['id']}/messages", {"content": "zebra?"}
    )
    assert response.status_code == 201
    assert response.json()["citations"][0]["n"] == 1
    detail = api.get(f"/api/assistant/sessions/{session['id']}").json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"]
    assert detail["documents"][0]["extraction_status"] == "done"
    fake_openai.mode = "error"
    response = api.post(
        f"/api/assistant/sessions/{session['id']}/messages", {"content": "zebra?"}
    )
    assert response.status_code == 502
    assert "HTTP 500" in response.json()["detail"]
    assert (
        api.post(
            f"/api/assistant/sessions/{session['id']}/messages", {"content": ""}
        ).status_code
        == 400
    )


def test_sessions_are_private(world, portal_api_for, api_for, editor):
    mine = portal_api_for(world["a"])
    session = mine.post("/api/assistant/sessions", {"title": "mine"}).json()
    other = portal_api_for(world["b"])
    assert other.get(f"/api/assistant/sessions/{session['id']}").status_code == 404
    assert (
        other.post(
            f"/api/assistant/sessions/{session['id']}/messages", {"content": "hi"}
        ).status_code
        == 404
    )
    assert other.get("/api/assistant/sessions").json()["results"] == []
    assert (
        api_for(editor).get(f"/api/assistant/sessions/{session['id']}").status_code
        == 404
    )


def test_active_provider_defaults_to_offline(db):
    assert isinstance(active_provider(), KnowledgeProvider)


def test_http_provider_selected_when_active(http_provider):
    assert isinstance(active_provider(), OpenAICompatibleProvider)


def test_api_key_is_stored_encrypted(http_provider):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT api_key FROM knowledge_providerconfig WHERE id = %s",
            [http_provider.pk],
        )
        raw = cursor.fetchone()[0]
    assert "sk-test-123" not in raw


def test_retrieve_passages_ranks_title_hits(world, editor):
    passages = retrieve_passages("alpha zebra", user=editor, limit=3)
    assert passages[0].title == "Alpha zebra notes"
    assert [p.n for p in passages] == list(range(1, len(passages) + 1))
