"""Writes for accounts: API keys and self-registration."""

import secrets
from datetime import datetime

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import Role
from .models import ApiKey, User


@transaction.atomic
def create_api_key(
    user: User, *, name: str, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Create a key for `user` and return it with the plain key, shown only once."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        user=user,
        name=name,
        prefix=prefix,
        key_hash=ApiKey.hash_secret(secret),
        expires_at=expires_at,
    )
    key.full_clean()
    key.save()
    return key, f"{ApiKey.PREFIX}_{prefix}_{secret}"


@transaction.atomic
def revoke_api_key(key: ApiKey) -> ApiKey:
    """Revoke a key; revoking twice keeps the first revocation time."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
    return key


@transaction.atomic
def register_user(
    *, username: str, email: str, password: str, full_name: str = ""
) -> User:
    """Self-registration (NEXO seed); the caller checks NEXUS_ALLOW_REGISTRATION.

    New accounts get no role: an admin grants one, so registering never grants
    access to data by itself.
    """
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this email already exists.")})
    user = User(username=username, email=email, full_name=full_name)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


def set_roles(user: User, roles: list[str]) -> User:
    """Replace the user's roles (Groups)."""
    groups = list(Group.objects.filter(name__in=roles))
    unknown = set(roles) - {g.name for g in groups}
    if unknown:
        raise ValidationError(
            {"roles": _("Unknown role(s): %s") % ", ".join(sorted(unknown))}
        )
    user.groups.set(groups)
    user.is_staff = user.company_id is None and bool(set(roles) - {Role.CLIENT})
    user.save(update_fields=["is_staff"])
    user.__dict__.pop("roles", None)
    return user


def _free_username(base: str) -> str:
    base = (
        "".join(ch for ch in base.lower() if ch.isalnum() or ch in "._-")[:140]
        or "user"
    )
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


@transaction.atomic
def create_employee(
    *, email: str, password: str | None = None, roles=(), **fields
) -> User:
    """Create a staff user; username, employee code and hire date are generated."""
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this email already exists.")})
    username = fields.pop("username", None) or _free_username(email.split("@")[0])
    user = User(username=username, email=email, is_staff=True, **fields)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    if roles:
        user.groups.set(roles)
    return user


@transaction.atomic
def update_employee(
    user: User, *, password: str | None = None, roles=None, **fields
) -> User:
    """Update a staff user's profile, roles and (optionally) password."""
    for name, value in fields.items():
        setattr(user, name, value)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    if roles is not None:
        user.groups.set(roles)
        user.__dict__.pop("roles", None)
    return user


@transaction.atomic
def deactivate_employee(user: User) -> User:
    """Employees are deactivated, never deleted, so their history keeps its author."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user
