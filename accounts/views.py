from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import ApiKeyForm, LoginForm
from .models import ApiKey
from .services import create_api_key, revoke_api_key


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def lockout(request, credentials=None, *args, **kwargs):
    """Shown (with 429) after too many failed sign-ins; axes calls it."""
    if request.path.startswith("/api/"):
        return HttpResponse(
            b'{"detail": "Too many failed login attempts. Try again later."}',
            status=429,
            content_type="application/json",
        )
    body = render_to_string("accounts/lockout.html", request=request)
    return HttpResponse(body, status=429)


@login_required
def api_keys(request):
    """The signed-in user's API keys: create (shown once) and revoke."""
    keys = ApiKey.objects.filter(user=request.user).order_by("-created_at")
    new_key = None
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key, new_key = create_api_key(request.user, **form.cleaned_data)
        messages.success(
            request,
            _("API key “%s” created. Copy it now: it is not shown again.") % key.name,
        )
        form = ApiKeyForm()
    return render(
        request,
        "accounts/api_keys.html",
        {"keys": keys, "form": form, "new_key": new_key},
    )


@login_required
@require_POST
def revoke_key(request, pk: int):
    key = get_object_or_404(ApiKey.objects.filter(user=request.user), pk=pk)
    revoke_api_key(key)
    messages.success(request, _("API key “%s” revoked.") % key.name)
    return redirect("accounts:api_keys")
