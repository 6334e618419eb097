"""Datto RMM → Nexus: sites link to companies by AccountNumber, devices become assets.

Safety rules (the original program's bug 1 in §1.8): assets are never deleted; a
device is marked retired only when every site of its company was fetched
completely and without error in this run, and the device was seen nowhere.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from itertools import islice

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from assets.choices import AssetStatus
from assets.models import Asset
from companies.models import Company, RmmSiteLink

from ..clients import DattoRMMClient, UpstreamError
from .mapping import DELETED_DEVICES_SITE, device_fields, site_account_number
from .runs import FATAL_UPSTREAM_ERRORS

CHANGE_REASON = "Datto RMM sync"
ASSET_FIELDS = (
    "company_id",
    "rmm_site_id",
    "hostname",
    "site_name",
    "operating_system",
    "last_logged_in_user",
    "hardware_type",
    "antivirus_product",
    "antivirus_status",
    "description",
    "ext_ip_address",
    "int_ip_address",
    "domain",
    "last_audit",
    "last_reboot",
    "last_seen",
    "online",
    "patch_status",
    "backup_usage_tb",
    "enabled_administrators",
    "device_type",
    "portal_url",
    "web_remote_url",
    "warranty_expires",
    "udfs",
    "status",
    "stale_since",
)
AUDIT_FIELDS = ("serial_number", "manufacturer", "model")
BATCH = 1000


class ReadAhead:
    """Fetch the next few items on worker threads while this thread writes.

    Results come back in order, each with the exception it raised (if any), so
    failure handling stays per site; `waited` is the time this thread spent
    blocked on the upstream, which is the run's real cost of HTTP. Only the
    workers touch the network and only this thread touches the database.
    """

    def __init__(self, *, window: int = 6, workers: int = 3):
        self.window, self.workers = window, workers
        self.waited = 0.0

    def timed(self, fn, *args):
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.waited += time.perf_counter() - started

    def map(self, fn, items: list):
        pending: deque = deque()
        upcoming = iter(items)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="sync-read") as pool:
            try:
                for item in islice(upcoming, self.window):
                    pending.append((item, pool.submit(fn, item)))
                while pending:
                    item, future = pending.popleft()
                    started = time.perf_counter()
                    try:
                        result, error = future.result(), None
                    except Exception as exc:  # handed to the caller, per item
                        result, error = None, exc
                    self.waited += time.perf_counter() - started
                    following = next(upcoming, None)
                    if following is not None:
                        pending.append((following, pool.submit(fn, following)))
                    yield item, result, error
            finally:
                for _item, future in pending:
                    future.cancel()


class DeviceWriter:
    """Upserts devices by uid in batches, counting what changed (no writes in dry run).

    Devices are buffered across sites and written `BATCH` at a time, each batch in
    one short transaction. New assets are bulk-inserted; changed ones are
    bulk-updated with a history row each (simple-history), so the asset's history
    shows what the RMM changed; unchanged ones cost one compared tuple.
    """

    def __init__(self, recorder, client, *, dry_run: bool, fetch_serials: bool):
        self.recorder, self.client = recorder, client
        self.dry_run, self.fetch_serials = dry_run, fetch_serials
        self.seen: set[str] = set()
        self.buffer: dict[str, tuple[dict, dict | None]] = {}
        self.now = timezone.now()

    def _audit(self, device: dict | None) -> dict:
        if (
            not self.fetch_serials
            or not device
            or device.get("deviceClass") != "device"
        ):
            return {}
        try:
            audit = self.client.device_audit(device["uid"]) or {}
        except FATAL_UPSTREAM_ERRORS:
            raise
        except UpstreamError as exc:
            self.recorder.warn(
                _("No audit for %(host)s: %(error)s")
                % {"host": device.get("hostname"), "error": exc},
                upstream_id=device["uid"],
            )
            return {}
        system = audit.get("systemInfo") or {}
        bios = audit.get("bios") or {}
        return {
            "serial_number": str(bios.get("serialNumber") or "")[:150],
            "manufacturer": str(system.get("manufacturer") or "")[:150],
            "model": str(system.get("model") or "")[:150],
        }

    def add_page(self, devices: list[dict], *, company_id: int, site) -> None:
        for device in devices:
            uid = str(device.get("uid") or "")
            if not uid or not str(device.get("hostname") or "").strip():
                self.recorder.warn(
                    _("Device without uid or hostname skipped."),
                    upstream_id=uid or None,
                )
                self.recorder.count("skipped")
                continue
            fields = device_fields(device, site_name=site["name"])
            fields["company_id"], fields["rmm_site_id"] = company_id, site["link_id"]
            fields["deleted"] = bool(device.get("deleted"))
            self.seen.add(uid)
            self.buffer[uid] = (fields, device if self.fetch_serials else None)
        if len(self.buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        rows, self.buffer = self.buffer, {}
        columns = ("id", "serial_number", *ASSET_FIELDS)
        existing = {
            row[0]: row[1:]
            for row in Asset.objects.filter(rmm_device_uid__in=list(rows)).values_list(
                "rmm_device_uid", *columns
            )
        }
        stale_at = 2 + ASSET_FIELDS.index("stale_since")
        status_at = 2 + ASSET_FIELDS.index("status")
        to_create, changes = [], {}
        for uid, (fields, device) in rows.items():
            current = existing.get(uid)
            deleted = fields.pop("deleted")
            if deleted:
                fields["status"] = AssetStatus.RETIRED
                fields["stale_since"] = (current and current[stale_at]) or self.now
            else:
                fields["stale_since"] = None
                if current is None or current[stale_at] is not None:
                    fields["status"] = AssetStatus.IN_USE
                else:
                    fields["status"] = current[status_at]  # e.g. "in repair" by staff
            if current is None:
                fields.update(self._audit(device))
                to_create.append(Asset(rmm_device_uid=uid, **fields))
                self.recorder.count("created")
                continue
            if any(
                current[2 + i] != fields[name] for i, name in enumerate(ASSET_FIELDS)
            ):
                if not current[1]:
                    fields.update(self._audit(device))
                changes[current[0]] = fields
                self.recorder.count("updated")
            else:
                self.recorder.count("unchanged")
        if self.dry_run or not (to_create or changes):
            return
        with transaction.atomic():
            if to_create:
                # No history row for a creation: created_at and the run log say it.
                Asset.objects.bulk_create(to_create, batch_size=BATCH)
            if changes:
                assets = list(Asset.objects.filter(pk__in=list(changes)))
                for asset in assets:
                    for name, value in changes[asset.pk].items():
                        setattr(asset, name, value)
                    asset.updated_at = self.now
                bulk_update_with_history(
                    assets,
                    Asset,
                    [*ASSET_FIELDS, *AUDIT_FIELDS, "updated_at"],
                    batch_size=BATCH,
                    default_change_reason=CHANGE_REASON,
                )

    def retire(self, assets: list[Asset], reason: str) -> int:
        for asset in assets:
            asset.status, asset.stale_since, asset.updated_at = (
                AssetStatus.RETIRED,
                self.now,
                self.now,
            )
        self.recorder.count("retired", len(assets))
        if assets and not self.dry_run:
            with transaction.atomic():
                bulk_update_with_history(
                    assets,
                    Asset,
                    ["status", "stale_since", "updated_at"],
                    batch_size=BATCH,
                    default_change_reason=reason,
                )
        return len(assets)


def _link_sites(sites: list[dict], recorder, *, dry_run: bool) -> None:
    """Create or re-point each site's RmmSiteLink; sets site["link_id"]."""
    links = {
        link.site_uid: link
        for link in RmmSiteLink.objects.filter(site_uid__in=[s["uid"] for s in sites])
    }
    now = timezone.now()
    to_create, to_update, touched = [], [], []
    for site in sites:
        link = links.get(site["uid"])
        name = str(site.get("name") or "")[:200]
        if link is None:
            link = RmmSiteLink(
                company_id=site["company_id"],
                site_uid=site["uid"],
                site_name=name,
                last_synced_at=now,
            )
            to_create.append(link)
            recorder.log(_("Linked site %(site)s") % {"site": name})
        elif (link.company_id, link.site_name) != (site["company_id"], name):
            if link.company_id != site["company_id"]:
                recorder.log(
                    _("Site %(site)s moved to another company (AccountNumber changed)")
                    % {"site": name}
                )
            link.company_id, link.site_name = site["company_id"], name
            link.last_synced_at = link.updated_at = now
            to_update.append(link)
        else:
            touched.append(link.pk)
        site["link"] = link
    if not dry_run:
        with transaction.atomic():
            RmmSiteLink.objects.bulk_create(to_create, batch_size=BATCH)
            RmmSiteLink.objects.bulk_update(
                to_update,
                ["company", "site_name", "last_synced_at", "updated_at"],
                batch_size=BATCH,
            )
            RmmSiteLink.objects.filter(pk__in=touched).update(last_synced_at=now)
    for site in sites:
        site["link_id"] = site.pop("link").pk


def sync_datto(
    recorder,
    client: DattoRMMClient,
    *,
    dry_run: bool = False,
    fetch_serials: bool = False,
) -> None:
    """Sites → company links (by the AccountNumber site variable), devices → assets."""
    reader = ReadAhead()
    recorder.upstream_seconds = 0.0
    # An incomplete site list aborts the run.
    sites = reader.timed(lambda: list(client.iter_sites()))
    recorder.add_total(len(sites))
    recorder.log(_("%(n)d sites listed") % {"n": len(sites)})
    companies = dict(Company.objects.values_list("account_number", "id"))
    system_sites, mapped, failed_sites = [], [], set()
    regular = []
    for site in sites:
        if site.get("name") == DELETED_DEVICES_SITE:
            system_sites.append(site)
            recorder.advance()
        else:
            regular.append(site)
    for site, variables, error in reader.map(
        lambda s: client.site_variables(s["uid"]), regular
    ):
        uid = site["uid"]
        if isinstance(error, FATAL_UPSTREAM_ERRORS):
            raise error
        if isinstance(error, UpstreamError):
            recorder.fail(
                _("Site %(site)s: could not read its variables: %(error)s")
                % {"site": site.get("name"), "error": error},
                upstream_id=uid,
            )
            failed_sites.add(uid)
            recorder.advance()
            continue
        if error is not None:
            raise error
        _variable, number = site_account_number(variables)
        recorder.advance()
        if number is None:
            recorder.warn(
                _("Site %(site)s has no valid AccountNumber variable; skipped.")
                % {"site": site.get("name")},
                upstream_id=uid,
            )
            recorder.count("skipped")
            continue
        company_id = companies.get(number)
        if company_id is None:
            recorder.warn(
                _("Site %(site)s: no company has account number %(n)s; skipped.")
                % {"site": site.get("name"), "n": number},
                upstream_id=uid,
            )
            recorder.count("skipped")
            continue
        site["company_id"] = company_id
        mapped.append(site)
    _link_sites(mapped, recorder, dry_run=dry_run)
    recorder.add_total(len(mapped) + len(system_sites))

    # Companies that had a failed site (as linked before this run) cannot be
    # known complete, so none of their assets may be retired.
    incomplete = set(
        RmmSiteLink.objects.filter(site_uid__in=failed_sites).values_list(
            "company_id", flat=True
        )
    )
    writer = DeviceWriter(
        recorder, client, dry_run=dry_run, fetch_serials=fetch_serials
    )
    # A company is written only when every one of its sites was fetched: sites
    # are taken company by company and held until the company is complete, so a
    # failed or throttled fetch changes nothing for that company.
    mapped.sort(key=lambda s: s["company_id"])
    held: list[tuple[dict, list]] = []

    def settle(company_id) -> None:
        if company_id in incomplete:
            writer.seen.update(
                str(d.get("uid")) for _s, pages in held for p in pages for d in p
            )
        else:
            for site, pages in held:
                for page in pages:
                    writer.add_page(page, company_id=company_id, site=site)
        held.clear()

    current = None
    for site, pages, error in reader.map(
        lambda s: list(client.iter_site_device_pages(s["uid"])), mapped
    ):
        if isinstance(error, FATAL_UPSTREAM_ERRORS):
            raise error
        if site["company_id"] != current:
            if current is not None:
                settle(current)
            current = site["company_id"]
        if isinstance(error, UpstreamError):
            recorder.fail(
                _("Site %(site)s: device list failed part-way: %(error)s")
                % {"site": site.get("name"), "error": error},
                upstream_id=site["uid"],
            )
            failed_sites.add(site["uid"])
            incomplete.add(site["company_id"])
        elif error is not None:
            raise error
        else:
            held.append((site, pages))
        recorder.advance()
        recorder.upstream_seconds = reader.waited
    if current is not None:
        settle(current)
    writer.flush()

    # Devices in the system site were deleted in Datto: retire the ones we know.
    for site in system_sites:
        try:
            uids = reader.timed(
                lambda uid=site["uid"]: [
                    str(d.get("uid"))
                    for page in client.iter_site_device_pages(uid)
                    for d in page
                ]
            )
        except FATAL_UPSTREAM_ERRORS:
            raise
        except UpstreamError as exc:
            recorder.warn(
                _("Could not read the Deleted Devices site: %(error)s")
                % {"error": exc},
                upstream_id=site["uid"],
            )
            continue
        gone = list(
            Asset.objects.filter(rmm_device_uid__in=set(uids) - writer.seen).exclude(
                status=AssetStatus.RETIRED
            )
        )  # whole rows: each gets a complete history record
        if gone:
            recorder.log(_("%(n)d devices deleted in Datto") % {"n": len(gone)})
        writer.retire(gone, "Datto RMM: device deleted")
        recorder.advance()

    recorder.upstream_seconds = reader.waited
    complete = {s["company_id"] for s in mapped} - incomplete
    missing_ids = [
        pk
        for pk, uid in Asset.objects.filter(
            company_id__in=complete,
            rmm_device_uid__isnull=False,
            stale_since__isnull=True,
        ).values_list("id", "rmm_device_uid")
        if uid not in writer.seen
    ]
    missing = list(Asset.objects.filter(pk__in=missing_ids)) if missing_ids else []
    if missing:
        recorder.log(
            _("%(n)d devices no longer reported by Datto marked retired")
            % {"n": len(missing)}
        )
    writer.retire(missing, "Datto RMM: no longer reported")
    if incomplete:
        recorder.log(
            _("%(n)d companies were not fetched completely: nothing retired there")
            % {"n": len(incomplete)}
        )
    recorder.log(
        _("Devices: %(c)d created, %(u)d updated, %(s)d unchanged, %(r)d retired")
        % {"c": recorder.counts["created"], "u": recorder.counts["updated"],
           "s": recorder.counts["unchanged"], "r": recorder.counts["retired"]}
    )  # fmt: skip
