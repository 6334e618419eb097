from django import template
from django.urls import NoReverseMatch

register = template.Library()


@register.simple_tag
def url_of(obj) -> str:
    """obj.get_absolute_url(), or "" while the page it points to does not exist."""
    try:
        return obj.get_absolute_url()
    except (AttributeError, NoReverseMatch):
        return ""
