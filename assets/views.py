"""Pages: assets list/detail/export and licences. Portal users see their company's."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from nexus.exports import safe_csv_writer

from .api.filters import AssetFilterSet, LicenceFilterSet
from .forms import AssetFilterForm
from .models import Asset, Licence

PAGE_SIZE = 50
ASSET_SEARCH = (
    "hostname",
    "name",
    "serial_number",
    "asset_tag",
    "last_logged_in_user",
    "company__name",
)
HISTORY_ROWS = 20
EXPORT_COLUMNS = (
    ("hostname", _("hostname")),
    ("name", _("name")),
    ("company__account_number", _("account number")),
    ("company__name", _("company")),
    ("status", _("status")),
    ("online", _("online")),
    ("operating_system", _("operating system")),
    ("last_seen", _("last seen")),
    ("warranty_expires", _("warranty expires")),
    ("serial_number", _("serial number")),
)


def search(queryset, text: str, fields):
    text = text.strip()
    if not text:
        return queryset
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": text})
    return queryset.filter(condition)


def querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def filtered_assets(request):
    """The same filters as the API (AssetFilterSet), plus the search box."""
    queryset = Asset.objects.visible_to(request.user)
    filterset = AssetFilterSet(request.GET, queryset=queryset, request=request)
    if filterset.is_valid():
        queryset = filterset.qs
    else:
        queryset = queryset.none()
    queryset = search(queryset, request.GET.get("search", ""), ASSET_SEARCH)
    return queryset, filterset


@login_required
@permission_required("assets.view_asset", raise_exception=True)
def asset_list(request):
    queryset, filterset = filtered_assets(request)
    page = Paginator(
        queryset.for_list().order_by("hostname", "id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "assets/asset_list.html",
        {
            "page": page,
            "form": AssetFilterForm(request.GET),
            "filter_errors": filterset.errors,
            "querystring": querystring_without_page(request),
        },
    )


@login_required
@permission_required("assets.view_asset", raise_exception=True)
def asset_export(request):
    """The filtered list as CSV (what the user may see, nothing more)."""
    queryset, _filterset = filtered_assets(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="assets.csv"'
    writer = safe_csv_writer(response)  # formula-safe cells
    writer.writerow([label for _name, label in EXPORT_COLUMNS])
    rows = queryset.order_by("hostname", "id").values_list(
        *[name for name, _label in EXPORT_COLUMNS]
    )
    for row in rows.iterator(chunk_size=2000):
        writer.writerow(["" if value is None else value for value in row])
    return response


@login_required
@permission_required("assets.view_asset", raise_exception=True)
def asset_detail(request, pk: int):
    asset = get_object_or_404(
        Asset.objects.visible_to(request.user).for_detail(), pk=pk
    )
    assignments = asset.licence_assignments.select_related(
        "licence__software"
    ).order_by("licence__software__name")
    history = (
        asset.history.select_related("history_user")[:HISTORY_ROWS]
        if not request.user.is_portal
        else []
    )
    contacts = asset.contacts.visible_to(request.user).order_by("name")
    return render(
        request,
        "assets/asset_detail.html",
        {
            "asset": asset,
            "assignments": assignments,
            "history": history,
            "contacts": contacts,
        },
    )


@login_required
@permission_required("assets.view_licence", raise_exception=True)
def licence_list(request):
    queryset = Licence.objects.visible_to(request.user)
    filterset = LicenceFilterSet(request.GET, queryset=queryset, request=request)
    queryset = filterset.qs if filterset.is_valid() else queryset.none()
    queryset = search(
        queryset, request.GET.get("search", ""), ("software__name", "company__name")
    )
    page = Paginator(
        queryset.for_list().order_by("expires_on", "id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "assets/licence_list.html",
        {
            "page": page,
            "search": request.GET.get("search", ""),
            "filter_errors": filterset.errors,
            "querystring": querystring_without_page(request),
        },
    )
