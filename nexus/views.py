from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .health import status_report
from .navigation import nav_for


class StatusView(APIView):
    """Health: version, and whether the database, cache and broker answer."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = []

    @extend_schema(
        responses=inline_serializer(
            "Status",
            {
                "status": serializers.ChoiceField(choices=["ok", "degraded"]),
                "version": serializers.CharField(),
                "checks": serializers.DictField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request):
        report = status_report()
        return Response(report, status=200 if report["status"] == "ok" else 503)


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever a page links (API clients too)."""
    return redirect(static("nexus/favicon.svg"), permanent=True)


@login_required
def home(request):
    """Each signed-in user sees the areas their role gives them."""
    cards = [item for item in nav_for(request.user) if item["url"] != request.path]
    return render(request, "home.html", {"cards": cards})
