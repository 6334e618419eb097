"""Stored XSS is inert everywhere (issue 10).

Discovery, not lists: the demo data of every app is loaded, then every free-text
column (CharField/TextField without choices) of every model of the project is
overwritten with a hostile payload — Markdown sources also get `javascript:`
links and raw HTML, and the derived `*_html` columns are re-rendered by the real
renderer. Every page of the URLconf (arguments filled from the rows of the
page's app), every object's own page and every admin change list / change form
is then rendered for staff, and the pages for a client user of a demo company.
Each response is parsed with lxml and must hold no live script, event-handler
attribute, `javascript:` URL or injected element.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch
from lxml import html as lxml_html

from companies.choices import CompanyKind

pytestmark = pytest.mark.django_db

MARK = "alert(1)"
PAYLOADS = (  # longest first; a column gets the longest that fits
    "<script>alert(1)</script>\"><img src=x onerror=alert(1)>'><svg onload=alert(1)>",
    '<script>alert(1)</script>"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)>",
)
MARKDOWN_TAIL = (
    '\n\n[click](javascript:alert(1)) <a href="javascript:alert(1)">raw</a>'
    ' <iframe src="javascript:alert(1)"></iframe>'
    '\n\n<div onmouseover="alert(1)">div</div>\n\n![i](x" onerror="alert(1))'
)
# Columns that hold machine values the code parses or keys on, not free text
# (addresses, networks, hashes, numbers, schedules); and secrets.
STRUCTURAL = {
    "password",
    "prefix",
    "key_hash",
    "sha256",
    "content_type",
    "cidr",
    "ip_key",
    "mac",
    "crontab",
    "time_zone",
    "number",
    "code",
    "base_url",
    "int_ip_address",
    "ext_ip_address",
    "message_id",
    "field",
    "po_number",
    "site_uid",
    "rmm_device_uid",
    "history_change_reason",
    "provider",
}
SEARCH_QUERIES = (
    "?q=alert&search=alert",  # finds the hostile rows: snippets, highlights
    "?"  # reflected: the query itself is hostile
    + urlencode({"q": PAYLOADS[0], "search": PAYLOADS[0], "page": PAYLOADS[2]}),
)
SKIP_PAGE_NAMES = {"logout", "set_language", "revoke_key"}
PROJECT_ROOT = Path(settings.BASE_DIR)
URL_ATTRS = {"href", "src", "action", "formaction", "data", "xlink:href", "poster"}
SCRIPT_TYPES = {"", "text/javascript", "module", "application/javascript"}


def _project_models():
    for model in apps.get_models():
        root = model.__module__.split(".")[0]
        if not (PROJECT_ROOT / root).is_dir() or root == "nexus":
            continue
        if model.__name__.startswith("Historical"):
            continue
        yield model


def _free_text_fields(model):
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField):
            continue
        if isinstance(field, models.EmailField | models.URLField | models.SlugField):
            continue
        if field.choices or field.name in STRUCTURAL or field.name.endswith("_html"):
            continue
        if "Encrypted" in type(field).__name__:
            continue
        yield field


def _payload_for(field, pk: int) -> str | None:
    tag = f"{pk}:"
    limit = field.max_length or 10**6
    for payload in PAYLOADS:
        if len(tag) + len(payload) <= limit:
            value = tag + payload
            if isinstance(field, models.TextField):
                value += MARKDOWN_TAIL
            return value
    return None


def _rerender_html(model, row_pks):
    """Derived HTML columns are rebuilt by the renderer the app really uses."""
    html_fields = [
        f.name
        for f in model._meta.concrete_fields
        if f.name.endswith("_html") and isinstance(f, models.TextField)
    ]
    if not html_fields:
        return
    if model._meta.app_label == "knowledge":
        from knowledge.rendering import render_markdown
    else:
        from tickets.rendering import render_markdown
    for obj in model.objects.filter(pk__in=row_pks):
        for name in html_fields:
            source = name.removesuffix("_html")
            setattr(obj, name, render_markdown(getattr(obj, source) or ""))
        model.objects.filter(pk=obj.pk).update(
            **{name: getattr(obj, name) for name in html_fields}
        )


@pytest.fixture
def hostile_world():
    """Demo data with every free-text column made hostile; returns the poisoned
    (model, field) pairs."""
    call_command("load_demo", stdout=open("/dev/null", "w"))
    _add_rows_the_demo_lacks()
    poisoned = []
    for model in _project_models():
        fields = list(_free_text_fields(model))
        if not fields:
            continue
        pks = list(model.objects.order_by("pk").values_list("pk", flat=True)[:40])
        for pk in pks:
            values = {}
            for field in fields:
                value = _payload_for(field, pk)
                if value is not None:
                    values[field.attname] = value
            model.objects.filter(pk=pk).update(**values)
        _rerender_html(model, pks)
        if pks:
            poisoned.extend((model._meta.label, f.name) for f in fields)
    return poisoned


def _add_rows_the_demo_lacks():
    """Rows of models the demo leaves empty, made through the real services (the
    sweep below then poisons their text)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import User
    from accounts.services import create_api_key
    from assets.fleet import queue_jobs
    from assets.fleet_models import Agent
    from integrations.tests.factories import SyncRunFactory
    from knowledge.models import Article, AssistantMessage
    from knowledge.services import (
        add_article_attachment,
        add_session_document,
        start_assistant_session,
    )
    from manufacturing.choices import TravelerStatus
    from manufacturing.models import Traveler
    from manufacturing.services import request_change
    from projects.models import Thread
    from projects.services import share_thread_file
    from tickets.models import Ticket
    from tickets.services.attachments import add_attachment
    from tickets.tests.factories import MailboxFactory, TagFactory

    boss = User.objects.filter(is_superuser=True).first() or User.objects.create(
        username="xss-boss", is_staff=True, is_superuser=True
    )

    def upload(name="notes.txt"):
        return SimpleUploadedFile(name, b"plain notes\n", content_type="text/plain")

    create_api_key(boss, name="key")
    for ticket in Ticket.objects.order_by("pk")[:5]:
        ticket.tags.add(TagFactory())
        add_attachment(ticket, upload=upload(), by=boss, channel="page")
    for thread in Thread.objects.order_by("pk")[:3]:
        share_thread_file(thread, upload=upload(), uploaded_by=boss)
    for article in Article.objects.order_by("pk")[:3]:
        add_article_attachment(article, upload=upload(), by=boss)
    for user in User.objects.filter(is_staff=True).order_by("pk")[:3]:
        session = start_assistant_session(user=user, title="s")
        add_session_document(session, upload=upload())
        AssistantMessage.objects.create(session=session, role="user", content="q")
        AssistantMessage.objects.create(session=session, role="assistant", content="a")
    released = Traveler.objects.filter(
        status__in=[TravelerStatus.RELEASED, TravelerStatus.IN_PROGRESS]
    ).order_by("pk")
    for traveler in released[:2]:
        request_change(
            traveler,
            by=boss,
            subject="traveler",
            changes={"quantity": 3},
            reason="why",
        )
    hostile = {"message": PAYLOADS[1], "upstream_id": PAYLOADS[2]}
    SyncRunFactory(errors=[hostile], warnings=[hostile], status="failed")
    SyncRunFactory(errors=[hostile], warnings=[hostile])
    MailboxFactory()
    agents = list(Agent.objects.order_by("pk")[:2])
    if agents:
        queue_jobs(by=boss, agents=agents, script="echo hi")
        queue_jobs(
            by=boss, agents=agents, kind="file", file_name="a.txt", file_content=b"x"
        )


def live_injections(body: str) -> list[str]:
    """What in this HTML would run: scripts holding the payload, on* handlers and
    javascript: URLs. (An <img src=x> left by a Markdown sanitiser without its
    handler is inert; one that broke out of an attribute carries onerror.)"""
    if not body.strip():
        return []
    found = []
    doc = lxml_html.document_fromstring(body)
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag == "script":
            kind = (el.get("type") or "").strip().lower()
            if kind in SCRIPT_TYPES and MARK in (el.text or ""):
                found.append(f"<script> running {el.text[:80]!r}")
        for attr, value in el.attrib.items():
            attr = attr.lower()
            if attr.startswith("on") and MARK in value:
                found.append(f"<{tag} {attr}={value[:60]!r}>")
            if attr in URL_ATTRS and re.sub(
                r"[\s\x00-\x1f]", "", value
            ).lower().startswith("javascript:"):
                found.append(f"<{tag} {attr}={value[:60]!r}>")
    return found


def _page_patterns(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns in ("admin", "api"):
                continue
            yield from _page_patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            if entry.name not in SKIP_PAGE_NAMES:
                yield namespace, entry.name, prefix + str(entry.pattern)


def _candidate_args(namespace: str, params: list[tuple[str, str]]):
    """Arguments for a page: for each model of the page's app, its first rows'
    attributes named like the URL's parameters (pk, account_number, slug…)."""
    if not params:
        yield ()
        return
    app_models = [
        m for m in _project_models() if m._meta.app_label == namespace
    ] or list(_project_models())
    seen = set()
    for model in app_models:
        for obj in model.objects.order_by("pk")[:2]:
            args = []
            for _conv, name in params:
                attr = name if hasattr(obj, name) else "pk"
                if name.endswith("_id") and not hasattr(obj, name):
                    attr = "pk"
                args.append(getattr(obj, attr))
            key = tuple(args)
            if key not in seen:
                seen.add(key)
                yield key


def _page_urls():
    urls = set()
    for namespace, name, pattern in _page_patterns():
        full = f"{namespace}:{name}" if namespace else name
        params = re.findall(r"<(?:(\w+):)?(\w+)>", pattern)
        for args in _candidate_args(namespace, params):
            try:
                url = reverse(full, args=args)
            except (NoReverseMatch, TypeError, ValueError):
                continue
            urls.add(url)
            if not params:
                urls.update(url + query for query in SEARCH_QUERIES)
    for model in _project_models():
        if not hasattr(model, "get_absolute_url"):
            continue
        for obj in model.objects.order_by("pk")[:2]:
            try:
                urls.add(obj.get_absolute_url())
            except (NoReverseMatch, AttributeError, TypeError, ValueError):
                continue
    return sorted(urls)


def _sweep(client, urls, **headers):
    """Render every URL; returns (pages rendered, pages showing the payload as text,
    {url: injections})."""
    rendered, shown, holes = 0, 0, {}
    for url in urls:
        response = client.get(url, headers=headers)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code != 200 or "html" not in response.get(
            "Content-Type", ""
        ):
            continue
        body = response.content.decode()
        rendered += 1
        shown += MARK in body
        found = live_injections(body)
        if found:
            holes[url] = found
    return rendered, shown, holes


def test_the_detector_finds_live_payloads():
    assert live_injections('<p><img src=x onerror="alert(1)"></p>')
    assert live_injections("<script>alert(1)</script>")
    assert live_injections('<a href=" javascript:alert(1)">x</a>')
    assert not live_injections(
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x&gt;</p>"
        '<input value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">'
        '<script type="application/json">{"a": "alert(1)"}</script>'
    )


def test_every_free_text_field_is_inert_on_staff_pages(
    admin_user, hostile_world, staff_client
):
    # admin_user first: the assistant sessions made for staff include theirs.
    poisoned = hostile_world
    assert len(poisoned) >= 120, "the sweep must poison the columns of every app"
    apps_poisoned = {label.split(".")[0] for label, _f in poisoned}
    assert {
        "tickets",
        "knowledge",
        "projects",
        "manufacturing",
        "assets",
        "integrations",
        "accounts",
    } <= apps_poisoned
    rendered, shown, holes = _sweep(staff_client, _page_urls())
    assert not holes, holes
    assert rendered >= 65
    assert shown >= 58, "the payload must actually reach the pages"
    # The browsable API is HTML too: every router list, as staff.
    rendered, shown, holes = _sweep(staff_client, _api_list_urls(), Accept="text/html")
    assert not holes, holes
    assert rendered >= 50 and shown >= 45


def _api_list_urls():
    from nexus.api import build_router

    urls = []
    for _prefix, _viewset, basename in build_router().registry:
        try:
            urls.append(reverse(f"api:{basename}-list"))
        except NoReverseMatch:
            continue
    return urls


def test_every_free_text_field_is_inert_on_portal_pages(
    hostile_world, portal_client_for
):
    from companies.models import Company

    own = Company.objects.filter(kind=CompanyKind.CLIENT).order_by("pk").first()
    client = portal_client_for(own)
    rendered, shown, holes = _sweep(client, _page_urls())
    assert not holes, holes
    assert rendered >= 25
    assert shown >= 20


def test_every_admin_page_is_inert(hostile_world, staff_client):
    urls = []
    for model, _model_admin in admin.site._registry.items():
        if model not in set(_project_models()) and model._meta.app_label not in (
            "accounts",
        ):
            continue
        info = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        first = model.objects.order_by("pk").first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    rendered, shown, holes = _sweep(staff_client, urls)
    assert not holes, holes
    assert rendered >= 110
    assert shown >= 100


def test_the_sweep_would_catch_an_unsanitised_renderer(staff_client, monkeypatch):
    """Guard against a sweep that passes because it looks at nothing: with the
    sanitiser switched off, the same payload on a ticket page is reported."""
    import tickets.rendering
    from tickets.tests.factories import CommentFactory, TicketFactory

    ticket = TicketFactory(title=PAYLOADS[0], description="1:" + MARKDOWN_TAIL)
    CommentFactory(ticket=ticket, body=PAYLOADS[0] + MARKDOWN_TAIL)
    url = ticket.get_absolute_url()
    assert _sweep(staff_client, [url])[2] == {}

    monkeypatch.setattr(tickets.rendering.nh3, "clean", lambda html, **kw: html)
    ticket.save()
    CommentFactory(ticket=ticket, body=PAYLOADS[0] + MARKDOWN_TAIL)
    holes = _sweep(staff_client, [url])[2]
    assert holes and any("javascript" in found for found in holes[url])


@pytest.mark.parametrize(
    ("model_path", "header", "row"),
    [
        (
            "companies_company",
            "account_number,name,kind,status,description",
            ",{p},client,active,{p}",
        ),
        (
            "contacts_contact",
            "email,name,title",
            "x@x.test,{p},{p}",
        ),
        (
            "assets_asset",
            "id,hostname,company_account_number,name,notes,status",
            ",{p},{acct},{p},{p},nonsense",
        ),
    ],
)
def test_import_previews_are_inert(staff_client, model_path, header, row):
    """The admin's import preview and its row errors show the file's cells."""
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from companies.tests.factories import CompanyFactory

    company = CompanyFactory()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header.split(","))
    cells = row.format(p="{p}", acct=company.account_number).split(",")
    writer.writerow([PAYLOADS[0] if c == "{p}" else c for c in cells])
    upload = SimpleUploadedFile("import.csv", buffer.getvalue().encode())
    response = staff_client.post(
        reverse(f"admin:{model_path}_import"),
        {"resource": "0", "format": "0", "import_file": upload},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert MARK in body, "the preview shows the cells"
    assert live_injections(body) == []
