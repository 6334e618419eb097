"""IP networks of a company and the hosts (addresses) in them."""

import ipaddress
import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from nexus.models import TimeStampedModel

from .choices import HostRole
from .querysets import _company_scoped

MAC_DIGITS = re.compile(r"^[0-9A-Fa-f]{12}$")


def ip_key(address) -> str:
    """Fixed-width hex of an address: sorts like the number within one IP version,
    so a page of a network is one range query on any database."""
    address = ipaddress.ip_address(address)
    width = 8 if address.version == 4 else 32
    return f"{int(address):0{width}x}"


def normalise_mac(value: str) -> str:
    """`aa-bb-cc-dd-ee-ff`, `aabb.ccdd.eeff`, `aabbccddeeff` → `AA:BB:CC:DD:EE:FF`."""
    digits = re.sub(r"[\s:.\-]", "", value or "")
    if not MAC_DIGITS.match(digits):
        raise ValidationError(_("Enter a MAC address such as 00:1A:2B:3C:4D:5E."))
    digits = digits.upper()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def parse_network(value: str):
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        raise ValidationError(
            _("Enter a network in CIDR form, e.g. 192.168.1.0/24.")
        ) from None


class NetworkQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _company_scoped(self, user, "company_id")

    def for_api(self):
        return self.select_related("company", "location").annotate(
            host_count=models.Count("hosts", distinct=True)
        )

    def for_list(self):
        return self.for_api()


class HostQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _company_scoped(self, user, "network__company_id")

    def for_api(self):
        return self.select_related("network", "asset")

    def for_list(self):
        return self.select_related("network__company", "asset")


class Network(TimeStampedModel):
    """An IPv4 or IPv6 network (subnet) of a company, optionally at a location."""

    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="networks",
    )
    location = models.ForeignKey(
        "companies.Location",
        verbose_name=_("location"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="networks",
    )
    name = models.CharField(_("name"), max_length=150)
    cidr = models.CharField(
        _("CIDR"), max_length=50, help_text=_("e.g. 192.168.1.0/24 or 2001:db8::/64")
    )
    version = models.PositiveSmallIntegerField(_("IP version"), editable=False)
    vlan = models.PositiveSmallIntegerField(
        _("VLAN"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(4094)],
    )
    gateway = models.GenericIPAddressField(_("gateway"), null=True, blank=True)
    dns_servers = models.JSONField(_("DNS servers"), default=list, blank=True)
    dhcp_start = models.GenericIPAddressField(
        _("DHCP range start"), null=True, blank=True
    )
    dhcp_end = models.GenericIPAddressField(_("DHCP range end"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    objects = NetworkQuerySet.as_manager()

    class Meta:
        ordering = ["company__name", "name", "id"]
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        constraints = [
            models.CheckConstraint(
                condition=Q(vlan__isnull=True) | Q(vlan__gte=1, vlan__lte=4094),
                name="%(app_label)s_%(class)s_vlan_range",
            ),
            models.CheckConstraint(
                condition=Q(version__in=[4, 6]),
                name="%(app_label)s_%(class)s_version_valid",
            ),
            models.UniqueConstraint(
                fields=["company", "cidr"], name="%(app_label)s_%(class)s_cidr_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cidr})"

    def get_absolute_url(self) -> str:
        return reverse("assets:network_detail", args=[self.pk])

    @property
    def ip_network(self):
        return ipaddress.ip_network(self.cidr)

    def clean(self):
        errors = {}
        try:
            net = parse_network(self.cidr)
        except ValidationError as exc:
            raise ValidationError({"cidr": exc.messages}) from None
        self.cidr, self.version = str(net), net.version

        def inside(field):
            value = getattr(self, field)
            if not value:
                return None
            try:
                address = ipaddress.ip_address(value)
            except ValueError:
                errors[field] = _("Enter a valid IP address.")
                return None
            if address.version != net.version or address not in net:
                errors[field] = _("%(ip)s is not in %(net)s.") % {
                    "ip": value,
                    "net": net,
                }
                return None
            return address

        inside("gateway")
        start, end = inside("dhcp_start"), inside("dhcp_end")
        if bool(self.dhcp_start) != bool(self.dhcp_end) and not errors:
            errors["dhcp_end"] = _("Give both ends of the DHCP range, or neither.")
        if start is not None and end is not None and start > end:
            errors["dhcp_end"] = _("The DHCP range ends before it starts.")
        if not isinstance(self.dns_servers, list):
            errors["dns_servers"] = _("Enter a list of IP addresses.")
        else:
            for server in self.dns_servers:
                try:
                    ipaddress.ip_address(str(server))
                except ValueError:
                    errors["dns_servers"] = _("%(value)s is not an IP address.") % {
                        "value": server
                    }
                    break
        if self.company_id is not None and not errors:
            overlapping = [
                other
                for other in Network.objects.filter(
                    company_id=self.company_id, version=net.version
                )
                .exclude(pk=self.pk)
                .only("id", "name", "cidr")
                if ipaddress.ip_network(other.cidr).overlaps(net)
            ]
            if overlapping:
                errors["cidr"] = _(
                    "%(net)s overlaps network “%(other)s” of this company."
                ) % {"net": net, "other": overlapping[0]}
        if errors:
            raise ValidationError(errors)

    # Usable addresses, as integers: IPv4 drops the network and broadcast
    # addresses except on /31 and /32 (RFC 3021); IPv6 drops only the
    # subnet-router anycast address, as Python's hosts() does.
    def usable_bounds(self) -> tuple[int, int]:
        net = self.ip_network
        first, last = int(net.network_address), int(net.broadcast_address)
        if net.version == 4 and net.prefixlen < 31:
            return first + 1, last - 1
        if net.version == 6 and net.prefixlen < 127:
            return first + 1, last
        return first, last

    @property
    def usable_count(self) -> int:
        first, last = self.usable_bounds()
        return last - first + 1

    def address(self, value: int):
        if self.version == 4:
            return ipaddress.IPv4Address(value)
        return ipaddress.IPv6Address(value)

    def dhcp_bounds(self) -> tuple[int, int] | None:
        if not self.dhcp_start or not self.dhcp_end:
            return None
        return int(ipaddress.ip_address(self.dhcp_start)), int(
            ipaddress.ip_address(self.dhcp_end)
        )


class Host(TimeStampedModel):
    """One address in a network given to a device (optionally a known asset)."""

    network = models.ForeignKey(
        Network,
        verbose_name=_("network"),
        on_delete=models.CASCADE,
        related_name="hosts",
    )
    ip = models.GenericIPAddressField(_("IP address"))
    ip_key = models.CharField(max_length=32, editable=False, blank=True)
    hostname = models.CharField(_("hostname"), max_length=150, blank=True)
    mac = models.CharField(_("MAC address"), max_length=17, blank=True)
    asset = models.ForeignKey(
        "assets.Asset",
        verbose_name=_("asset"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hosts",
    )
    role = models.CharField(
        _("role"), max_length=20, choices=HostRole.choices, default=HostRole.OTHER
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = HostQuerySet.as_manager()

    class Meta:
        ordering = ["network", "ip_key"]
        verbose_name = _("host")
        verbose_name_plural = _("hosts")
        constraints = [
            models.UniqueConstraint(
                fields=["network", "ip_key"],
                name="%(app_label)s_%(class)s_ip_unique",
                violation_error_message=_("This address is already in use."),
            ),
            models.CheckConstraint(
                condition=Q(role__in=HostRole.values),
                name="%(app_label)s_%(class)s_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ip} {self.hostname}".strip()

    def save(self, *args, **kwargs):
        self.ip_key = ip_key(self.ip)
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.mac:
            try:
                self.mac = normalise_mac(self.mac)
            except ValidationError as exc:
                errors["mac"] = exc.messages
        if self.ip and self.network_id is not None:
            try:
                address = ipaddress.ip_address(self.ip)
            except ValueError:
                errors["ip"] = _("Enter a valid IP address.")
            else:
                network = self.network
                first, last = network.usable_bounds()
                if address.version != network.version or not (
                    first <= int(address) <= last
                ):
                    errors["ip"] = _("%(ip)s is not a usable address of %(net)s.") % {
                        "ip": self.ip,
                        "net": network.cidr,
                    }
                else:
                    self.ip = str(address)
                    self.ip_key = ip_key(address)
                    taken = Host.objects.filter(
                        network_id=self.network_id, ip_key=self.ip_key
                    ).exclude(pk=self.pk)
                    if taken.exists():
                        errors["ip"] = _("%(ip)s is already in use.") % {"ip": self.ip}
            if (
                self.asset_id is not None
                and self.asset.company_id != self.network.company_id
            ):
                errors["asset"] = _("The asset belongs to another company.")
        if errors:
            raise ValidationError(errors)
