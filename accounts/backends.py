from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .permcache import cached


class EmailOrUsernameBackend(ModelBackend):
    """Sign in with either the username or the email address."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        username = username or kwargs.get("email")
        if not username or password is None:
            return None
        user_model = get_user_model()
        field = "email__iexact" if "@" in username else "username"
        user = user_model._default_manager.filter(**{field: username}).first()
        if user is None:
            user_model().set_password(password)  # same work as a hit: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = cached(
                user_obj,
                "all",
                lambda: super(EmailOrUsernameBackend, self).get_all_permissions(
                    user_obj
                ),
            )
        return user_obj._perm_cache
