"""Demo assets (~40), software and licences for the demo client companies.

Idempotent: assets are found by their (demo) RMM device uid, software by name and
version, licences by software and company, seats by licence and asset.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

SOFTWARE = [
    (
        "Microsoft 365 Business Standard",
        "2024",
        "Productivity",
        12,
        "XQ4D2-M365B-7TT9K-PLM3R",
    ),
    ("ESET PROTECT Entry", "11", "Security", 10, "ESET-8K2P-QQ7D-ZZ91"),
    ("Adobe Acrobat Pro", "2024", "Documents", 3, "ADBE-1111-2222-3333-4444"),
]
MODELS = [
    ("Dell", "OptiPlex 7010", "Desktop", "Microsoft Windows 11 Pro"),
    ("Lenovo", "ThinkPad T14", "Laptop", "Microsoft Windows 11 Pro"),
    ("HP", "ProDesk 400 G9", "Desktop", "Microsoft Windows 10 Pro"),
    ("Dell", "PowerEdge T350", "Server", "Windows Server 2022 Standard"),
    ("Synology", "DS923+", "NAS", "DSM 7.2"),
]
ASSETS_PER_COMPANY = 5
MAX_COMPANIES = 8


@transaction.atomic
def load(stdout=None) -> None:
    from companies.models import Company
    from contacts.models import Contact

    from .choices import AssetStatus
    from .models import Asset, Licence, LicenceAssignment, Software
    from .services import assign_licence_seat

    now = timezone.now()
    today = timezone.localdate()
    vendor = Company.objects.suppliers().order_by("name").first()
    software = []
    for name, version, category, _seats, _key in SOFTWARE:
        product, _ = Software.objects.get_or_create(
            name=name,
            version=version,
            defaults={"category": category, "vendor": vendor},
        )
        software.append(product)

    companies = list(
        Company.objects.clients().order_by("account_number")[:MAX_COMPANIES]
    )
    created = 0
    for c_index, company in enumerate(companies):
        prefix = "".join(word[0] for word in company.name.split()[:3]).upper() or "CL"
        assets = []
        for n in range(ASSETS_PER_COMPANY):
            maker, model, kind, system = MODELS[(c_index + n) % len(MODELS)]
            # Some devices are offline for a while and some warranties run out
            # soon, so the dashboard's lists have something to show.
            offline_days = 10 if n == 4 else 0
            asset, was_created = Asset.objects.get_or_create(
                rmm_device_uid=f"demo-{company.account_number}-{n}",
                defaults={
                    "company": company,
                    "location": company.locations.order_by("name").first(),
                    "hostname": f"{prefix}-{kind[:2].upper()}{n + 1:02d}",
                    "name": f"{model} ({kind.lower()})",
                    "manufacturer": maker,
                    "model": model,
                    "hardware_type": kind,
                    "operating_system": system,
                    "serial_number": f"SN{company.account_number}{n:03d}",
                    "online": offline_days == 0,
                    "last_seen": now - timedelta(days=offline_days, minutes=7 * n),
                    "last_reboot": now - timedelta(days=3 + n),
                    "last_audit": now - timedelta(days=1),
                    "warranty_expires": today
                    + timedelta(days=20 if n == 1 else 400 + 90 * n),
                    "status": AssetStatus.IN_USE if n != 3 else AssetStatus.IN_STOCK,
                    "antivirus_product": "ESET Endpoint Security",
                    "antivirus_status": "RunningAndUpToDate",
                    "patch_status": "FullyPatched" if n % 2 else "InstallError",
                    "int_ip_address": f"192.168.{c_index + 1}.{10 + n}",
                    "backup_usage_tb": Decimal("0.25") * (n + 1),
                },
            )
            created += was_created
            assets.append(asset)
        contact = Contact.objects.filter(companies=company).order_by("email").first()
        if contact is not None:
            contact.assets.add(assets[0])
            Asset.objects.filter(pk=assets[0].pk, assigned_contact__isnull=True).update(
                assigned_contact=contact
            )
        for s_index, (product, spec) in enumerate(zip(software, SOFTWARE, strict=True)):
            if (c_index + s_index) % 3 == 2:
                continue
            licence, _ = Licence.objects.get_or_create(
                software=product,
                company=company,
                defaults={
                    "licence_key": spec[4],
                    "seats": min(spec[3], ASSETS_PER_COMPANY - 1),
                    "purchase_date": today - timedelta(days=300),
                    "expires_on": today + timedelta(days=25 if s_index == 2 else 65),
                    "cost": Decimal("120.00") * (s_index + 1),
                },
            )
            for asset in assets[: licence.seats]:
                if not LicenceAssignment.objects.filter(
                    licence=licence, asset=asset
                ).exists():
                    assign_licence_seat(licence, asset=asset)
    if stdout is not None:
        stdout.write(f"  assets: {created} created for {len(companies)} companies")


# Networks and fleet monitoring (issue 9): two networks per demo company, a host
# per demo asset, and an agent with recent telemetry on two assets each.
# Idempotent: networks by (company, CIDR), hosts by (network, address), agents by
# (company, hostname); telemetry is only added when an agent is created.
_NETWORKS_LOAD = load


def _load_networks_and_fleet(stdout=None) -> None:
    import ipaddress

    from companies.models import Company

    from .fleet import create_enrolment_token, enrol_agent, ingest_telemetry
    from .fleet_models import Agent
    from .network_models import Host, Network
    from .networks import save_network

    companies = list(
        Company.objects.clients().order_by("account_number")[:MAX_COMPANIES]
    )
    networks = agents = 0
    for c_index, company in enumerate(companies):
        lan_cidr = f"192.168.{c_index + 1}.0/24"
        specs = [
            (
                "Office LAN",
                lan_cidr,
                {
                    "gateway": f"192.168.{c_index + 1}.1",
                    "dhcp_start": f"192.168.{c_index + 1}.100",
                    "dhcp_end": f"192.168.{c_index + 1}.199",
                    "dns_servers": [f"192.168.{c_index + 1}.2", "1.1.1.1"],
                    "vlan": 10,
                },
            ),
            ("Servers", f"10.{c_index + 1}.0.0/24", {"vlan": 20}),
        ]
        for name, cidr, fields in specs:
            if Network.objects.filter(company=company, cidr=cidr).exists():
                continue
            save_network(
                Network(
                    company=company,
                    location=company.locations.order_by("name").first(),
                    name=name,
                    cidr=cidr,
                    **fields,
                )
            )
            networks += 1
        lan = Network.objects.get(company=company, cidr=lan_cidr)
        subnet = ipaddress.ip_network(lan_cidr)
        for asset in company.assets.order_by("id"):
            try:
                address = ipaddress.ip_address(asset.int_ip_address)
            except ValueError:
                continue
            if (
                address in subnet
                and not Host.objects.filter(network=lan, ip=str(address)).exists()
            ):
                Host.objects.create(
                    network=lan,
                    ip=str(address),
                    hostname=asset.hostname.lower(),
                    asset=asset,
                    role="server" if asset.hardware_type == "Server" else "workstation",
                )
        for n, asset in enumerate(company.assets.order_by("id")[:2]):
            if Agent.objects.filter(company=company, hostname=asset.hostname).exists():
                continue
            _token, raw = create_enrolment_token(company, name="Demo enrolment")
            agent, _key = enrol_agent(
                raw, hostname=asset.hostname, serial=asset.serial_number
            )
            ingest_telemetry(
                agent,
                {
                    "hostname": asset.hostname,
                    "operating_system": asset.operating_system,
                    "uptime_seconds": 86400 * (n + 1),
                    "cpu_percent": 12.0 + 30 * n,
                    "memory_percent": 48.0,
                    "disk_percent": 93.0 if (c_index + n) % 5 == 0 else 61.0,
                    "logged_in_user": "demo",
                    "ip_addresses": [asset.int_ip_address]
                    if asset.int_ip_address
                    else [],
                },
            )
            agents += 1
    if stdout is not None:
        stdout.write(f"  networks: {networks} created; fleet agents: {agents} created")


# Extends the inventory demo above (load_demo calls `load`).
@transaction.atomic
def load(stdout=None) -> None:
    _NETWORKS_LOAD(stdout=stdout)
    _load_networks_and_fleet(stdout=stdout)
