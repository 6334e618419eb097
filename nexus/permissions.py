"""API permissions: Django model permissions drive the API (ARCHITECTURE rule 2)."""

from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """Like DRF's, but reading also needs the `view` permission.

    Object scoping is not done here: every viewset starts from
    `Model.objects.visible_to(user)` (rule 1), so a row outside the caller's scope
    is a 404, never a 403 that confirms it exists.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def _queryset(self, view):
        # Only the model matters here. DRF calls view.get_queryset() to find it,
        # which builds the whole scoped, prefetching queryset a second time on
        # every request; the class's `queryset` (a `.none()` placeholder of the
        # same model, test_permissions.py checks) names the model for free.
        queryset = getattr(view, "queryset", None)
        return queryset if queryset is not None else super()._queryset(view)


class IsStaffAdmin(ModelPermissions):
    """Admins only (superusers or members of the Admin role)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_admin)
