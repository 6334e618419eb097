"""Main navigation built from each app's `nav_items` (AppConfig attribute).

An item is a dict: {"label": str, "url": url name, "perm": "app.view_model" or None,
"staff": bool (staff only), "portal": bool (shown to portal users), "portal_only": bool,
"visible": dotted path of a `callable(user) -> bool` for finer rules}.
"""

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string


def nav_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    items = []
    for config in apps.get_app_configs():
        for item in getattr(config, "nav_items", ()):
            if user.is_portal and not item.get("portal"):
                continue
            if not user.is_portal and item.get("portal_only"):
                continue
            if item.get("staff") and not user.is_staff_member:
                continue
            perm = item.get("perm")
            if perm and not user.has_perm(perm):
                continue
            visible = item.get("visible")
            if visible is not None and not import_string(visible)(user):
                continue
            try:
                url = reverse(item["url"])
            except NoReverseMatch:
                continue
            items.append(
                {"label": item["label"], "url": url, "order": item.get("order", 50)}
            )
    return sorted(items, key=lambda i: i["order"])


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {"nav_items": []}
    return {"nav_items": nav_for(user)}
