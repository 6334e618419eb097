"""Pages: the contacts list, detail and export. Portal users see their company's."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from assets.models import Asset
from nexus.exports import safe_csv_writer

from .api.filters import ContactFilterSet
from .models import Contact

PAGE_SIZE = 50
SEARCH_FIELDS = ("name", "email", "title", "work_phone", "mobile_phone")


def filtered_contacts(request):
    """The same filters as the API (ContactFilterSet), plus the search box."""
    queryset = Contact.objects.visible_to(request.user)
    filterset = ContactFilterSet(request.GET, queryset=queryset, request=request)
    queryset = filterset.qs if filterset.is_valid() else queryset.none()
    text = request.GET.get("search", "").strip()
    if text:
        condition = Q()
        for field in SEARCH_FIELDS:
            condition |= Q(**{f"{field}__icontains": text})
        queryset = queryset.filter(condition)
    return queryset, filterset


def querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@permission_required("contacts.view_contact", raise_exception=True)
def contact_list(request):
    queryset, filterset = filtered_contacts(request)
    page = Paginator(
        queryset.for_list(request.user).order_by("name", "id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "contacts/contact_list.html",
        {
            "page": page,
            "filterset": filterset,
            "search": request.GET.get("search", ""),
            "querystring": querystring_without_page(request),
        },
    )


@login_required
@permission_required("contacts.view_contact", raise_exception=True)
def contact_export(request):
    """The filtered contacts as CSV (only what the user may see)."""
    queryset, _filterset = filtered_contacts(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="contacts.csv"'
    writer = safe_csv_writer(response)  # formula-safe cells
    writer.writerow(
        [
            _("name"),
            _("email"),
            _("title"),
            _("work phone"),
            _("mobile phone"),
            _("active"),
            _("companies"),
        ]
    )
    for contact in queryset.for_list(request.user).order_by("name", "id"):
        writer.writerow(
            [
                contact.name,
                contact.email,
                contact.title,
                contact.work_phone,
                contact.mobile_phone,
                contact.active,
                " ".join(str(c.account_number) for c in contact.companies.all()),
            ]
        )
    return response


@login_required
@permission_required("contacts.view_contact", raise_exception=True)
def contact_detail(request, pk: int):
    contact = get_object_or_404(
        Contact.objects.visible_to(request.user).for_list(request.user), pk=pk
    )
    assets = (
        Asset.objects.visible_to(request.user)
        .filter(Q(contacts=contact) | Q(assigned_contact=contact))
        .select_related("company")
        .distinct()
        .order_by("hostname")
    )
    history = (
        contact.history.select_related("history_user")[:20]
        if not request.user.is_portal
        else []
    )
    return render(
        request,
        "contacts/contact_detail.html",
        {"contact": contact, "assets": assets, "history": history},
    )
