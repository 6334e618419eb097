"""Agent authentication (`X-Agent-Key: nxa_<prefix>_<secret>`) and its throttle.

An agent is never a user: `request.user` is an AgentPrincipal (anonymous, no
permissions at all) and `request.auth` is the Agent, so an agent key opens the
agent endpoints and nothing else.
"""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from ..fleet import authenticate_agent
from ..fleet_models import Agent

HEADER = "HTTP_X_AGENT_KEY"


class AgentPrincipal(AnonymousUser):
    """The `request.user` of an agent request: anonymous, with its agent."""

    is_portal = False
    is_staff_member = False

    def __init__(self, agent: Agent):
        super().__init__()
        self.agent = agent

    def __str__(self) -> str:
        return f"agent:{self.agent.prefix}"


class AgentKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw = request.META.get(HEADER)
        if raw is None:
            return None
        agent = authenticate_agent(raw)
        if agent is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked agent key."))
        return AgentPrincipal(agent), agent

    def authenticate_header(self, request):
        return "X-Agent-Key"


class IsAgent(permissions.BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, Agent)


class AgentRateThrottle(SimpleRateThrottle):
    """The settings' `ingest` rate, counted per agent key (per client address
    before an agent has a key, i.e. for enrolment)."""

    scope = "ingest"

    def get_rate(self):
        # Read at call time, so a changed setting (or a test's) applies.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, Agent):
            ident = f"agent-{request.auth.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AgentKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "assets.api.fleet_auth.AgentKeyAuthentication"
    name = "AgentKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Agent-Key"}
