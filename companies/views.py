"""Pages: dashboard, companies list/detail/forms, and the portal's "My company"."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assets.models import Asset, Licence
from contacts.models import Contact

from .api.filters import CompanyFilterSet
from .forms import AdjustCreditsForm, CompanyForm
from .models import Company, CreditAccount, CreditTransaction, Location, Plan
from .services import (
    LEDGER_SERVICES,
    DuplicateAccountNumber,
    create_company,
    update_company,
)

PAGE_SIZE = 50
OFFLINE_DAYS = 7
EXPIRY_DAYS = 30
DASHBOARD_ROWS = 15

SORTS = {
    "name": "name",
    "account_number": "account_number",
    "kind": "kind",
    "status": "status",
    "plan": "plan__name",
    "balance": "credit_account__balance",
    "updated": "updated_at",
}

TABS = (
    ("overview", gettext_lazy("Overview"), None),
    ("locations", gettext_lazy("Locations"), "companies.view_location"),
    ("contacts", gettext_lazy("Contacts"), "contacts.view_contact"),
    ("assets", gettext_lazy("Assets"), "assets.view_asset"),
    ("licences", gettext_lazy("Licences"), "assets.view_licence"),
    ("credits", gettext_lazy("Credits"), "companies.view_credittransaction"),
    ("history", gettext_lazy("History"), "companies.view_historicalcompany"),
)


def staff_required(view):
    """Staff pages: a portal user is sent to their own company instead."""

    def wrapped(request, *args, **kwargs):
        if request.user.is_portal:
            return redirect("companies:my_company")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
@staff_required
@permission_required("companies.view_company", raise_exception=True)
def dashboard(request):
    """Counts, companies by plan, offline devices, expiries and low balances."""
    user = request.user
    now = timezone.now()
    today = timezone.localdate()
    soon = today + timedelta(days=EXPIRY_DAYS)
    companies = Company.objects.visible_to(user)
    assets = Asset.objects.visible_to(user)
    # Plans are sold to clients; suppliers and partners would only swell "No plan".
    clients = companies.clients()
    plans = list(
        Plan.objects.visible_to(user)
        .annotate(n=Count("companies", filter=Q(companies__in=clients)))
        .filter(n__gt=0)
        .order_by("-n", "name")
        .values("name", "n")
    )
    unplanned = clients.filter(plan__isnull=True).count()
    if unplanned:
        plans.append({"name": _("No plan"), "n": unplanned})
    top = max((p["n"] for p in plans), default=1)
    for row in plans:
        row["pct"] = round(100 * row["n"] / top)
    offline = (
        assets.for_list()
        .filter(online=False, last_seen__lt=now - timedelta(days=OFFLINE_DAYS))
        .order_by("last_seen")
    )
    warranties = (
        assets.for_list()
        .filter(warranty_expires__gte=today, warranty_expires__lte=soon)
        .order_by("warranty_expires")
    )
    licences = (
        Licence.objects.visible_to(user)
        .select_related("software", "company")
        .filter(expires_on__gte=today, expires_on__lte=soon)
        .order_by("expires_on")
    )
    low = CreditAccount.objects.visible_to(user).for_list().low().order_by("balance")
    context = {
        "counts": {
            "companies": companies.count(),
            "contacts": Contact.objects.visible_to(user).count(),
            "assets": assets.count(),
        },
        "plans": plans,
        "chart_height": 28 * len(plans) + 10,
        "offline": offline[:DASHBOARD_ROWS],
        "offline_count": offline.count(),
        "warranties": warranties[:DASHBOARD_ROWS],
        "warranty_count": warranties.count(),
        "licences": licences[:DASHBOARD_ROWS],
        "licence_count": licences.count(),
        "low_balances": low[:DASHBOARD_ROWS],
        "low_count": low.count(),
        "offline_days": OFFLINE_DAYS,
        "expiry_days": EXPIRY_DAYS,
    }
    return render(request, "companies/dashboard.html", context)


@login_required
@staff_required
@permission_required("companies.view_company", raise_exception=True)
def company_list(request):
    """All companies the user may see: search, filters, sorting, 50 per page."""
    queryset = Company.objects.visible_to(request.user).for_list()
    filterset = CompanyFilterSet(request.GET, queryset=queryset)
    queryset = filterset.qs if filterset.is_valid() else queryset.none()
    query = request.GET.get("q", "").strip()
    if query:
        match = Q(name__icontains=query) | Q(primary_contact_name__icontains=query)
        if query.isdigit():
            match |= Q(account_number=int(query))
        queryset = queryset.filter(match)
    sort = request.GET.get("sort", "name")
    key = sort.removeprefix("-")
    if key not in SORTS:
        sort, key = "name", "name"
    field = SORTS[key]
    queryset = queryset.order_by(f"-{field}" if sort.startswith("-") else field, "pk")
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = params.copy()
    sort_params.pop("sort", None)
    context = {
        "page": _page(request, queryset),
        "filterset": filterset,
        "query": query,
        "sort": sort,
        "querystring": params.urlencode(),
        "sort_querystring": sort_params.urlencode(),
        "columns": [
            ("name", _("Name")),
            ("account_number", _("Account number")),
            ("kind", _("Kind")),
            ("status", _("Status")),
            ("plan", _("Plan")),
            ("balance", _("Credit balance")),
        ],
    }
    return render(request, "companies/company_list.html", context)


@login_required
def company_detail(request, account_number: int):
    """One company in tabs; a portal user may open only their own."""
    company = get_object_or_404(
        Company.objects.visible_to(request.user).for_api(),
        account_number=account_number,
    )
    if not request.user.has_perm("companies.view_company"):
        raise PermissionDenied
    user = request.user
    tabs = [
        (key, label)
        for key, label, perm in TABS
        if perm is None
        or (user.has_perm(perm) and (key != "history" or not user.is_portal))
    ]
    tab = request.GET.get("tab", "overview")
    if tab not in {key for key, _label in tabs}:
        tab = "overview"
    context = {"company": company, "tabs": tabs, "tab": tab}
    if tab == "overview":
        context["features"] = (
            Company.objects.with_features().get(pk=company.pk).effective_features
        )
        context["rmm_sites"] = company.rmm_sites.all() if user.is_staff_member else []
    elif tab == "locations":
        context["page"] = _page(
            request, Location.objects.visible_to(user).filter(company=company)
        )
    elif tab == "contacts":
        context["page"] = _page(
            request,
            Contact.objects.visible_to(user).filter(companies=company).order_by("name"),
        )
    elif tab == "assets":
        context["page"] = _page(
            request, Asset.objects.visible_to(user).for_list().filter(company=company)
        )
    elif tab == "licences":
        context["page"] = _page(
            request,
            Licence.objects.visible_to(user)
            .select_related("software")
            .filter(company=company),
        )
    elif tab == "credits":
        context["page"] = _page(
            request,
            CreditTransaction.objects.visible_to(user)
            .select_related("actor")
            .filter(account__company=company),
        )
    elif tab == "history":
        context["page"] = _page(
            request, company.history.select_related("history_user").all()
        )
    return render(request, "companies/company_detail.html", context)


def _save_company_form(request, form, company=None):
    try:
        if company is None:
            return create_company(actor=request.user, **form.service_fields())
        return update_company(company, actor=request.user, **form.service_fields())
    except DuplicateAccountNumber as exc:
        form.add_error("account_number", exc.messages[0])
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc)
    except PermissionDenied as exc:
        form.add_error("account_number", str(exc))
    return None


@login_required
@staff_required
@permission_required("companies.add_company", raise_exception=True)
def company_create(request):
    form = CompanyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        company = _save_company_form(request, form)
        if company is not None:
            messages.success(
                request,
                _("Company %(name)s created with account number %(number)s.")
                % {"name": company.name, "number": company.account_number},
            )
            return redirect(company)
    return render(
        request, "companies/company_form.html", {"form": form, "company": None}
    )


@login_required
@staff_required
@permission_required("companies.change_company", raise_exception=True)
def company_update(request, account_number: int):
    company = get_object_or_404(
        Company.objects.visible_to(request.user), account_number=account_number
    )
    form = CompanyForm(request.POST or None, instance=company, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = _save_company_form(request, form, company)
        if saved is not None:
            messages.success(request, _("Company saved."))
            return redirect(saved)
        company.refresh_from_db()
    return render(
        request, "companies/company_form.html", {"form": form, "company": company}
    )


@login_required
@staff_required
@permission_required("companies.add_credittransaction", raise_exception=True)
def company_credits_add(request, account_number: int):
    """Record a purchase, deduction, refund or adjustment through the ledger."""
    company = get_object_or_404(
        Company.objects.visible_to(request.user).for_api(),
        account_number=account_number,
    )
    form = AdjustCreditsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        service = LEDGER_SERVICES[form.cleaned_data["kind"]]
        try:
            movement = service(company, actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            for field, errors in getattr(exc, "error_dict", {None: exc}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Recorded. The balance is now %(balance)s.")
                % {"balance": movement.balance_after},
            )
            return redirect(f"{company.get_absolute_url()}?tab=credits")
    return render(
        request, "companies/credits_form.html", {"form": form, "company": company}
    )


@login_required
def my_company(request):
    """The portal's home for a client: their assets, contacts and credit balance."""
    user = request.user
    if not user.is_portal:
        raise Http404
    company = get_object_or_404(
        Company.objects.visible_to(user).for_api(), pk=user.company_id
    )
    account = CreditAccount.objects.visible_to(user).filter(company=company).first()
    context = {
        "company": company,
        "account": account,
        "transactions": CreditTransaction.objects.visible_to(user).filter(
            account__company=company
        )[:10],
        "assets": _page(
            request, Asset.objects.visible_to(user).for_list().filter(company=company)
        ),
        "contacts": Contact.objects.visible_to(user)
        .filter(companies=company)
        .order_by("name")[:200],
        "locations": Location.objects.visible_to(user).filter(company=company),
    }
    return render(request, "companies/my_company.html", context)
