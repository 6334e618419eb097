"""Network services: saving networks, host lists, claiming and bulk-creating hosts.

Host lists are computed arithmetically from the network: a page of a /16 (or an
IPv6 /64) is `offset`..`offset + limit` of the usable range, and only the hosts
inside that page's address range are read from the database. No function here
builds the list of all addresses of a network.
"""

import csv
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from companies.models import Company

from .choices import AddressState, HostRole
from .network_models import Host, Network, ip_key

MAX_BULK_HOSTS = 4096
# Above this many usable addresses (an IPv6 /64 has 2**64) the CSV export lists
# the assigned hosts only.
MAX_CSV_ADDRESSES = 1 << 16
CLAIM_ATTEMPTS = 20


@dataclass(frozen=True)
class AddressRow:
    """One usable address of a network and what it is used for."""

    ip: str
    state: str
    host: Host | None = None

    @property
    def hostname(self) -> str:
        return self.host.hostname if self.host else ""

    @property
    def asset(self):
        return self.host.asset if self.host else None


@transaction.atomic
def save_network(network: Network) -> Network:
    """Validate and save a network; the company row is locked first so that two
    concurrent saves cannot both pass the overlap check (PostgreSQL; SQLite
    serialises writers)."""
    if network.company_id is not None:
        list(Company.objects.select_for_update().filter(pk=network.company_id))
    network.full_clean()
    network.save()
    return network


def _hosts_between(network: Network, first: int, last: int) -> dict[int, Host]:
    hosts = (
        Host.objects.filter(
            network=network,
            ip_key__gte=ip_key(network.address(first)),
            ip_key__lte=ip_key(network.address(last)),
        )
        .select_related("asset")
        .order_by("ip_key")
    )
    # ip_key is the address as hex: int(key, 16) is the address, without parsing.
    return {int(h.ip_key, 16): h for h in hosts}


def address_state(network: Network, value: int, host: Host | None) -> str:
    return _state_function(network)(value, host)


def _state_function(network: Network):
    """A fast `state(value, host)` for one network (gateway and DHCP parsed once)."""
    gateway = int(ipaddress.ip_address(network.gateway)) if network.gateway else None
    dhcp = network.dhcp_bounds()
    low, high = dhcp if dhcp is not None else (1, 0)

    def state(value: int, host: Host | None) -> str:
        if host is not None:
            return AddressState.ASSIGNED
        if value == gateway:
            return AddressState.GATEWAY
        if low <= value <= high:
            return AddressState.DHCP
        return AddressState.FREE

    return state


def iter_host_list(
    network: Network, *, offset: int = 0, limit: int = 256
) -> Iterator[AddressRow]:
    """Yield the usable addresses `offset`..`offset+limit` with their state.

    One query (this page's hosts) however large the network is.
    """
    first, last = network.usable_bounds()
    start = first + max(offset, 0)
    end = min(start + max(limit, 0) - 1, last)
    if start > end:
        return
    hosts = _hosts_between(network, start, end)
    state = _state_function(network)
    address = network.address
    for value in range(start, end + 1):
        host = hosts.get(value)
        yield AddressRow(ip=str(address(value)), state=state(value, host), host=host)


def _reserved_intervals(network: Network) -> list[tuple[int, int]]:
    intervals = []
    if network.gateway:
        g = int(ipaddress.ip_address(network.gateway))
        intervals.append((g, g))
    dhcp = network.dhcp_bounds()
    if dhcp is not None:
        intervals.append(dhcp)
    return intervals


def iter_free(network: Network, *, start: int | None = None) -> Iterator[int]:
    """Free addresses (not assigned, not the gateway, not in the DHCP range) in
    ascending order from `start`, reading assigned hosts lazily in key order."""
    first, last = network.usable_bounds()
    candidate = max(first, start if start is not None else first)
    intervals = _reserved_intervals(network)
    taken = (
        int(key, 16)
        for key in Host.objects.filter(
            network=network, ip_key__gte=ip_key(network.address(min(candidate, last)))
        )
        .order_by("ip_key")
        .values_list("ip_key", flat=True)
        .iterator(chunk_size=5000)
    )
    next_taken = next(taken, None)
    while candidate <= last:
        moved = False
        for low, high in intervals:
            if low <= candidate <= high:
                candidate, moved = high + 1, True
        while next_taken is not None and next_taken < candidate:
            next_taken = next(taken, None)
        if next_taken == candidate:
            candidate, moved = candidate + 1, True
        if not moved:
            yield candidate
            candidate += 1


def next_free_address(network: Network) -> str | None:
    value = next(iter_free(network), None)
    return None if value is None else str(network.address(value))


def network_summary(network: Network) -> dict:
    """Usable, assigned, reserved and free counts, utilisation % and next free."""
    first, last = network.usable_bounds()
    usable = last - first + 1
    assigned = Host.objects.filter(network=network).count()
    reserved = 0
    for low, high in _reserved_intervals(network):
        low, high = max(low, first), min(high, last)
        if low > high:
            continue
        in_use = Host.objects.filter(
            network=network,
            ip_key__gte=ip_key(network.address(low)),
            ip_key__lte=ip_key(network.address(high)),
        ).count()
        reserved += high - low + 1 - in_use
    dhcp = network.dhcp_bounds()
    if (
        network.gateway
        and dhcp
        and dhcp[0] <= int(ipaddress.ip_address(network.gateway)) <= dhcp[1]
    ):
        reserved -= 1  # counted in both intervals
    free = max(usable - assigned - reserved, 0)
    return {
        "usable": usable,
        "assigned": assigned,
        "reserved": reserved,
        "free": free,
        "utilisation": round(100 * (usable - free) / usable, 2) if usable else 0.0,
        "next_free": next_free_address(network),
    }


def claim_next_free(network: Network, **fields) -> Host:
    """Give the next free address of `network` to a new host, race-free.

    On PostgreSQL the network row is locked (SELECT … FOR UPDATE) so concurrent
    claims queue up; everywhere the (network, ip) unique constraint catches a
    loser, which retries with the next address.
    """
    for _attempt in range(CLAIM_ATTEMPTS):
        try:
            with transaction.atomic():
                locked = Network.objects.select_for_update().get(pk=network.pk)
                value = next(iter_free(locked), None)
                if value is None:
                    raise ValidationError(
                        {"ip": _("%(net)s has no free address.") % {"net": locked.cidr}}
                    )
                host = Host(network=locked, ip=str(locked.address(value)), **fields)
                host.full_clean(validate_constraints=False)
                host.save()
                return host
        except IntegrityError:
            continue
    raise ValidationError({"ip": _("Could not claim an address; try again.")})


@transaction.atomic
def bulk_create_hosts(
    network: Network,
    *,
    start: str,
    end: str,
    hostname_prefix: str = "",
    role: str = HostRole.OTHER,
) -> list[Host]:
    """Create one host per address from `start` to `end` (inclusive), all or none."""
    first, last = network.usable_bounds()
    errors = {}
    values = {}
    for field, value in (("start", start), ("end", end)):
        try:
            address = ipaddress.ip_address(str(value).strip())
        except ValueError:
            errors[field] = _("Enter a valid IP address.")
            continue
        if address.version != network.version or not first <= int(address) <= last:
            errors[field] = _("%(ip)s is not a usable address of %(net)s.") % {
                "ip": value,
                "net": network.cidr,
            }
            continue
        values[field] = int(address)
    if role not in HostRole.values:
        errors["role"] = _("Choose a valid role.")
    if not errors and values["start"] > values["end"]:
        errors["end"] = _("The range ends before it starts.")
    if not errors and values["end"] - values["start"] + 1 > MAX_BULK_HOSTS:
        errors["end"] = _("Create at most %(n)d hosts at a time.") % {
            "n": MAX_BULK_HOSTS
        }
    if errors:
        raise ValidationError(errors)
    list(Network.objects.select_for_update().filter(pk=network.pk))
    taken = _hosts_between(network, values["start"], values["end"])
    if taken:
        shown = ", ".join(h.ip for h in list(taken.values())[:5])
        raise ValidationError(
            {"start": _("These addresses are already in use: %(ips)s") % {"ips": shown}}
        )
    hosts = []
    for value in range(values["start"], values["end"] + 1):
        address = network.address(value)
        suffix = str(address).replace(":", "-").split(".")[-1]
        hosts.append(
            Host(
                network=network,
                ip=str(address),
                ip_key=ip_key(address),
                hostname=f"{hostname_prefix}{suffix}" if hostname_prefix else "",
                role=role,
            )
        )
    try:
        with transaction.atomic():
            return Host.objects.bulk_create(hosts, batch_size=500)
    except IntegrityError:
        raise ValidationError(
            {"start": _("Some of these addresses were taken meanwhile; try again.")}
        ) from None


def csv_cell(value) -> str:
    """A spreadsheet-safe cell: text starting with = + - @ (or tab/CR) is
    prefixed with a quote so it is not run as a formula."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def iter_host_list_csv(network: Network, *, chunk: int = 4096) -> Iterator[str]:
    """The whole host list as CSV lines, generated a chunk of addresses at a time
    (for a streaming response)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(
        [_("IP address"), _("state"), _("hostname"), _("MAC"), _("asset")]
    )
    if network.usable_count > MAX_CSV_ADDRESSES:
        hosts = network.hosts.select_related("asset").order_by("ip_key")
        rows = (
            AddressRow(ip=h.ip, state=AddressState.ASSIGNED, host=h)
            for h in hosts.iterator(chunk_size=2000)
        )
    else:
        rows = (
            row
            for offset in range(0, network.usable_count, chunk)
            for row in iter_host_list(network, offset=offset, limit=chunk)
        )
    for row in rows:
        yield writer.writerow(
            [
                csv_cell(row.ip),
                csv_cell(row.state),
                csv_cell(row.hostname),
                csv_cell(row.host.mac if row.host else ""),
                csv_cell(row.asset.hostname if row.asset else ""),
            ]
        )
