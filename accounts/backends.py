from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


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
