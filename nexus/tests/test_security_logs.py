"""No secret in logs (issue 10).

Every logger is turned to DEBUG and its records are captured twice: by caplog and
through the project's JSON formatter (what production writes), including the
records' arguments and extra fields. Then secrets are created and used the way
the product does — integration connection keys (a real sync against the sandbox
upstreams, with good and with bad credentials), licence keys, the IMAP password of
email-to-ticket, the assistant provider's API key, JWTs, API keys and passwords on
failed logins — and none may appear. Stored run logs and mailbox errors, and the
admin change and history pages, must not show them in clear either."""

from __future__ import annotations

import io
import logging

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from pythonjsonlogger.json import JsonFormatter

from integrations.choices import ConnectionKind, SyncJobKind, SyncTrigger

pytestmark = pytest.mark.django_db

DATTO_KEY = "dattoKEY-7Qm2xZ91"
DATTO_SECRET = "dattoSECRET-Lp04vT8e"
FS_KEY = "fsKEY-Vb61nQ3w"
LICENCE_KEY = "LICKEY-9XQ2-4MZ8-77PA"
IMAP_PASSWORD = "imapPASS-Zw3r9Kq"
PROVIDER_KEY = "sk-provKEY-Hh5d2Jx"
USER_PASSWORD = "userPASS-Qa8s7Df!"
WRONG_PASSWORD = "wrongPASS-Mn4b3Vc!"


class SecretTrap:
    """Everything logged while it is active, as caplog text, JSON lines and the
    raw arguments / extra fields of each record."""

    def __init__(self, caplog):
        self.caplog = caplog
        self.stream = io.StringIO()
        formatter_config = settings.LOGGING["formatters"]["json"]
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(
            JsonFormatter(
                formatter_config["format"],
                rename_fields=formatter_config.get("rename_fields", {}),
            )
        )
        self.handler.setLevel(logging.DEBUG)
        self._levels = {}

    def __enter__(self):
        self.caplog.set_level(logging.DEBUG)
        for name, obj in list(logging.root.manager.loggerDict.items()):
            if isinstance(obj, logging.Logger):
                self._levels[name] = obj.level
                obj.setLevel(logging.DEBUG)
        logging.root.addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        logging.root.removeHandler(self.handler)
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)

    @property
    def text(self) -> str:
        parts = [self.caplog.text, self.stream.getvalue()]
        for record in self.caplog.records:
            parts.append(repr(record.args))
            parts.append(repr(record.__dict__))
        return "\n".join(parts)

    def assert_clean(self, *secrets: str):
        assert self.caplog.records, "nothing was logged: the trap saw nothing"
        text = self.text
        leaked = [secret for secret in secrets if secret and secret in text]
        assert not leaked, leaked


@pytest.fixture
def trap(caplog):
    with SecretTrap(caplog) as trap:
        yield trap


def test_the_trap_catches_a_logged_secret(trap):
    logging.getLogger("nexus.test").debug("connecting with %s", DATTO_KEY)
    with pytest.raises(AssertionError):
        trap.assert_clean(DATTO_KEY)
    assert '"message"' in trap.stream.getvalue()  # the JSON formatter ran


# ---------------------------------------------------------------- integrations


@pytest.fixture
def sandboxes():
    from integrations.sandbox import DattoSandbox, FreshserviceSandbox, build_world

    world = build_world(seed=3, sites=2, devices_per_site=2, requesters=4)
    with (
        DattoSandbox(
            world, api_key=DATTO_KEY, api_secret=DATTO_SECRET, slowdown=0
        ) as datto,
        FreshserviceSandbox(world, api_key=FS_KEY) as fs,
    ):
        yield datto, fs


def _connect(datto, fs, *, key=DATTO_KEY, secret=DATTO_SECRET, fs_key=FS_KEY):
    from integrations.models import Connection

    Connection.objects.update_or_create(
        kind=ConnectionKind.DATTO,
        defaults={"base_url": datto.url, "api_key": key, "api_secret": secret},
    )
    Connection.objects.update_or_create(
        kind=ConnectionKind.FRESHSERVICE,
        defaults={"base_url": fs.url, "api_key": fs_key},
    )


def _run(kind):
    from integrations.models import SyncJob
    from integrations.services import run_sync_job

    job = SyncJob.objects.get(kind=kind)
    return run_sync_job(job, trigger=SyncTrigger.MANUAL)


def test_sync_with_good_and_bad_credentials_logs_no_secret(trap, sandboxes, settings):
    settings.NEXUS_SYNC_BACKOFF_SECONDS = 0.01
    settings.NEXUS_SYNC_IP_BLOCK_SECONDS = 0.01
    datto, fs = sandboxes
    _connect(datto, fs)
    good = [_run(SyncJobKind.SYNC_FRESHSERVICE), _run(SyncJobKind.SYNC_DATTO)]
    assert all(run.status == "succeeded" for run in good), [r.errors for r in good]
    wrong = ("wrong-" + DATTO_KEY, "wrong-" + DATTO_SECRET, "wrong-" + FS_KEY)
    _connect(datto, fs, key=wrong[0], secret=wrong[1], fs_key=wrong[2])
    bad = [_run(SyncJobKind.SYNC_FRESHSERVICE), _run(SyncJobKind.SYNC_DATTO)]
    assert all(run.status == "failed" for run in bad), [r.status for r in bad]
    secrets = (DATTO_KEY, DATTO_SECRET, FS_KEY, *wrong)
    trap.assert_clean(*secrets)
    for run in good + bad:
        run.refresh_from_db()
        stored = f"{run.log}{run.errors}{run.warnings}{run.stats}"
        assert not [s for s in secrets if s in stored]


def test_connection_admin_never_shows_the_stored_secrets(staff_client, trap):
    from integrations.models import Connection

    connection, _created = Connection.objects.update_or_create(
        kind=ConnectionKind.DATTO,
        defaults={
            "base_url": "https://merlot-api.centrastage.net",
            "api_key": DATTO_KEY,
            "api_secret": DATTO_SECRET,
        },
    )
    url = reverse("admin:integrations_connection_change", args=[connection.pk])
    body = staff_client.get(url).content.decode()
    assert DATTO_KEY not in body and DATTO_SECRET not in body
    changelist = staff_client.get(reverse("admin:integrations_connection_changelist"))
    assert DATTO_KEY not in changelist.content.decode()
    trap.assert_clean(DATTO_KEY, DATTO_SECRET)


# ---------------------------------------------------------------- licence keys


def test_licence_keys_are_not_logged_nor_shown_in_the_admin(
    admin_api, staff_client, trap
):
    from assets.models import Licence
    from assets.tests.factories import SoftwareFactory
    from companies.tests.factories import CompanyFactory

    software, company = SoftwareFactory(), CompanyFactory()
    response = admin_api.post(
        "/api/licences/",
        {
            "software": software.pk,
            "company_account_number": company.account_number,
            "licence_key": LICENCE_KEY,
            "seats": 2,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    licence = Licence.objects.get()
    assert LICENCE_KEY not in admin_api.get("/api/licences/").content.decode()
    revealed = admin_api.get(f"/api/licences/{licence.pk}/", {"reveal": "1"})
    assert revealed.json()["licence_key"] == LICENCE_KEY
    licence.notes = "changed"
    licence.save()
    for name in ("change", "history"):
        url = reverse(f"admin:assets_licence_{name}", args=[licence.pk])
        body = staff_client.get(url).content.decode()
        assert LICENCE_KEY not in body, url
    history = licence.history.order_by("history_id").first()
    url = reverse(
        "admin:assets_licence_simple_history", args=[licence.pk, history.history_id]
    )
    assert LICENCE_KEY not in staff_client.get(url).content.decode()
    trap.assert_clean(LICENCE_KEY)


# ---------------------------------------------------------------- email-to-ticket


def test_imap_password_is_not_logged_nor_stored_in_errors(staff_client, trap):
    from tickets.models import Mailbox
    from tickets.services.inbound import poll_mailbox
    from tickets.tests.factories import MailboxFactory

    mailbox = MailboxFactory(
        host="127.0.0.1", port=9, use_tls=False, password=IMAP_PASSWORD
    )
    result = poll_mailbox(mailbox)
    assert result.errors
    mailbox = Mailbox.objects.get(pk=mailbox.pk)
    assert mailbox.last_error and IMAP_PASSWORD not in mailbox.last_error
    url = reverse("admin:tickets_mailbox_change", args=[mailbox.pk])
    body = staff_client.get(url).content.decode()
    assert mailbox.name in body and IMAP_PASSWORD not in body
    trap.assert_clean(IMAP_PASSWORD)


def test_imap_login_refused_does_not_log_the_password(trap, monkeypatch):
    """A server that refuses the login: imap_tools raises with the server's
    answer; neither the log nor the stored error may carry the password."""
    import imap_tools

    from tickets.models import Mailbox
    from tickets.services.inbound import poll_mailbox
    from tickets.tests.factories import MailboxFactory

    class RefusingMailBox:
        def __init__(self, host, port=None, timeout=None):
            self.host = host

        def login(self, username, password, initial_folder=None):
            logging.getLogger("imap_tools").debug("LOGIN %s ****", username)
            raise imap_tools.errors.MailboxLoginError(
                ("NO", [b"[AUTHENTICATIONFAILED] Invalid credentials"]), "OK"
            )

    monkeypatch.setattr(imap_tools, "MailBoxUnencrypted", RefusingMailBox)
    monkeypatch.setattr(imap_tools, "MailBox", RefusingMailBox)
    mailbox = MailboxFactory(password=IMAP_PASSWORD)
    poll_mailbox(mailbox)
    stored = Mailbox.objects.get(pk=mailbox.pk).last_error
    assert "AUTHENTICATIONFAILED" in stored and IMAP_PASSWORD not in stored
    trap.assert_clean(IMAP_PASSWORD)


# ---------------------------------------------------------------- assistant


@pytest.mark.parametrize("mode", ["cite", "unauthorized", "error", "broken"])
def test_provider_api_key_is_not_logged(trap, admin_user, staff_client, mode):
    from knowledge.assistant import ProviderError
    from knowledge.choices import ProviderKind
    from knowledge.models import ProviderConfig
    from knowledge.services import ask_assistant, start_assistant_session
    from knowledge.tests.test_assistant import FakeOpenAI

    with FakeOpenAI() as server:
        server.mode = mode
        config = ProviderConfig.objects.create(
            name="Fake",
            kind=ProviderKind.OPENAI,
            is_active=True,
            base_url=server.url,
            model="m",
            api_key=PROVIDER_KEY,
            timeout_seconds=2,
        )
        session = start_assistant_session(user=admin_user)
        try:
            ask_assistant(session, question="how do I reset a password?")
        except ProviderError:
            logging.getLogger("nexus.test").info("provider failed", exc_info=True)
        assert server.requests[0]["auth"] == f"Bearer {PROVIDER_KEY}"
    url = reverse("admin:knowledge_providerconfig_change", args=[config.pk])
    assert PROVIDER_KEY not in staff_client.get(url).content.decode()
    trap.assert_clean(PROVIDER_KEY)


# ---------------------------------------------------------------- sign-in


@pytest.fixture
def person(make_user):
    from accounts.choices import Role

    user = make_user(Role.TECHNICIAN, username="secret-keeper", email="k@x.test")
    user.set_password(USER_PASSWORD)
    user.save()
    return user


def test_failed_logins_do_not_log_the_password(trap, person, settings):
    settings.AXES_ENABLED = True
    page = Client()
    page.post(
        reverse("accounts:login"),
        {"username": person.username, "password": WRONG_PASSWORD},
    )
    page.post(
        reverse("accounts:login"),
        {"username": WRONG_PASSWORD, "password": WRONG_PASSWORD},
    )
    api = Client()
    for url, body in (
        ("/api/auth/login", {"email": person.email, "password": WRONG_PASSWORD}),
        ("/api/auth/token", {"username": person.username, "password": WRONG_PASSWORD}),
        ("/api/token", {"username": person.username, "password": WRONG_PASSWORD}),
    ):
        response = api.post(url, body, content_type="application/json")
        assert response.status_code in (400, 401, 403, 429), (url, response.status_code)
    ok = Client().post(
        reverse("accounts:login"),
        {"username": person.username, "password": USER_PASSWORD},
    )
    assert ok.status_code in (302, 200)
    trap.assert_clean(WRONG_PASSWORD, USER_PASSWORD)


def test_jwts_are_not_logged(trap, person):
    api = Client()
    response = api.post(
        "/api/auth/token",
        {"username": person.username, "password": USER_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    pair = response.json()
    access, refresh = pair["access"], pair["refresh"]
    me = api.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert me.status_code == 200
    bad = api.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {access[:-4]}AAAA")
    assert bad.status_code == 401
    renewed = api.post(
        "/api/auth/token/refresh",
        {"refresh": refresh},
        content_type="application/json",
    )
    assert renewed.status_code == 200
    # A token's signature is its secret part; the header and claims are not.
    secrets = [token.rsplit(".", 1)[1] for token in (access, refresh)]
    secrets.append(renewed.json()["access"].rsplit(".", 1)[1])
    trap.assert_clean(*secrets, USER_PASSWORD)


def test_api_keys_are_not_logged_even_as_json(trap, technician):
    from accounts.services import create_api_key

    _key, plain = create_api_key(technician, name="log-test")
    api = Client()
    assert api.get("/api/auth/me", HTTP_X_API_KEY=plain).status_code == 200
    assert api.get("/api/auth/me", HTTP_X_API_KEY=plain + "x").status_code == 401
    assert api.get(
        "/api/auth/me", HTTP_AUTHORIZATION=f"Api-Key {plain}"
    ).status_code in (200, 401)
    trap.assert_clean(plain.split("_", 2)[2])


def test_licence_admin_keeps_the_key_when_left_empty(staff_client):
    from assets.models import Licence
    from assets.tests.factories import LicenceFactory

    licence = LicenceFactory(licence_key=LICENCE_KEY)
    url = reverse("admin:assets_licence_change", args=[licence.pk])
    data = {
        "software": licence.software.pk,
        "company": licence.company.pk,
        "licence_key": "",
        "seats": 3,
        "renewal_reminder_days": 30,
        "status": licence.status,
        "assignments-TOTAL_FORMS": 0,
        "assignments-INITIAL_FORMS": 0,
    }
    assert staff_client.post(url, data).status_code == 302
    assert Licence.objects.get(pk=licence.pk).licence_key == LICENCE_KEY
    assert (
        staff_client.post(url, {**data, "licence_key": "NEW-KEY-1"}).status_code == 302
    )
    assert Licence.objects.get(pk=licence.pk).licence_key == "NEW-KEY-1"
