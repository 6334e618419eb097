"""Template helpers, including the pieces other apps embed:

{% load knowledge %}
{% suggested_articles ticket.title %}        articles matching a text (on render)
{% kb_suggest_box form.title %}              the same, refreshed as the user types
                                             into that field (htmx)
{% ticket_knowledge ticket %}                a ticket page's "Knowledge" panel:
                                             linked articles, link/unlink (staff)
{% kb_reply_helper ticket %}                 "insert link to article" for the
                                             staff reply form (textarea #id_body)

Every one shows only articles the current user may read, and renders nothing
for a user without the knowledge-base read permission.
"""

from django import template
from django.conf import settings
from django.middleware.csrf import get_token

from ..models import Article
from ..querysets import can_link_tickets
from ..services import suggest_articles as suggest

register = template.Library()


def _reader(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if (
        user is None
        or not user.is_authenticated
        or not user.has_perm("knowledge.view_article")
    ):
        return request, None
    return request, user


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.inclusion_tag(
    "knowledge/partials/suggested_articles.html", takes_context=True
)
def suggested_articles(context, text: str, limit: int = 5):
    """Published articles the current user may read that match `text`."""
    request, user = _reader(context)
    if user is None:
        return {"articles": [], "request": request}
    return {"articles": suggest(text or "", user=user, limit=limit), "request": request}


@register.inclusion_tag("knowledge/partials/suggest_box.html", takes_context=True)
def kb_suggest_box(context, field, limit: int = 5):
    """Suggestions under a form field (a new ticket's title): rendered from the
    field's value now, refreshed by htmx as the user types. Without JavaScript
    the box simply keeps what the server rendered."""
    request, user = _reader(context)
    if user is None:
        return {"enabled": False}
    text = field.value() or ""
    return {
        "enabled": True,
        "request": request,
        "field_id": field.auto_id,
        "articles": suggest(text, user=user, limit=limit) if text.strip() else [],
    }


@register.inclusion_tag("knowledge/partials/ticket_knowledge.html", takes_context=True)
def ticket_knowledge(context, ticket):
    """The "Knowledge" panel of a ticket page."""
    request, user = _reader(context)
    if user is None:
        return {"enabled": False}
    return ticket_knowledge_context(ticket, user=user, request=request)


def ticket_knowledge_context(ticket, *, user, request) -> dict:
    articles = (
        Article.objects.visible_to(user)
        .linked_to_ticket(ticket)
        .only("pk", "title", "slug", "status", "visibility")
        .order_by("title", "pk")
    )
    return {
        "enabled": True,
        "request": request,
        "ticket": ticket,
        "articles": articles,
        "can_link": can_link_tickets(user),
        # Inclusion tags get a fresh context; the forms need the token.
        "csrf_token": get_token(request) if request is not None else "",
    }


@register.inclusion_tag("knowledge/partials/reply_helper.html", takes_context=True)
def kb_reply_helper(context, ticket, textarea_id: str = "id_body"):
    """Search box whose results insert a Markdown link into the reply textarea."""
    request, user = _reader(context)
    if user is None or not can_link_tickets(user):
        return {"enabled": False}
    return {
        "enabled": True,
        "ticket": ticket,
        "textarea_id": textarea_id,
        "request": request,
    }


def absolute_article_url(article, request) -> str:
    """NEXUS_BASE_URL when set (the address people use), else this request's."""
    base = getattr(settings, "NEXUS_BASE_URL", "").rstrip("/")
    path = article.get_absolute_url()
    if base:
        return base + path
    return request.build_absolute_uri(path) if request is not None else path


def markdown_link(article, request) -> str:
    """[Title](absolute URL), with the characters that would end the link text or
    the URL escaped."""
    title = article.title.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    url = absolute_article_url(article, request).replace(")", "%29").replace(" ", "%20")
    return f"[{title}]({url})"


@register.simple_tag(takes_context=True)
def article_markdown_link(context, article) -> str:
    return markdown_link(article, context.get("request"))
