import importlib

from csp.constants import SELF
from csp.decorators import csp_update
from django.apps import apps
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import AllowAny
from rest_framework_simplejwt.views import TokenRefreshView

from accounts.api import views as account_api

from . import views
from .api import build_router

admin.site.site_header = _("Nexus administration")
admin.site.site_title = _("Nexus")
admin.site.index_title = _("Back office")

router = build_router()

api_patterns = [
    # The seeds write paths without a trailing slash; both forms are served.
    re_path(r"^status/?$", views.StatusView.as_view(), name="status"),
    re_path(r"^health/?$", views.StatusView.as_view(), name="health"),
    re_path(r"^token/?$", account_api.LegacyTokenView.as_view(), name="legacy-token"),
    re_path(
        r"^auth/token/?$",
        account_api.PairTokenObtainView.as_view(),
        name="token-obtain",
    ),
    re_path(
        r"^auth/token/refresh/?$",
        TokenRefreshView.as_view(permission_classes=[AllowAny]),
        name="token-refresh",
    ),
    re_path(
        r"^auth/refresh/?$",
        TokenRefreshView.as_view(permission_classes=[AllowAny]),
        name="auth-refresh",
    ),
    re_path(
        r"^auth/login/?$",
        account_api.EmailTokenObtainPairView.as_view(),
        name="auth-login",
    ),
    re_path(r"^auth/logout/?$", account_api.LogoutView.as_view(), name="auth-logout"),
    re_path(r"^auth/me/?$", account_api.MeView.as_view(), name="auth-me"),
    re_path(r"^auth/profile/?$", account_api.MeView.as_view(), name="auth-profile"),
    re_path(
        r"^auth/register/?$", account_api.RegisterView.as_view(), name="auth-register"
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Both docs pages run under the Content-Security-Policy's script-src 'self':
    # the split view serves Swagger UI's start-up script from its own URL (?script)
    # instead of inline, and our ReDoc page loads no web fonts from a CDN. ReDoc
    # builds its search index in a Web Worker made from a blob: URL, allowed on
    # that page alone.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema"),
        name="docs",
    ),
    path(
        "redoc/",
        csp_update({"worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(
                url_name="api:schema", template_name="nexus/redoc.html"
            )
        ),
        name="redoc",
    ),
    *router.urls,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/", include((api_patterns, "api"), namespace="api")),
]

# Each domain app's pages live under its own prefix when it has a urls.py.
PAGE_PREFIXES = {
    "companies": "companies/",
    "contacts": "contacts/",
    "assets": "assets/",
    "tickets": "tickets/",
    "projects": "projects/",
    "knowledge": "kb/",
    "manufacturing": "manufacturing/",
    "integrations": "integrations/",
}
for app_label, prefix in PAGE_PREFIXES.items():
    if not apps.is_installed(app_label):
        continue
    try:
        importlib.import_module(f"{app_label}.urls")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app_label}.urls":
            raise
        continue
    urlpatterns.append(path(prefix, include(f"{app_label}.urls")))

# Under /api/ the error pages are JSON, like every other API error (nexus/errors.py).
handler400 = "nexus.errors.bad_request"
handler403 = "nexus.errors.permission_denied"
handler404 = "nexus.errors.page_not_found"
handler500 = "nexus.errors.server_error"
