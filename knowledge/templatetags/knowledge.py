"""Template helpers, including the suggestion box other apps can embed:

{% load knowledge %}
{% suggested_articles ticket.title %}            (server-side, on render)
<div hx-get="{% url 'knowledge:suggest' %}" hx-trigger="keyup changed delay:500ms from:#id_title"
     hx-include="#id_title" …>                     (live, as the user types; the
                                                 input must be named "text" or
                                                 use hx-vals)
"""

from django import template

from ..services import suggest_articles as suggest

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.inclusion_tag(
    "knowledge/partials/suggested_articles.html", takes_context=True
)
def suggested_articles(context, text: str, limit: int = 5):
    """Published articles the current user may read that match `text`."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if (
        user is None
        or not user.is_authenticated
        or not user.has_perm("knowledge.view_article")
    ):
        return {"articles": [], "request": request}
    return {"articles": suggest(text or "", user=user, limit=limit), "request": request}
