"""Pure mappings from upstream objects to Nexus field values (no database access)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from companies.choices import ACCOUNT_NUMBER_MAX, ACCOUNT_NUMBER_MIN, ProfitType

DELETED_DEVICES_SITE = "Deleted Devices"
ACCOUNT_NUMBER_VARIABLE = "AccountNumber"
MAIN_OFFICE = "Main Office"
TB = Decimal(1024**4)


def clip(value, length: int) -> str:
    if value is None:
        return ""
    return str(value).strip()[:length]


def parse_timestamp(value) -> datetime | None:
    """Datto sends epoch milliseconds or ISO-8601 strings; both become aware UTC.

    A number below 10^11 is taken as seconds (10^11 ms is 1973, 10^11 s is year 5138).
    """
    if value in (None, ""):
        return None
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
        value = float(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) >= 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def parse_date(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def parse_account_number(value) -> int | None:
    """A six-digit integer (Freshservice stores a Number, Datto a string)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if ACCOUNT_NUMBER_MIN <= number <= ACCOUNT_NUMBER_MAX else None


def url_or_blank(value, length: int) -> str:
    """An http(s) URL as sent, or "" (a cheap check: this runs twice per device)."""
    value = clip(value, length)
    if not value.lower().startswith(("http://", "https://")) or any(
        ch.isspace() for ch in value
    ):
        return ""
    return value


def bytes_to_tb(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return (Decimal(str(value)) / TB).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    except (InvalidOperation, ValueError):
        return None


def profit_type(value) -> str:
    text = re.sub(r"[^a-z]", "", str(value or "").lower())
    if text.startswith("non"):
        return ProfitType.NON_PROFIT
    if text == "profit":
        return ProfitType.PROFIT
    return ""


def department_fields(dept: dict) -> dict:
    """Company fields from a Freshservice department (MSP mode: a client)."""
    custom = dept.get("custom_fields") or {}
    start, end = (
        parse_date(custom.get("contract_start_date")),
        parse_date(custom.get("contract_end_date")),
    )
    if start and end and end < start:
        end = None
    return {
        "name": clip(dept.get("name"), 200) or f"Department {dept.get('id')}",
        "description": clip(dept.get("description"), 10000),
        "freshservice_id": int(dept["id"]),
        "profit_type": profit_type(custom.get("profit_or_non_profit")),
        "main_phone": clip(custom.get("company_main_number"), 50),
        "start_date": parse_date(custom.get("company_start_date")),
        "head_name": clip(dept.get("head_name"), 150),
        "primary_contact_name": clip(dept.get("prime_user_name"), 150),
        "domains": [str(d) for d in dept.get("domains") or []],
        "address": clip(custom.get("address"), 2000),
        "contract_term": clip(custom.get("contract_term"), 100),
        "contract_start": start,
        "contract_end": end,
        "phone_system": clip(custom.get("phone_system"), 150),
        "email_system": clip(custom.get("email_system"), 150),
        "managed_users": clip(custom.get("managed_users"), 100),
        "managed_devices": clip(custom.get("managed_devices"), 100),
        "managed_network": clip(custom.get("managed_network"), 100),
        "portal_url": url_or_blank(custom.get("datto_portal_url"), 300),
    }


def requester_email(requester: dict) -> str | None:
    email = clip(requester.get("primary_email"), 254).lower()
    if not email:
        return None
    try:
        validate_email(email)
    except ValidationError:
        return None
    return email


def requester_fields(requester: dict, email: str) -> dict:
    """Contact fields from a Freshservice requester."""
    name = " ".join(
        part
        for part in (
            clip(requester.get("first_name"), 100),
            clip(requester.get("last_name"), 100),
        )
        if part
    )
    secondary: list[str] = []
    for value in requester.get("secondary_emails") or []:
        value = clip(value, 254).lower()
        if value and value != email and value not in secondary:
            secondary.append(value)
    return {
        "name": name[:200] or email,
        "email": email,
        "secondary_emails": secondary,
        "title": clip(requester.get("job_title"), 150),
        "active": bool(requester.get("active", True)),
        "work_phone": clip(requester.get("work_phone_number"), 50),
        "mobile_phone": clip(requester.get("mobile_phone_number"), 50),
        "freshservice_id": int(requester["id"]),
    }


def device_fields(device: dict, *, site_name: str) -> dict:
    """Asset fields from a Datto device (§1.5 of the reference, plus status fields)."""
    udf = device.get("udf") or {}
    antivirus = device.get("antivirus") or {}
    patches = device.get("patchManagement") or {}
    kind = device.get("deviceType") or {}
    return {
        "hostname": clip(device.get("hostname"), 150),
        "site_name": clip(site_name or device.get("siteName"), 200),
        "operating_system": clip(device.get("operatingSystem"), 200),
        "last_logged_in_user": clip(device.get("lastLoggedInUser"), 150),
        "hardware_type": clip(kind.get("category"), 100),
        "antivirus_product": clip(antivirus.get("antivirusProduct"), 150),
        "antivirus_status": clip(antivirus.get("antivirusStatus"), 100),
        "description": clip(device.get("description"), 10000),
        "ext_ip_address": clip(device.get("extIpAddress"), 100),
        "int_ip_address": clip(device.get("intIpAddress"), 100),
        "domain": clip(device.get("domain"), 150),
        "last_audit": parse_timestamp(device.get("lastAuditDate")),
        "last_reboot": parse_timestamp(device.get("lastReboot")),
        "last_seen": parse_timestamp(device.get("lastSeen")),
        "online": bool(device.get("online")),
        "patch_status": clip(patches.get("patchStatus"), 100),
        "backup_usage_tb": bytes_to_tb(udf.get("udf6")),
        "enabled_administrators": clip(udf.get("udf4"), 10000),
        "device_type": clip(udf.get("udf7"), 100),
        "portal_url": url_or_blank(device.get("portalUrl"), 500),
        "web_remote_url": url_or_blank(device.get("webRemoteUrl"), 500),
        "warranty_expires": parse_date(device.get("warrantyDate")),
        "udfs": {k: v for k, v in udf.items() if v not in (None, "")},
    }


def site_account_number(variables: list[dict]) -> tuple[dict | None, int | None]:
    """The AccountNumber variable of a site and its parsed value."""
    for variable in variables:
        if str(variable.get("name") or "").strip() == ACCOUNT_NUMBER_VARIABLE:
            return variable, parse_account_number(variable.get("value"))
    return None, None
