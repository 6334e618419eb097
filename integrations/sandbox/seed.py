"""Deterministic seed data for both sandbox upstreams, with the tricky cases of §5.

The same `seed` and sizes always give the same companies, sites, devices and
requesters, so tests can name them and the bench can repeat itself.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

FIRST = [
    "Acme", "Harbor", "Summit", "Blue Ridge", "Pioneer", "Cedar", "Granite", "Lakeside",
    "Northstar", "Redwood", "Silver Oak", "Riverside", "Golden Gate", "Maple", "Oakmont",
    "Pinecrest", "Sunrise", "Westfield", "Evergreen", "Highland", "Ironwood", "Juniper",
    "Keystone", "Lighthouse", "Meadow", "Orchard", "Prairie", "Quarry", "Sterling", "Willow",
]  # fmt: skip
SECOND = [
    "Dental", "Logistics", "Law Group", "Bakery", "Clinic", "Builders", "Accounting",
    "Realty", "Veterinary", "Print Shop", "Engineering", "Insurance", "Pharmacy",
    "Architects", "Auto Repair", "Foods", "Studios", "Consulting", "Academy", "Hotel",
]  # fmt: skip
PEOPLE_FIRST = [
    "Ana", "Ben", "Chloe", "Dimitris", "Eleni", "Frank", "Grace", "Hector", "Ioanna",
    "Jack", "Katerina", "Liam", "Maria", "Nikos", "Olivia", "Petros", "Quinn", "Rosa",
    "Sofia", "Tom", "Uma", "Victor", "Wendy", "Xenia", "Yannis", "Zoe",
]  # fmt: skip
PEOPLE_LAST = [
    "Lopez", "Smith", "Papadopoulos", "Brown", "Georgiou", "Miller", "Nikolaou",
    "Wilson", "Ioannou", "Taylor", "Clark", "Dimitriou", "Lee", "Walker", "Hall",
]  # fmt: skip
JOB_TITLES = ["Office Manager", "Owner", "Receptionist", "Accountant", "Technician", ""]
OPERATING_SYSTEMS = [
    "Microsoft Windows 11 Pro 23H2",
    "Microsoft Windows 10 Pro 22H2",
    "Microsoft Windows Server 2022 Standard",
    "macOS Sonoma 14.5",
]
AV_STATUSES = [
    "RunningAndUpToDate",
    "RunningAndNotUpToDate",
    "NotRunning",
    "NotDetected",
]
PATCH_STATUSES = [
    "NoPolicy", "NoData", "RebootRequired", "InstallError", "ApprovedPending",
    "FullyPatched",
]  # fmt: skip
CUSTOM_FIELDS = (
    "account_number",
    "plan_selected",
    "profit_or_non_profit",
    "company_main_number",
    "company_start_date",
    "address",
    "contract_term",
    "contract_start_date",
    "contract_end_date",
    "phone_system",
    "email_system",
    "managed_users",
    "managed_devices",
    "managed_network",
    "datto_portal_url",
    "support_level",
)
NUMBER_FIELDS = frozenset({"account_number"})
UDF_COUNT = 30
NOW_MS = 1_790_000_000_000  # a fixed "now" (2026-09) keeps the data deterministic
DELETED_DEVICES = "Deleted Devices"
ACCOUNT_UID = "ab1c0002"


@dataclass
class World:
    """Everything both fakes serve: departments/requesters and sites/devices."""

    departments: list[dict] = field(default_factory=list)
    requesters: list[dict] = field(default_factory=list)
    sites: list[dict] = field(default_factory=list)
    devices: list[dict] = field(default_factory=list)  # each has "siteUid"
    variables: dict[str, list[dict]] = field(default_factory=dict)
    agents: list[dict] = field(default_factory=list)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _company_names(count: int) -> list[str]:
    names = [f"{a} {b}" for b in SECOND for a in FIRST]
    out = names[:count]
    n = 2
    while len(out) < count:
        out.extend(f"{name} {n}" for name in names[: count - len(out)])
        n += 1
    return out


def _department(rng, dept_id: int, name: str, account_number: int | None) -> dict:
    custom = dict.fromkeys(CUSTOM_FIELDS)
    custom.update(
        account_number=account_number,
        plan_selected=rng.choice(["Gold", "Silver", "Bronze"]),
        profit_or_non_profit=rng.choice(["Profit", "Non-Profit"]),
        company_main_number=f"555-{rng.randint(1000, 9999)}",
        company_start_date=f"20{rng.randint(15, 24)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        address=f"{rng.randint(1, 300)} Main St, Springfield" if rng.random() < 0.8 else None,
        contract_term=rng.choice(["12 months", "24 months", None]),
        managed_users=str(rng.randint(3, 80)),
        phone_system=rng.choice(["Teams", "RingCentral", None]),
        email_system=rng.choice(["Microsoft 365", "Google Workspace"]),
    )  # fmt: skip
    return {
        "id": dept_id,
        "name": name,
        "description": f"{name} — client since {custom['company_start_date'][:4]}",
        "head_user_id": None,
        "head_name": rng.choice(PEOPLE_FIRST) + " " + rng.choice(PEOPLE_LAST),
        "prime_user_id": None,
        "prime_user_name": rng.choice(PEOPLE_FIRST) + " " + rng.choice(PEOPLE_LAST),
        "domains": [name.lower().replace(" ", "") + ".example"],
        "workspace_id": 2,
        "custom_fields": custom,
        "created_at": "2022-08-29T14:17:32Z",
        "updated_at": "2025-09-01T10:00:00Z",
    }


def _site(rng, site_id: int, name: str, *, system: bool = False) -> dict:
    uid = _uuid(rng)
    return {
        "id": site_id,
        "uid": uid,
        "accountUid": ACCOUNT_UID,
        "name": name,
        "description": "" if system else f"Site of {name}",
        "notes": "",
        "onDemand": False,
        "splashtopAutoInstall": False,
        "proxySettings": None,
        "autotaskCompanyName": None,
        "autotaskCompanyId": None,
        "portalUrl": f"https://merlot.centrastage.net/csm/site/{site_id}",
    }


def make_device(
    rng,
    device_id: int,
    site: dict,
    hostname: str,
    *,
    category: str = "Desktop",
    device_class: str = "device",
    deleted: bool = False,
) -> dict:
    udf = {f"udf{i}": None for i in range(1, UDF_COUNT + 1)}
    if category == "Server":
        udf["udf6"] = str(rng.randint(1, 5000) * 1024**3)
        udf["udf7"] = "VM" if rng.random() < 0.5 else None
    udf["udf4"] = rng.choice(["Administrator", "Administrator, itadmin", None])
    last_seen = NOW_MS - rng.randint(0, 30 * 86400) * 1000
    return {
        "id": device_id,
        "uid": _uuid(rng),
        "siteId": site["id"],
        "siteUid": site["uid"],
        "siteName": site["name"],
        "deviceType": {
            "category": category,
            "type": "Main System Chassis" if category == "Server" else category,
        },
        "hostname": hostname,
        "intIpAddress": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "operatingSystem": rng.choice(OPERATING_SYSTEMS),
        "lastLoggedInUser": f"CORP\\{rng.choice(PEOPLE_FIRST).lower()}",
        "domain": "CORP",
        "cagVersion": "4.4.2200",
        "displayVersion": "4.4.2200",
        "extIpAddress": f"203.0.113.{rng.randint(1, 254)}",
        "description": rng.choice(["Front desk", "Back office", "", "Server room"]),
        "a64Bit": True,
        "rebootRequired": rng.random() < 0.1,
        "online": rng.random() < 0.7,
        "suspended": False,
        "deleted": deleted,
        "lastSeen": last_seen,
        "lastReboot": last_seen - rng.randint(1, 20) * 86400000 if rng.random() < 0.9 else None,
        "lastAuditDate": last_seen - rng.randint(0, 3) * 3600000,
        "creationDate": 1_690_000_000_000 + rng.randint(0, 10**9),
        "udf": udf,
        "snmpEnabled": device_class != "device",
        "deviceClass": device_class,
        "portalUrl": f"https://merlot.centrastage.net/csm/device/{device_id}",
        "warrantyDate": f"20{rng.randint(25, 30)}-0{rng.randint(1, 9)}-2{rng.randint(0, 8)}" if rng.random() < 0.6 else None,
        "antivirus": {
            "antivirusProduct": rng.choice(["Windows Defender", "SentinelOne", "Sophos"]),
            "antivirusStatus": rng.choice(AV_STATUSES),
        },
        "patchManagement": {
            "patchStatus": rng.choice(PATCH_STATUSES),
            "patchesApprovedPending": rng.randint(0, 5),
            "patchesNotApproved": rng.randint(0, 5),
            "patchesInstalled": rng.randint(50, 300),
        },
        "softwareStatus": "Compliant",
        "webRemoteUrl": f"https://merlot.centrastage.net/csm/remote/{device_id}",
        "networkProbe": False,
        "onboardedViaNetworkMonitor": False,
    }  # fmt: skip


def build_world(
    *,
    seed: int = 7,
    sites: int = 25,
    devices_per_site: int = 8,
    requesters: int = 120,
    tricky: bool = True,
) -> World:
    """Departments = companies (one Datto site each), devices and requesters.

    With `tricky` (needs sites >= 6) the world also holds: a second site sharing
    company 1's AccountNumber; the last company's site without an AccountNumber
    variable (its name contains the company name, for the push job); a site no
    company matches; the "Deleted Devices" system site; two departments without
    an account number; two departments with the same name; duplicate hostnames
    within and across sites; a printer and an ESXi host; requesters without an
    e-mail, inactive ones and ones in departments without an account number.
    """
    rng = random.Random(seed)
    world = World()
    names = _company_names(sites)
    numbers = rng.sample(range(100000, 1000000), sites + 4)
    site_id = 1000
    device_id = 50000
    for index, name in enumerate(names):
        dept_id = 21000097759 + index * 1013
        world.departments.append(_department(rng, dept_id, name, numbers[index]))
        site_id += 1
        site = _site(rng, site_id, f"{name} - Main")
        world.sites.append(site)
        variable_value = str(numbers[index])
        if tricky and index == len(names) - 1:
            site["name"] = f"{name} - HQ"
            world.variables[site["uid"]] = []
        else:
            world.variables[site["uid"]] = [
                {"id": 9000 + index, "name": "AccountNumber", "value": variable_value,
                 "masked": False}
            ]  # fmt: skip
        code = "".join(word[0] for word in name.split()).upper() + str(index)
        for j in range(devices_per_site):
            device_id += 1
            if j == 0:
                hostname, category = "SERVER01", "Server"
            else:
                hostname, category = f"{code}-WS-{j:02d}", "Desktop"
            world.devices.append(
                make_device(rng, device_id, site, hostname, category=category)
            )
    if tricky and sites >= 6:
        first = world.sites[0]
        for hostname, klass, category in (
            ("FRONTDESK", "device", "Desktop"),
            ("FRONTDESK", "device", "Laptop"),
            ("PRN-LOBBY", "printer", "Printer"),
            ("ESXI-01", "esxihost", "ESXi Host"),
        ):
            device_id += 1
            world.devices.append(
                make_device(
                    rng, device_id, first, hostname, category=category,
                    device_class=klass,
                )
            )  # fmt: skip
        # A second site of company 1, sharing its AccountNumber.
        site_id += 1
        branch = _site(rng, site_id, f"{names[1]} - Branch")
        world.sites.append(branch)
        world.variables[branch["uid"]] = [
            {"id": 8001, "name": "AccountNumber", "value": str(numbers[1]),
             "masked": False}
        ]  # fmt: skip
        for j in range(3):
            device_id += 1
            world.devices.append(
                make_device(rng, device_id, branch, f"BRANCH-WS-{j:02d}")
            )
        # A site no company matches, without a variable.
        site_id += 1
        lab = _site(rng, site_id, "Unmapped Lab")
        world.sites.append(lab)
        world.variables[lab["uid"]] = []
        device_id += 1
        world.devices.append(make_device(rng, device_id, lab, "LAB-01"))
        # The system site holding deleted devices.
        site_id += 1
        deleted = _site(rng, site_id, DELETED_DEVICES, system=True)
        world.sites.append(deleted)
        world.variables[deleted["uid"]] = []
        for j in range(2):
            device_id += 1
            world.devices.append(
                make_device(rng, device_id, deleted, f"OLD-PC-{j}", deleted=True)
            )
        # Departments without an account number, and a duplicate name.
        for offset, name in enumerate(("Northwind Startup", "Fresh Ventures")):
            world.departments.append(_department(rng, 21000990001 + offset, name, None))
        dup = _department(rng, 21000990011, names[2], numbers[sites])
        world.departments.append(dup)

    dept_ids = [d["id"] for d in world.departments]
    for index in range(requesters):
        first = PEOPLE_FIRST[index % len(PEOPLE_FIRST)]
        last = PEOPLE_LAST[(index // len(PEOPLE_FIRST)) % len(PEOPLE_LAST)]
        dept = dept_ids[index % max(1, sites)]
        email = f"{first.lower()}.{last.lower()}.{index}@example.com"
        requester = {
            "id": 21000533333 + index * 7,
            "is_agent": False,
            "first_name": first,
            "last_name": last,
            "job_title": rng.choice(JOB_TITLES),
            "primary_email": email,
            "secondary_emails": [],
            "work_phone_number": f"555-{rng.randint(1000, 9999)}",
            "mobile_phone_number": rng.choice([None, f"69{rng.randint(10**7, 10**8 - 1)}"]),
            "department_ids": [dept],
            "can_see_all_tickets_from_associated_departments": False,
            "reporting_manager_id": None,
            "address": None,
            "time_zone": "Athens",
            "time_format": "24h",
            "language": "en",
            "location_id": None,
            "background_information": "",
            "custom_fields": {"user_number": None},
            "active": True,
            "has_logged_in": rng.random() < 0.5,
            "external_id": None,
            "created_at": "2023-01-05T17:00:00Z",
            "updated_at": "2025-08-30T09:12:00Z",
        }  # fmt: skip
        if tricky:
            if index % 17 == 3:
                requester["primary_email"] = None
            elif index % 13 == 5:
                requester["active"] = False
            elif index % 11 == 7:
                alias = f"{first.lower()}@alias.example"
                requester["secondary_emails"] = [alias, alias]
            if index % 19 == 9 and sites >= 6:
                requester["department_ids"] = [21000990001]
        world.requesters.append(requester)
    world.agents.append(
        {"id": 21000000001, "first_name": "Sandbox", "last_name": "Agent",
         "email": "agent@sandbox.example", "active": True, "occasional": False,
         "department_ids": [], "job_title": "Admin"}
    )  # fmt: skip
    return world
