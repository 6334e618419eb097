"""Pages for networks: list, detail with the paginated host list, map (SVG)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from companies.models import Company

from .network_models import Host, Network
from .networks import (
    bulk_create_hosts,
    claim_next_free,
    iter_host_list,
    iter_host_list_csv,
    network_summary,
)
from .views import querystring_without_page, search

HOST_PAGE = 256
MAP_HOSTS_PER_NETWORK = 24


@login_required
@permission_required("assets.view_network", raise_exception=True)
def network_list(request):
    queryset = Network.objects.visible_to(request.user).for_list()
    company = request.GET.get("company", "")
    if company.isdigit():
        queryset = queryset.filter(company_id=int(company))
    queryset = search(
        queryset, request.GET.get("search", ""), ("name", "cidr", "company__name")
    )
    networks = list(queryset.order_by("company__name", "name", "id")[:500])
    for network in networks:
        usable = network.usable_count
        network.utilisation = (
            round(100 * network.host_count / usable, 1) if usable else 0
        )
    companies = (
        Company.objects.visible_to(request.user)
        .filter(networks__isnull=False)
        .distinct()
        .order_by("name")
    )
    return render(
        request,
        "assets/network_list.html",
        {
            "networks": networks,
            "companies": companies,
            "search": request.GET.get("search", ""),
            "company": company,
        },
    )


class AddressPage:
    """A page of a network's usable addresses, computed arithmetically."""

    def __init__(self, network: Network, number: int, size: int = HOST_PAGE):
        self.count = network.usable_count
        self.num_pages = max(1, -(-self.count // size))
        self.number = min(max(number, 1), self.num_pages)
        self.rows = list(
            iter_host_list(network, offset=(self.number - 1) * size, limit=size)
        )

    def has_previous(self):
        return self.number > 1

    def has_next(self):
        return self.number < self.num_pages

    def previous_page_number(self):
        return self.number - 1

    def next_page_number(self):
        return self.number + 1


@login_required
@permission_required("assets.view_network", raise_exception=True)
def network_detail(request, pk: int):
    network = get_object_or_404(
        Network.objects.visible_to(request.user).for_list(), pk=pk
    )
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    page = AddressPage(network, number)
    return render(
        request,
        "assets/network_detail.html",
        {
            "network": network,
            "summary": network_summary(network),
            "page": page,
            "querystring": querystring_without_page(request),
            "can_add": request.user.has_perm("assets.add_host")
            and not request.user.is_portal,
        },
    )


@login_required
@permission_required("assets.view_network", raise_exception=True)
def network_export(request, pk: int):
    network = get_object_or_404(Network.objects.visible_to(request.user), pk=pk)
    response = StreamingHttpResponse(
        iter_host_list_csv(network), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="network-{network.pk}-hosts.csv"'
    )
    return response


def _writable_network(request, pk: int) -> Network:
    if request.user.is_portal or not request.user.has_perm("assets.add_host"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    return get_object_or_404(Network.objects.visible_to(request.user), pk=pk)


@login_required
@require_POST
def network_claim(request, pk: int):
    network = _writable_network(request, pk)
    try:
        host = claim_next_free(
            network, hostname=request.POST.get("hostname", "")[:150].strip()
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("%(ip)s is yours.") % {"ip": host.ip})
    return redirect(network)


@login_required
@require_POST
def network_bulk(request, pk: int):
    network = _writable_network(request, pk)
    try:
        hosts = bulk_create_hosts(
            network,
            start=request.POST.get("start", ""),
            end=request.POST.get("end", ""),
            hostname_prefix=request.POST.get("hostname_prefix", "")[:100],
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("%(n)d hosts created.") % {"n": len(hosts)})
    return redirect(network)


# --- Map ------------------------------------------------------------------------

COLUMN_WIDTH, COLUMN_GAP, ROW, TOP = 300, 40, 22, 120


def render_network_map(company: Company, networks: list[Network]) -> str:
    """A company's networks, their hosts and the assets on them as SVG."""
    columns = max(len(networks), 1)
    width = columns * (COLUMN_WIDTH + COLUMN_GAP) + COLUMN_GAP
    tallest = max(
        (min(len(n.map_hosts), MAP_HOSTS_PER_NETWORK) for n in networks), default=0
    )
    height = TOP + 70 + (tallest + 2) * ROW + 40
    centre = width // 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<rect x="{centre - 140}" y="16" width="280" height="44" rx="8" '
        'fill="#2b6cb0"/>',
        f'<text x="{centre}" y="43" text-anchor="middle" fill="#fff" '
        f'font-size="15" font-weight="bold">{escape(company.name)}</text>',
    ]
    for index, network in enumerate(networks):
        x = COLUMN_GAP + index * (COLUMN_WIDTH + COLUMN_GAP)
        mid = x + COLUMN_WIDTH // 2
        hosts = network.map_hosts
        shown = hosts[:MAP_HOSTS_PER_NETWORK]
        box_height = 60 + (len(shown) + (1 if len(hosts) > len(shown) else 0)) * ROW
        parts.append(
            f'<line x1="{centre}" y1="60" x2="{mid}" y2="{TOP}" stroke="#718096" '
            'stroke-width="2"/>'
        )
        parts.append(
            f'<rect x="{x}" y="{TOP}" width="{COLUMN_WIDTH}" height="{box_height}" '
            'rx="8" fill="#f7fafc" stroke="#2b6cb0" stroke-width="2"/>'
        )
        vlan = f" · VLAN {network.vlan}" if network.vlan else ""
        parts.append(
            f'<text x="{mid}" y="{TOP + 22}" text-anchor="middle" font-weight="bold">'
            f"{escape(network.name)}</text>"
        )
        parts.append(
            f'<text x="{mid}" y="{TOP + 40}" text-anchor="middle" fill="#4a5568">'
            f"{escape(network.cidr)}{escape(vlan)}</text>"
        )
        for row, host in enumerate(shown):
            y = TOP + 62 + row * ROW
            colour = "#38a169" if host.asset_id else "#a0aec0"
            label = f"{host.ip}  {host.hostname}".strip()
            parts.append(f'<circle cx="{x + 16}" cy="{y - 4}" r="5" fill="{colour}"/>')
            parts.append(f'<text x="{x + 28}" y="{y}">{escape(label[:30])}</text>')
            if host.asset_id:
                parts.append(
                    f'<text x="{x + COLUMN_WIDTH - 10}" y="{y}" text-anchor="end" '
                    f'fill="#276749">{escape(str(host.asset)[:18])}</text>'
                )
        if len(hosts) > len(shown):
            y = TOP + 62 + len(shown) * ROW
            more = _("+ %(n)d more") % {"n": len(hosts) - len(shown)}
            parts.append(
                f'<text x="{x + 28}" y="{y}" fill="#718096">{escape(more)}</text>'
            )
    if not networks:
        parts.append(
            f'<text x="{centre}" y="{TOP}" text-anchor="middle" fill="#718096">'
            f"{escape(_('No networks yet.'))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _map_company(request):
    if request.user.is_portal:
        return get_object_or_404(Company, pk=request.user.company_id)
    raw = request.GET.get("company", "")
    if not raw.isdigit():
        return None
    return get_object_or_404(Company.objects.visible_to(request.user), pk=int(raw))


@login_required
@permission_required("assets.view_network", raise_exception=True)
def network_map(request):
    company = _map_company(request)
    svg = None
    if company is not None:
        networks = list(
            Network.objects.visible_to(request.user)
            .filter(company=company)
            .order_by("name", "id")
        )
        hosts = (
            Host.objects.visible_to(request.user)
            .filter(network__in=networks)
            .select_related("asset")
            .order_by("ip_key")
        )
        by_network: dict[int, list[Host]] = {n.pk: [] for n in networks}
        for host in hosts:
            by_network[host.network_id].append(host)
        for network in networks:
            network.map_hosts = by_network[network.pk]
        svg = render_network_map(company, networks)
        if request.GET.get("download") == "svg":
            response = HttpResponse(svg, content_type="image/svg+xml")
            response["Content-Disposition"] = (
                f'attachment; filename="network-map-{company.account_number}.svg"'
            )
            return response
    companies = (
        Company.objects.visible_to(request.user)
        .filter(networks__isnull=False)
        .distinct()
        .order_by("name")
    )
    return render(
        request,
        "assets/network_map.html",
        {"company": company, "companies": companies, "svg": svg},
    )
