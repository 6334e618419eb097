"""Knowledge-base pages: staff and portal users share them; every query starts
from visible_to(request.user), so a client sees only its own scope."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tickets.choices import EventChannel
from tickets.models import Ticket

from .api.filters import ArticleFilterSet
from .api.views import attachment_response
from .assistant import ProviderError
from .choices import ArticleStatus
from .forms import ArticleForm, AskForm, RestoreForm, UploadForm
from .models import (
    Article,
    ArticleAttachment,
    ArticleVersion,
    AssistantSession,
    Category,
)
from .querysets import can_edit_articles, can_link_tickets
from .rendering import diff_lines, render_markdown
from .search import snippet_for
from .services import (
    add_article_attachment,
    add_session_document,
    ask_assistant,
    create_article,
    link_article_to_ticket,
    publish_article,
    record_article_view,
    restore_article_version,
    start_assistant_session,
    suggest_articles,
    unlink_article_from_ticket,
    update_article,
    vote_article,
)
from .templatetags.knowledge import ticket_knowledge_context

reader_required = permission_required("knowledge.view_article", raise_exception=True)
assistant_required = permission_required(
    "knowledge.use_assistant", raise_exception=True
)


def _require_editor(user) -> None:
    if not can_edit_articles(user):
        raise PermissionDenied(_("Only knowledge-base editors may do this."))


def _visible(request):
    return Article.objects.visible_to(request.user)


def _article(request, slug: str) -> Article:
    return get_object_or_404(
        _visible(request).for_api().with_tickets_for(request.user), slug=slug
    )


def _form_errors(exc: ValidationError, form) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@reader_required
def home(request):
    """Categories, recent and popular articles, and search."""
    visible = _visible(request)
    published = visible.published().for_list()
    counts = dict(
        visible.published()
        .filter(category__isnull=False)
        .values_list("category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    categories = list(Category.objects.for_list())
    for category in categories:
        category.article_count = counts.get(category.pk, 0)
    context = {
        "top_categories": [c for c in categories if c.parent_id is None],
        "children": {
            c.pk: [k for k in categories if k.parent_id == c.pk] for c in categories
        },
        "recent": published.order_by("-published_at", "-pk")[:8],
        "popular": published.order_by("-view_count", "-pk")[:8],
        "drafts": (
            visible.exclude(status=ArticleStatus.PUBLISHED)
            .for_list()
            .order_by("-updated_at")[:8]
            if can_edit_articles(request.user)
            else []
        ),
        "can_edit": can_edit_articles(request.user),
    }
    return render(request, "knowledge/home.html", context)


@login_required
@reader_required
def search(request):
    """Search with the API's FilterSet: ranked, highlighted results."""
    filterset = ArticleFilterSet(
        request.GET or None, queryset=_visible(request).for_list(), request=request
    )
    query = request.GET.get("q", "").strip()
    results, page = [], None
    if filterset.is_bound and filterset.is_valid():
        page = Paginator(filterset.qs, 20).get_page(request.GET.get("page"))
        results = [(a, snippet_for(a, query) if query else "") for a in page]
    context = {
        "filterset": filterset,
        "query": query,
        "results": results,
        "page": page,
        "can_edit": can_edit_articles(request.user),
        "categories": Category.objects.for_list(),
    }
    if request.htmx:
        return render(request, "knowledge/partials/search_results.html", context)
    return render(request, "knowledge/search.html", context)


@login_required
@reader_required
def category_detail(request, slug: str):
    category = get_object_or_404(Category.objects.for_api(), slug=slug)
    articles = (
        _visible(request)
        .published()
        .filter(category_id__in=category.descendant_ids())
        .for_list()
        .order_by("title")
    )
    page = Paginator(articles, 30).get_page(request.GET.get("page"))
    children = category.children.all()
    return render(
        request,
        "knowledge/category.html",
        {"category": category, "page": page, "children": children},
    )


@login_required
@reader_required
def article_detail(request, slug: str):
    article = _article(request, slug)
    record_article_view(article)
    vote = (
        article.votes.filter(user=request.user)
        .values_list("helpful", flat=True)
        .first()
    )
    context = {
        "article": article,
        "attachments": article.attachments.for_api(),
        "can_edit": can_edit_articles(request.user),
        "my_vote": vote,
        "upload_form": UploadForm(),
    }
    return render(request, "knowledge/article_detail.html", context)


def _save_article(request, form, article=None):
    publish = "publish" in request.POST
    changes = form.changes()
    try:
        if article is None:
            if publish:
                changes["status"] = ArticleStatus.PUBLISHED
            return create_article(
                author=request.user, note=form.cleaned_data["note"], **changes
            )
        return update_article(
            article,
            by=request.user,
            note=form.cleaned_data["note"],
            publish=publish,
            **changes,
        )
    except ValidationError as exc:
        _form_errors(exc, form)
        return None


@login_required
def article_create(request):
    _require_editor(request.user)
    form = ArticleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        article = _save_article(request, form)
        if article is not None:
            messages.success(request, _("Article created."))
            return redirect(article)
    return render(
        request, "knowledge/article_form.html", {"form": form, "article": None}
    )


@login_required
def article_edit(request, slug: str):
    _require_editor(request.user)
    article = _article(request, slug)
    form = ArticleForm(request.POST or None, instance=article, user=request.user)
    if request.method == "POST" and form.is_valid():
        # The form wrote its values onto `article`; the service works from the
        # stored row, so hand it a fresh copy.
        saved = _save_article(request, form, Article.objects.get(pk=article.pk))
        if saved is not None:
            if saved.has_unpublished_changes:
                messages.info(
                    request,
                    _("Saved as a draft version; readers still see the published one."),
                )
            else:
                messages.success(request, _("Article saved."))
            return redirect(saved)
    return render(
        request, "knowledge/article_form.html", {"form": form, "article": article}
    )


@login_required
@require_POST
def preview(request):
    """htmx: the editor's Markdown rendered exactly as readers will see it."""
    _require_editor(request.user)
    html = render_markdown(request.POST.get("body", "")[:200_000])
    return render(request, "knowledge/partials/preview.html", {"html": html})


@login_required
def article_history(request, slug: str):
    _require_editor(request.user)
    article = _article(request, slug)
    versions = ArticleVersion.objects.filter(article=article).for_api()
    return render(
        request,
        "knowledge/article_history.html",
        {"article": article, "versions": versions},
    )


@login_required
def article_diff(request, slug: str):
    _require_editor(request.user)
    article = _article(request, slug)
    versions = {
        v.number: v for v in ArticleVersion.objects.filter(article=article).for_api()
    }
    try:
        a, b = int(request.GET.get("a", 0)), int(request.GET.get("b", 0))
    except ValueError:
        a = b = 0
    if a not in versions or b not in versions:
        newest = max(versions)
        a, b = max(newest - 1, 1), newest
    old, new = versions[a], versions[b]
    context = {
        "article": article,
        "old": old,
        "new": new,
        "numbers": sorted(versions, reverse=True),
        "title_changed": old.title != new.title,
        "summary_diff": diff_lines(old.summary, new.summary),
        "body_diff": diff_lines(old.body, new.body),
    }
    return render(request, "knowledge/article_diff.html", context)


@login_required
@require_POST
def article_restore(request, slug: str):
    _require_editor(request.user)
    article = _article(request, slug)
    form = RestoreForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a version to restore."))
        return redirect("knowledge:article_history", slug=article.slug)
    try:
        restore_article_version(
            article,
            number=form.cleaned_data["version"],
            by=request.user,
            publish=form.cleaned_data["publish"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("knowledge:article_history", slug=article.slug)
    messages.success(
        request,
        _("Version %(n)s restored as a new version.")
        % {"n": form.cleaned_data["version"]},
    )
    return redirect(article)


@login_required
@require_POST
def article_publish(request, slug: str):
    _require_editor(request.user)
    article = publish_article(_article(request, slug), by=request.user)
    messages.success(request, _("Published."))
    return redirect(article)


@login_required
@reader_required
@require_POST
def article_vote(request, slug: str):
    article = _article(request, slug)
    helpful = request.POST.get("helpful") == "yes"
    article = vote_article(article, user=request.user, helpful=helpful)
    context = {"article": article, "my_vote": helpful}
    if request.htmx:
        return render(request, "knowledge/partials/vote.html", context)
    messages.success(request, _("Thank you for your feedback."))
    return redirect(article)


@login_required
@require_POST
def attachment_upload(request, slug: str):
    _require_editor(request.user)
    article = _article(request, slug)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            add_article_attachment(
                article, upload=form.cleaned_data["file"], by=request.user
            )
            messages.success(request, _("File attached."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose a file to upload."))
    return redirect(article)


@login_required
@reader_required
@require_GET
def attachment_download(request, pk: int):
    attachment = get_object_or_404(
        ArticleAttachment.objects.visible_to(request.user), pk=pk
    )
    return attachment_response(attachment)


SUGGEST_MODES = ("suggest", "insert", "link")
SUGGEST_MIN_CHARS = 3


def _linking_ticket(request, number: str) -> Ticket:
    """A ticket the user may link articles to (staff with the change permission,
    within their ticket scope)."""
    if not can_link_tickets(request.user):
        raise PermissionDenied(_("Only staff who handle tickets may link articles."))
    return get_object_or_404(Ticket.objects.visible_to(request.user), number=number)


@login_required
@reader_required
@require_GET
def suggest(request):
    """htmx partial for other pages: up to 5 articles matching `q` that the user
    may read. mode "suggest" (a new ticket's title, also read from `title` or
    `text`) lists them; "insert" and "link" (staff, with `ticket`) add buttons to
    insert a Markdown link into a reply or to link the article to the ticket."""
    mode = request.GET.get("mode") or "suggest"
    if mode not in SUGGEST_MODES:
        return HttpResponseBadRequest(_("Unknown mode."))
    ticket = (
        None
        if mode == "suggest"
        else _linking_ticket(request, request.GET.get("ticket", ""))
    )
    query = request.GET.get("q") or request.GET.get("text") or request.GET.get("title")
    query = (query or "")[:300]
    articles = (
        suggest_articles(query, user=request.user)
        if len(query.strip()) >= SUGGEST_MIN_CHARS
        else []
    )
    if ticket is None:
        return render(
            request,
            "knowledge/partials/suggested_articles.html",
            {"articles": articles},
        )
    context = {
        "articles": articles,
        "mode": mode,
        "query": query.strip(),
        "ticket": ticket,
        "target": request.GET.get("target") or "id_body",
        "linked": set(
            Article.objects.linked_to_ticket(ticket).values_list("pk", flat=True)
        ),
    }
    if request.htmx:
        return render(request, "knowledge/partials/suggest_actions.html", context)
    return render(request, "knowledge/suggest_page.html", context)


def _article_for_link(request) -> Article:
    try:
        pk = int(request.POST.get("article", ""))
    except ValueError:
        raise BadRequest(_("Choose an article.")) from None
    return get_object_or_404(_visible(request), pk=pk)


def _ticket_panel(request, ticket: Ticket):
    if request.htmx:
        context = ticket_knowledge_context(ticket, user=request.user, request=request)
        return render(request, "knowledge/partials/ticket_knowledge.html", context)
    return redirect(ticket)


@login_required
@reader_required
@require_POST
def ticket_link(request, number: str):
    """Link an article to a ticket (the ticket's timeline records it)."""
    ticket = _linking_ticket(request, number)
    article = _article_for_link(request)
    try:
        link_article_to_ticket(
            article, ticket=ticket, by=request.user, channel=EventChannel.PAGE
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if not request.htmx:
            messages.success(request, _("Article linked."))
    return _ticket_panel(request, ticket)


@login_required
@reader_required
@require_POST
def ticket_unlink(request, number: str):
    ticket = _linking_ticket(request, number)
    article = _article_for_link(request)
    try:
        unlink_article_from_ticket(
            article, ticket=ticket, by=request.user, channel=EventChannel.PAGE
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if not request.htmx:
            messages.success(request, _("Article unlinked."))
    return _ticket_panel(request, ticket)


@login_required
@assistant_required
def assistant(request):
    """The user's conversations; POST starts a new one."""
    if request.method == "POST":
        session = start_assistant_session(user=request.user)
        return redirect("knowledge:assistant_session", pk=session.pk)
    sessions = AssistantSession.objects.visible_to(request.user).for_list()[:50]
    return render(request, "knowledge/assistant.html", {"sessions": sessions})


def _session(request, pk: int) -> AssistantSession:
    return get_object_or_404(AssistantSession.objects.visible_to(request.user), pk=pk)


@login_required
@assistant_required
def assistant_session(request, pk: int):
    session = _session(request, pk)
    context = {
        "session": session,
        "chat_messages": session.messages.all(),
        "documents": session.documents.all(),
        "form": AskForm(),
        "upload_form": UploadForm(),
        "sessions": AssistantSession.objects.visible_to(request.user).for_list()[:20],
    }
    return render(request, "knowledge/assistant_session.html", context)


@login_required
@assistant_required
@require_POST
def assistant_ask(request, pk: int):
    session = _session(request, pk)
    form = AskForm(request.POST)
    error, reply = "", None
    if form.is_valid():
        try:
            reply = ask_assistant(session, question=form.cleaned_data["content"])
        except ProviderError as exc:
            error = str(exc)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if request.htmx:
        exchange = list(session.messages.order_by("-id")[:2])[::-1] if reply else []
        return render(
            request,
            "knowledge/partials/exchange.html",
            {"exchange": exchange, "error": error},
            status=200 if reply else 422,
        )
    if error:
        messages.error(request, error)
    return redirect("knowledge:assistant_session", pk=session.pk)


@login_required
@assistant_required
@require_POST
def assistant_document(request, pk: int):
    session = _session(request, pk)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            document = add_session_document(session, upload=form.cleaned_data["file"])
            messages.success(
                request,
                _("“%(name)s” added to this conversation.")
                % {"name": document.original_name},
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose a file to upload."))
    return redirect("knowledge:assistant_session", pk=session.pk)
