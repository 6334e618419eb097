"""Freshservice → Nexus: departments become companies, requesters become contacts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from companies.choices import CompanyKind
from companies.models import Company, IssuedAccountNumber, Location, Plan
from contacts.models import Contact

from ..clients import FreshserviceClient
from .mapping import (
    MAIN_OFFICE,
    department_fields,
    parse_account_number,
    requester_email,
    requester_fields,
)

CHANGE_REASON = "Freshservice sync"
CONTACT_FIELDS = (
    "name",
    "email",
    "secondary_emails",
    "title",
    "active",
    "work_phone",
    "mobile_phone",
    "freshservice_id",
)


def _message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


class PlanCache:
    def __init__(self, *, dry_run: bool):
        self.dry_run = dry_run
        self.by_name = {p.name.lower(): p for p in Plan.objects.all()}

    def get(self, name) -> Plan | None:
        name = str(name or "").strip()[:100]
        if not name:
            return None
        plan = self.by_name.get(name.lower())
        if plan is None and not self.dry_run:
            plan = Plan.objects.create(name=name)
            self.by_name[name.lower()] = plan
        return plan


def upsert_company_from_department(
    dept: dict, recorder, *, dry_run: bool, plans: PlanCache | None = None
) -> int | None:
    """Create or update the company of one department; returns its id (or None).

    Matched by Freshservice id, then by account number; the account number in
    Freshservice wins (it is where the number lives), unless another company
    already holds it. A department without a number is reported and skipped.
    Uniqueness is checked here (and backed by the unique constraints), so
    full_clean() skips its one-query-per-constraint checks.
    """
    plans = plans or PlanCache(dry_run=dry_run)
    dept_id = dept.get("id")
    fields = department_fields(dept)
    number = parse_account_number(
        (dept.get("custom_fields") or {}).get("account_number")
    )
    company = Company.objects.filter(freshservice_id=fields["freshservice_id"]).first()
    if company is None and number is not None:
        company = Company.objects.filter(account_number=number).first()
        if company is not None and company.freshservice_id not in (
            None,
            fields["freshservice_id"],
        ):
            recorder.fail(
                _(
                    "Account number %(n)s of %(dept)s already belongs to department %(other)s."
                )
                % {
                    "n": number,
                    "dept": fields["name"],
                    "other": company.freshservice_id,
                },
                upstream_id=dept_id,
            )
            return None
    plan_name = (dept.get("custom_fields") or {}).get("plan_selected")
    if company is None:
        if number is None:
            recorder.warn(
                _("Department %(dept)s has no account number; not synced (run the "
                  "account-number job).") % {"dept": fields["name"]},
                upstream_id=dept_id,
            )  # fmt: skip
            recorder.count("skipped")
            return None
        company = Company(**fields, account_number=number, kind=CompanyKind.CLIENT)
        company.plan = plans.get(plan_name)
        try:
            company.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            recorder.fail(
                _("%(dept)s: %(error)s")
                % {"dept": fields["name"], "error": _message(exc)},
                upstream_id=dept_id,
            )
            return None
        recorder.count("created")
        if dry_run:
            return -int(dept_id)  # a stand-in id, never written anywhere
        with transaction.atomic():
            company._change_reason = CHANGE_REASON
            company.save()
            IssuedAccountNumber.objects.get_or_create(number=number)
            _sync_main_office(company)
        return company.pk

    if number is not None and number != company.account_number:
        if (
            Company.objects.filter(account_number=number)
            .exclude(pk=company.pk)
            .exists()
        ):
            recorder.fail(
                _("%(dept)s: account number %(n)s is already used by another company.")
                % {"dept": fields["name"], "n": number},
                upstream_id=dept_id,
            )
            return company.pk
        fields["account_number"] = number
    plan = plans.get(plan_name)
    if plan is not None or not plan_name:
        fields["plan"] = plan
    changed = [
        name for name, value in fields.items() if getattr(company, name) != value
    ]
    if not changed:
        recorder.count("unchanged")
        if not dry_run:
            _sync_main_office(company)
        return company.pk
    for name in changed:
        setattr(company, name, fields[name])
    try:
        company.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        recorder.fail(
            _("%(dept)s: %(error)s") % {"dept": fields["name"], "error": _message(exc)},
            upstream_id=dept_id,
        )
        return company.pk
    recorder.count("updated")
    if not dry_run:
        with transaction.atomic():
            company._change_reason = CHANGE_REASON
            company.save()
            if "account_number" in changed:
                IssuedAccountNumber.objects.get_or_create(number=company.account_number)
            _sync_main_office(company)
    return company.pk


def _sync_main_office(company: Company) -> None:
    """The "Main Office" location mirrors the department's address and phone."""
    if not company.address:
        return
    location = Location.objects.filter(company=company, name=MAIN_OFFICE).first()
    if location is None:
        Location.objects.create(
            company=company,
            name=MAIN_OFFICE,
            address=company.address,
            phone=company.main_phone,
        )
    elif (location.address, location.phone) != (company.address, company.main_phone):
        location.address, location.phone = company.address, company.main_phone
        location.save(update_fields=["address", "phone", "updated_at"])


def upsert_contacts(
    requesters: list[dict],
    recorder,
    *,
    dept_companies: dict[int, int | None],
    managed_company_ids: set[int],
    claimed: set[str],
    dry_run: bool,
) -> None:
    """Upsert one page of requesters, with exact company links.

    Links to companies that come from Freshservice are made exactly as upstream
    (removed there → removed here); links staff made to local-only companies stay.
    """
    rows = []
    for requester in requesters:
        email = requester_email(requester)
        if email is None:
            recorder.warn(
                _("Requester %(name)s has no valid primary e-mail; skipped.")
                % {"name": f"{requester.get('first_name') or ''} {requester.get('last_name') or ''}".strip()},
                upstream_id=requester.get("id"),
            )  # fmt: skip
            recorder.count("skipped")
            continue
        rows.append((requester, requester_fields(requester, email)))
    if not rows:
        return
    by_fs = {
        c.freshservice_id: c
        for c in Contact.objects.filter(
            freshservice_id__in=[f["freshservice_id"] for _r, f in rows]
        )
    }
    by_email = {
        c.email: c
        for c in Contact.objects.filter(email__in=[f["email"] for _r, f in rows])
    }
    through = Contact.companies.through
    known_ids = {c.pk for c in (*by_fs.values(), *by_email.values())}
    links: dict[int, set[int]] = {}
    for contact_id, company_id in through.objects.filter(
        contact_id__in=known_ids
    ).values_list("contact_id", "company_id"):
        links.setdefault(contact_id, set()).add(company_id)

    to_create, to_update, wanted_links = [], [], []
    now = timezone.now()
    for requester, fields in rows:
        fs_id, email = fields["freshservice_id"], fields["email"]
        contact = by_fs.get(fs_id)
        holder = by_email.get(email)
        if contact is None and holder is not None:
            if holder.freshservice_id in (None, fs_id):
                contact = holder  # a contact made by hand (or earlier) adopts its id
        if email in claimed or (
            holder is not None and (contact is None or holder.pk != contact.pk)
        ):
            recorder.fail(
                _("E-mail %(email)s of requester %(id)s is already used by another "
                  "contact.") % {"email": email, "id": fs_id},
                upstream_id=fs_id,
            )  # fmt: skip
            continue
        claimed.add(email)
        companies = set()
        for dept_id in requester.get("department_ids") or []:
            company_id = dept_companies.get(int(dept_id))
            if company_id is None:
                recorder.warn(
                    _(
                        "Requester %(email)s is in department %(dept)s, which is not synced."
                    )
                    % {"email": email, "dept": dept_id},
                    upstream_id=fs_id,
                )
            else:
                companies.add(company_id)
        if contact is None:
            contact = Contact(**fields)
            to_create.append(contact)
            recorder.count("created")
            wanted_links.append((contact, companies))
            continue
        changed = [n for n in CONTACT_FIELDS if getattr(contact, n) != fields[n]]
        current = links.get(contact.pk, set())
        wanted = companies | (current - managed_company_ids)
        if changed or wanted != current:
            for name in changed:
                setattr(contact, name, fields[name])
            if changed:
                contact.updated_at = now
                to_update.append(contact)
            recorder.count("updated")
        else:
            recorder.count("unchanged")
        wanted_links.append((contact, wanted))
    if dry_run:
        return
    with transaction.atomic():
        if to_create:
            bulk_create_with_history(
                to_create, Contact, batch_size=500, default_change_reason=CHANGE_REASON
            )
        if to_update:
            bulk_update_with_history(
                to_update,
                Contact,
                [*CONTACT_FIELDS, "updated_at"],
                batch_size=500,
                default_change_reason=CHANGE_REASON,
            )
        adds, removals = [], []
        for contact, wanted in wanted_links:
            current = links.get(contact.pk, set())
            adds.extend(
                through(contact_id=contact.pk, company_id=c)
                for c in wanted - current
                if c > 0
            )
            removals.extend((contact.pk, c) for c in current - wanted)
        if adds:
            through.objects.bulk_create(adds, ignore_conflicts=True)
        for contact_id, company_id in removals:
            through.objects.filter(
                contact_id=contact_id, company_id=company_id
            ).delete()


def sync_freshservice(recorder, client: FreshserviceClient, *, dry_run: bool = False):
    """Departments → companies, then requesters → contacts (both streamed by page)."""
    plans = PlanCache(dry_run=dry_run)
    dept_companies: dict[int, int | None] = {}
    for page in client.iter_departments():
        recorder.add_total(len(page))
        # One commit per page; each department in its own savepoint, so one bad
        # row (an IntegrityError) does not undo the others.
        with transaction.atomic():
            for dept in page:  # plans first, outside the savepoints below
                plans.get((dept.get("custom_fields") or {}).get("plan_selected"))
            for dept in page:
                try:
                    with transaction.atomic():
                        company_id = upsert_company_from_department(
                            dept, recorder, dry_run=dry_run, plans=plans
                        )
                except IntegrityError as exc:
                    recorder.fail(str(exc), upstream_id=dept.get("id"))
                    company_id = None
                dept_companies[int(dept["id"])] = company_id
                recorder.advance()
    recorder.log(
        _("%(n)d departments read; %(c)d created, %(u)d updated, %(s)d skipped")
        % {"n": len(dept_companies), "c": recorder.counts["created"],
           "u": recorder.counts["updated"], "s": recorder.counts["skipped"]}
    )  # fmt: skip
    managed = set(
        Company.objects.filter(freshservice_id__isnull=False).values_list(
            "id", flat=True
        )
    )
    claimed: set[str] = set()
    read = 0
    for page in client.iter_requesters():
        recorder.add_total(len(page))
        upsert_contacts(
            page,
            recorder,
            dept_companies=dept_companies,
            managed_company_ids=managed,
            claimed=claimed,
            dry_run=dry_run,
        )
        read += len(page)
        recorder.advance(len(page))
    recorder.log(_("%(n)d requesters read") % {"n": read})
