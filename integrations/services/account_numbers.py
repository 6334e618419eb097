"""Account-number jobs: assign missing numbers in Freshservice, push them to Datto."""

from __future__ import annotations

import random

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from companies.choices import ACCOUNT_NUMBER_MAX, ACCOUNT_NUMBER_MIN
from companies.models import Company, IssuedAccountNumber, RmmSiteLink

from ..clients import (
    DattoRMMClient,
    FreshserviceClient,
    UpstreamError,
    UpstreamValidationError,
)
from .freshservice import upsert_company_from_department
from .mapping import (
    ACCOUNT_NUMBER_VARIABLE,
    DELETED_DEVICES_SITE,
    parse_account_number,
    site_account_number,
)
from .runs import FATAL_UPSTREAM_ERRORS, ProblemCollector

MIN_NAME_MATCH = 4
_random = random.SystemRandom()


def reserve_account_number(used: set[int]) -> int:
    """Draw an unused six-digit number and record it as issued, race-free.

    IssuedAccountNumber.number is unique, so two workers (or the companies app)
    can never hand out the same number; a number is never reused, even when the
    upstream write that was meant to carry it then fails.
    """
    span = ACCOUNT_NUMBER_MAX - ACCOUNT_NUMBER_MIN + 1
    start = _random.randrange(span)
    for attempt in range(span):
        # Random draws first; when the space is crowded, walk on from a random spot.
        offset = _random.randrange(span) if attempt < 50 else start + attempt
        number = ACCOUNT_NUMBER_MIN + offset % span
        if number in used:
            continue
        if Company.objects.filter(account_number=number).exists():
            used.add(number)
            continue
        try:
            with transaction.atomic():  # savepoint, so a clash leaves the caller usable
                IssuedAccountNumber.objects.create(number=number)
        except IntegrityError:
            used.add(number)
            continue
        used.add(number)
        return number
    raise RuntimeError("no free account number found")


def _department_payload(dept: dict, number: int) -> dict:
    """The whole department, as Freshservice's PUT requires all mandatory fields."""
    custom = {
        k: v for k, v in (dept.get("custom_fields") or {}).items() if v is not None
    }
    custom["account_number"] = int(number)  # a Number field: a string is refused
    payload = {"name": dept.get("name"), "custom_fields": custom}
    for key in ("description", "head_user_id", "prime_user_id"):
        if dept.get(key) is not None:
            payload[key] = dept[key]
    payload["domains"] = list(dept.get("domains") or [])
    return payload


def assign_account_numbers(
    recorder, client: FreshserviceClient, *, dry_run: bool = False
) -> None:
    """Give every Freshservice department without an account number a unique one.

    Per department: re-read it (GET), PUT the whole department with the new
    integer, re-read to verify, then bring the local company in step. A refused
    PUT is reported and the next department is tried.
    """
    departments = [d for page in client.iter_departments() for d in page]
    used = {
        n
        for d in departments
        if (
            n := parse_account_number(
                (d.get("custom_fields") or {}).get("account_number")
            )
        )
    }
    used |= set(Company.objects.values_list("account_number", flat=True))
    used |= set(IssuedAccountNumber.objects.values_list("number", flat=True))
    missing = [
        d
        for d in departments
        if parse_account_number((d.get("custom_fields") or {}).get("account_number"))
        is None
    ]
    recorder.add_total(len(missing))
    recorder.log(
        _("%(n)d departments, %(m)d without an account number")
        % {"n": len(departments), "m": len(missing)}
    )
    recorder.count("unchanged", len(departments) - len(missing))
    for dept in missing:
        dept_id, name = dept["id"], dept.get("name")
        try:
            fresh = client.department(dept_id)
            if parse_account_number(
                (fresh.get("custom_fields") or {}).get("account_number")
            ):
                recorder.log(_("%(name)s got a number meanwhile") % {"name": name})
                recorder.count("unchanged")
                continue
            if dry_run:
                recorder.log(_("Would assign a number to %(name)s") % {"name": name})
                recorder.count("updated")
                continue
            number = reserve_account_number(used)
            client.update_department(dept_id, _department_payload(fresh, number))
            check = client.department(dept_id)
            stored = parse_account_number(
                (check.get("custom_fields") or {}).get("account_number")
            )
            if stored != number:
                recorder.fail(
                    _("%(name)s: Freshservice shows %(got)s after writing %(n)s")
                    % {"name": name, "got": stored, "n": number},
                    upstream_id=dept_id,
                )
                continue
        except FATAL_UPSTREAM_ERRORS:
            raise
        except UpstreamValidationError as exc:
            recorder.fail(
                _("%(name)s: Freshservice refused the update: %(error)s")
                % {"name": name, "error": exc},
                upstream_id=dept_id,
            )
            continue
        except UpstreamError as exc:
            recorder.fail(
                _("%(name)s: %(error)s") % {"name": name, "error": exc},
                upstream_id=dept_id,
            )
            continue
        finally:
            recorder.advance()
        recorder.log(_("%(name)s → %(n)s") % {"name": name, "n": number})
        recorder.count("updated")
        # Keep the local company in step; its counts are not this job's counts.
        local = ProblemCollector()
        upsert_company_from_department(check, local, dry_run=False)
        for message in local.errors:
            recorder.error(message, upstream_id=dept_id)


def _match_by_name(site_name: str, companies: list[dict]) -> dict | None:
    """The company whose name is the longest substring of the site name (unique)."""
    lowered = site_name.lower()
    best: list[dict] = []
    for company in companies:
        name = company["name"].strip().lower()
        if len(name) < MIN_NAME_MATCH or name not in lowered:
            continue
        if not best or len(name) > len(best[0]["name"].strip()):
            best = [company]
        elif len(name) == len(best[0]["name"].strip()):
            best.append(company)
    return best[0] if len(best) == 1 else None


def push_account_numbers_to_datto(
    recorder, client: DattoRMMClient, *, dry_run: bool = False
) -> None:
    """Write each site's AccountNumber variable: create, update when different, skip equal.

    A site maps to a company by its link (made by the Datto sync), else by the
    value already in the variable, else by name; unmapped sites are reported.
    """
    companies = list(Company.objects.values("id", "name", "account_number"))
    by_id = {c["id"]: c for c in companies}
    by_number = {c["account_number"]: c for c in companies}
    links = dict(RmmSiteLink.objects.values_list("site_uid", "company_id"))
    sites = list(client.iter_sites())
    recorder.add_total(len(sites))
    for site in sites:
        uid, name = site["uid"], str(site.get("name") or "")
        try:
            if name == DELETED_DEVICES_SITE:
                recorder.count("skipped")
                continue
            variables = client.site_variables(uid)
            variable, current = site_account_number(variables)
            company = by_id.get(links.get(uid))
            if company is None and current in by_number:
                company = by_number[current]
            if company is None:
                company = _match_by_name(name, companies)
            if company is None:
                recorder.warn(
                    _("Site %(site)s matches no company; not changed.")
                    % {"site": name},
                    upstream_id=uid,
                )
                recorder.count("skipped")
                continue
            wanted = str(company["account_number"])
            if variable is not None and str(variable.get("value")) == wanted:
                recorder.count("unchanged")
                continue
            if variable is None:
                recorder.log(
                    _("%(site)s: create AccountNumber %(n)s")
                    % {"site": name, "n": wanted}
                )
                if not dry_run:
                    client.create_site_variable(uid, ACCOUNT_NUMBER_VARIABLE, wanted)
                recorder.count("created")
            else:
                recorder.log(
                    _("%(site)s: update AccountNumber %(old)s → %(n)s")
                    % {"site": name, "old": variable.get("value"), "n": wanted}
                )
                if not dry_run:
                    client.update_site_variable(
                        uid, int(variable["id"]), ACCOUNT_NUMBER_VARIABLE, wanted
                    )
                recorder.count("updated")
        except FATAL_UPSTREAM_ERRORS:
            raise
        except UpstreamError as exc:
            # Unlike the original, an error never counts as "already set".
            recorder.fail(
                _("Site %(site)s: %(error)s") % {"site": name, "error": exc},
                upstream_id=uid,
            )
        finally:
            recorder.advance()
