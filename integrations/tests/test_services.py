"""Sync services end to end against the sandboxes: idempotence, faults, tricky data."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from assets.choices import AssetStatus
from assets.models import Asset
from companies.models import Company, IssuedAccountNumber, Location, RmmSiteLink
from contacts.models import Contact
from integrations.choices import SyncJobKind, SyncStatus, SyncTrigger
from integrations.models import SyncJob, SyncRun
from integrations.sandbox.seed import DELETED_DEVICES
from integrations.services import reap_stale_runs, reserve_account_number, start_run

FS, DATTO = SyncJobKind.SYNC_FRESHSERVICE, SyncJobKind.SYNC_DATTO
ASSIGN, PUSH = SyncJobKind.ASSIGN_ACCOUNT_NUMBERS, SyncJobKind.PUSH_ACCOUNT_NUMBERS
VOLATILE = {"id", "created_at", "updated_at", "last_synced_at"}


def snapshot() -> dict:
    """Everything a sync writes, without row ids and timestamps."""

    def rows(model, key):
        return sorted(
            (
                {k: v for k, v in row.items() if k not in VOLATILE}
                for row in model.objects.values()
            ),
            key=lambda r: str(r[key]),
        )

    through = Contact.companies.through
    return {
        "companies": rows(Company, "account_number"),
        "locations": sorted(Location.objects.values_list("company__account_number", "name", "address")),
        "links": sorted(RmmSiteLink.objects.values_list("site_uid", "company__account_number", "site_name")),
        "contacts": rows(Contact, "email"),
        "contact_links": sorted(through.objects.values_list("contact__email", "company__account_number")),
        "assets": sorted(
            ({k: v for k, v in row.items() if k not in VOLATILE | {"company_id", "rmm_site_id"}}
             for row in Asset.objects.values()),
            key=lambda r: r["rmm_device_uid"],
        ),
        "asset_companies": sorted(Asset.objects.values_list("rmm_device_uid", "company__account_number")),
    }  # fmt: skip


def site_of(datto_sandbox, index=0):
    return list(datto_sandbox.sites.values())[index]


def assets_of(site_uid):
    return Asset.objects.filter(rmm_site__site_uid=site_uid)


# -- full syncs ---------------------------------------------------------------------------
def test_full_sync_creates_companies_contacts_and_assets(synced, world, datto_sandbox):
    fs_run, datto_run = synced
    assert fs_run.status == SyncStatus.SUCCEEDED, fs_run.errors
    assert datto_run.status == SyncStatus.SUCCEEDED, datto_run.errors
    numbered = [d for d in world.departments if d["custom_fields"]["account_number"]]
    assert Company.objects.count() == len(numbered)
    acme = Company.objects.get(freshservice_id=world.departments[0]["id"])
    dept = world.departments[0]
    assert acme.name == dept["name"]
    assert acme.account_number == dept["custom_fields"]["account_number"]
    assert acme.primary_contact_name == dept["prime_user_name"]
    assert acme.domains == dept["domains"]
    if dept["custom_fields"]["address"]:
        office = acme.locations.get(name="Main Office")
        assert office.address == dept["custom_fields"]["address"]
    device = next(
        d for d in world.devices if d["siteUid"] == site_of(datto_sandbox)["uid"]
    )
    asset = Asset.objects.get(rmm_device_uid=device["uid"])
    assert asset.company == acme
    assert asset.hostname == device["hostname"]
    assert asset.operating_system == device["operatingSystem"]
    assert asset.antivirus_product == device["antivirus"]["antivirusProduct"]
    assert asset.patch_status == device["patchManagement"]["patchStatus"]
    assert asset.last_seen == datetime.fromtimestamp(device["lastSeen"] / 1000, UTC)
    assert asset.site_name == site_of(datto_sandbox)["name"]
    assert asset.status == AssetStatus.IN_USE


def test_full_sync_twice_leaves_identical_database(synced, run_job):
    first = snapshot()
    again_fs = run_job(FS)
    again_datto = run_job(DATTO)
    assert snapshot() == first
    assert again_fs.created_count == again_fs.updated_count == 0
    assert again_datto.created_count == again_datto.updated_count == 0
    assert again_datto.retired_count == 0
    assert again_datto.unchanged_count == Asset.objects.count()


def test_dry_run_writes_nothing_but_reports(run_job, db):
    before = snapshot()
    fs_run = run_job(FS, dry_run=True)
    datto_run = run_job(DATTO, dry_run=True)
    assert snapshot() == before
    assert fs_run.dry_run and fs_run.status == SyncStatus.SUCCEEDED
    assert fs_run.created_count > 0
    assert datto_run.created_count == 0  # no companies yet: every site is skipped
    assert datto_run.skipped_count > 0


def test_dry_run_after_real_sync_reports_changes_without_writing(
    synced, run_job, datto_sandbox
):
    site = site_of(datto_sandbox)
    datto_sandbox.mutate_rename_site(site["uid"], "Renamed Site")
    before = snapshot()
    run = run_job(DATTO, dry_run=True)
    assert snapshot() == before
    assert run.updated_count == len(datto_sandbox.site_device_uids[site["uid"]])


# -- faults -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["500", "drop", "429"])
def test_single_fault_on_a_page_is_retried_and_run_completes(
    synced, run_job, make_datto, datto_sandbox, kind
):
    before = snapshot()
    site = site_of(datto_sandbox)
    datto_sandbox.inject("site_devices", kind, page=1, times=1)
    run = run_job(DATTO, datto=make_datto(page_size=2))
    assert run.status == SyncStatus.SUCCEEDED, run.errors
    assert run.retired_count == 0
    assert snapshot() == before
    assert run.stats["datto"]["retries"] + run.stats["datto"]["rate_limited"] >= 1
    assert site["uid"]


def test_failed_page_retires_nothing_and_next_run_completes(
    synced, run_job, make_datto, datto_sandbox
):
    site = site_of(datto_sandbox)
    company = Company.objects.get(rmm_sites__site_uid=site["uid"])
    in_use = set(company.assets.values_list("rmm_device_uid", flat=True))
    datto_sandbox.inject("site_devices", "500", page=1, times=None)
    # Also remove a device, which a complete fetch would retire.
    gone = datto_sandbox.site_device_uids[site["uid"]][0]
    datto_sandbox.mutate_remove_device(gone)

    failed = run_job(DATTO, datto=make_datto(page_size=2))
    assert failed.status == SyncStatus.PARTIAL
    assert failed.retired_count == 0
    assert any(e.get("upstream_id") == site["uid"] for e in failed.errors)
    assert (
        set(
            company.assets.filter(status=AssetStatus.IN_USE).values_list(
                "rmm_device_uid", flat=True
            )
        )
        == in_use
    )  # nothing of that company was retired or deleted
    assert Asset.objects.filter(rmm_device_uid=gone).exists()

    datto_sandbox.clear_faults()
    again = run_job(DATTO, datto=make_datto(page_size=2))
    assert again.status == SyncStatus.SUCCEEDED
    assert again.retired_count == 1
    retired = Asset.objects.get(rmm_device_uid=gone)
    assert retired.status == AssetStatus.RETIRED and retired.stale_since


def test_persistent_429_aborts_run_without_changes(
    synced, run_job, datto_sandbox, make_datto
):
    before = snapshot()
    datto_sandbox.mutate_remove_device(next(iter(datto_sandbox.devices)))
    datto_sandbox.inject("site_devices", "429", page=0, times=None)
    run = run_job(DATTO, datto=make_datto(max_rate_limit_waits=2))
    assert run.status == SyncStatus.FAILED
    assert "rate limited" in run.errors[-1]["message"]
    assert snapshot() == before


def test_freshservice_429_on_requester_page_k_fails_then_next_run_completes(
    run_job, make_fs, fs_sandbox
):
    fs_sandbox.inject("requesters", "429", page=2, times=None)
    failed = run_job(FS, freshservice=make_fs(per_page=10, max_rate_limit_waits=1))
    assert failed.status == SyncStatus.FAILED
    partial_contacts = Contact.objects.count()
    assert 0 < partial_contacts < len(fs_sandbox.requesters)
    fs_sandbox.clear_faults()
    done = run_job(FS, freshservice=make_fs(per_page=10))
    assert done.status == SyncStatus.SUCCEEDED
    assert Contact.objects.count() > partial_contacts


def test_token_expiry_mid_run_reauthenticates_and_continues(
    synced, run_job, datto_sandbox
):
    before = snapshot()
    datto_sandbox.expire_tokens_after = 4
    run = run_job(DATTO)
    assert run.status == SyncStatus.SUCCEEDED
    assert run.stats["datto"]["reauthentications"] == 1
    assert snapshot() == before


def test_foreign_next_page_url_aborts_without_changes(
    synced, run_job, datto_sandbox, make_datto
):
    before = snapshot()
    datto_sandbox.foreign_next_url = True
    datto_sandbox.mutate_remove_device(next(iter(datto_sandbox.devices)))
    run = run_job(DATTO, datto=make_datto(page_size=2))
    assert run.status == SyncStatus.FAILED
    assert "another origin" in run.errors[-1]["message"]
    assert snapshot() == before


def test_failed_variable_lookup_protects_that_company(synced, run_job, datto_sandbox):
    site = site_of(datto_sandbox)
    gone = datto_sandbox.site_device_uids[site["uid"]][0]
    datto_sandbox.mutate_remove_device(gone)
    datto_sandbox.inject("variables", "500", times=None)
    run = run_job(DATTO)
    assert run.status == SyncStatus.PARTIAL
    assert run.retired_count == 0
    assert Asset.objects.get(rmm_device_uid=gone).status == AssetStatus.IN_USE


# -- tricky data ---------------------------------------------------------------------------
def test_renamed_site_keeps_link_and_updates_names(synced, run_job, datto_sandbox):
    site = site_of(datto_sandbox)
    link_id = RmmSiteLink.objects.get(site_uid=site["uid"]).pk
    datto_sandbox.mutate_rename_site(site["uid"], "Acme Dental - New Name")
    run = run_job(DATTO)
    link = RmmSiteLink.objects.get(site_uid=site["uid"])
    assert link.pk == link_id and link.site_name == "Acme Dental - New Name"
    assert set(assets_of(site["uid"]).values_list("site_name", flat=True)) == {
        "Acme Dental - New Name"
    }
    assert run.retired_count == 0 and run.created_count == 0


def test_moved_device_follows_to_other_company(synced, run_job, datto_sandbox):
    source, target = site_of(datto_sandbox, 0), site_of(datto_sandbox, 2)
    device_uid = datto_sandbox.site_device_uids[source["uid"]][1]
    asset_id = Asset.objects.get(rmm_device_uid=device_uid).pk
    datto_sandbox.mutate_move_device(device_uid, target["uid"])
    run = run_job(DATTO)
    asset = Asset.objects.get(rmm_device_uid=device_uid)
    assert asset.pk == asset_id  # the same row: never deleted and re-created
    assert asset.company.rmm_sites.filter(site_uid=target["uid"]).exists()
    assert asset.rmm_site.site_uid == target["uid"]
    assert asset.status == AssetStatus.IN_USE
    assert run.retired_count == 0 and run.updated_count == 1


def test_changed_account_number_repoints_site(synced, run_job, datto_sandbox):
    site = site_of(datto_sandbox, 3)
    other = Company.objects.exclude(rmm_sites__site_uid=site["uid"]).first()
    datto_sandbox.mutate_set_variable(
        site["uid"], "AccountNumber", str(other.account_number)
    )
    run = run_job(DATTO)
    assert RmmSiteLink.objects.get(site_uid=site["uid"]).company == other
    assert set(assets_of(site["uid"]).values_list("company", flat=True)) == {other.pk}
    assert run.retired_count == 0


def test_duplicate_hostnames_stay_separate_assets(synced, world):
    frontdesks = [d["uid"] for d in world.devices if d["hostname"] == "FRONTDESK"]
    servers = [d["uid"] for d in world.devices if d["hostname"] == "SERVER01"]
    assert len(frontdesks) == 2 and len(servers) > 2
    assert Asset.objects.filter(hostname="FRONTDESK").count() == 2
    assert Asset.objects.filter(hostname="SERVER01").count() == len(
        [d for d in world.devices if d["hostname"] == "SERVER01"
         and Asset.objects.filter(rmm_device_uid=d["uid"]).exists()]
    )  # fmt: skip


def test_device_moved_to_deleted_devices_is_retired_not_deleted(
    synced, run_job, datto_sandbox
):
    device_uid = datto_sandbox.site_device_uids[site_of(datto_sandbox, 1)["uid"]][0]
    datto_sandbox.mutate_delete_device(device_uid)
    run = run_job(DATTO)
    asset = Asset.objects.get(rmm_device_uid=device_uid)
    assert asset.status == AssetStatus.RETIRED and asset.stale_since is not None
    assert run.retired_count == 1
    assert not RmmSiteLink.objects.filter(site_name=DELETED_DEVICES).exists()


def test_device_reappearing_comes_back_in_use(synced, run_job, datto_sandbox):
    site = site_of(datto_sandbox, 1)
    device_uid = datto_sandbox.site_device_uids[site["uid"]][0]
    datto_sandbox.mutate_delete_device(device_uid)
    run_job(DATTO)
    datto_sandbox.mutate_move_device(device_uid, site["uid"])
    datto_sandbox.mutate_update_device(device_uid, deleted=False)
    run_job(DATTO)
    asset = Asset.objects.get(rmm_device_uid=device_uid)
    assert asset.status == AssetStatus.IN_USE and asset.stale_since is None


def test_audit_serial_numbers_when_configured(run_job, datto_sandbox):
    run_job(FS)
    run_job(DATTO, fetch_serials=True)
    device = next(iter(datto_sandbox.devices.values()))
    asset = Asset.objects.get(rmm_device_uid=device["uid"])
    assert asset.serial_number.startswith("SN") and asset.manufacturer == "Dell Inc."
    printer = Asset.objects.get(hostname="PRN-LOBBY")
    assert printer.serial_number == ""  # printers have no device audit (400 upstream)


def test_departments_without_account_number_are_reported(synced, world):
    fs_run, _datto = synced
    missing = [
        d for d in world.departments if d["custom_fields"]["account_number"] is None
    ]
    reported = {w.get("upstream_id") for w in fs_run.warnings}
    assert {str(d["id"]) for d in missing} <= reported
    assert not Company.objects.filter(
        freshservice_id__in=[d["id"] for d in missing]
    ).exists()


def test_requesters_inactive_kept_inactive_and_links_exact(
    synced, run_job, fs_sandbox, world
):
    inactive = next(
        r for r in world.requesters if not r["active"] and r["primary_email"]
    )
    assert Contact.objects.get(freshservice_id=inactive["id"]).active is False
    requester = next(r for r in world.requesters if r["active"] and r["primary_email"])
    contact = Contact.objects.get(freshservice_id=requester["id"])
    old = Company.objects.get(freshservice_id=requester["department_ids"][0])
    assert list(contact.companies.all()) == [old]
    local_only = Company.objects.create(name="Hand made", account_number=999001)
    contact.companies.add(local_only)
    new_dept = next(d for d in world.departments if d["id"] != old.freshservice_id
                    and d["custom_fields"]["account_number"])  # fmt: skip
    fs_sandbox.mutate_update_requester(requester["id"], department_ids=[new_dept["id"]])
    run_job(FS)
    assert set(contact.companies.values_list("freshservice_id", flat=True)) == {
        new_dept["id"],
        None,
    }  # the removed link is gone; the hand-made one stays


def test_requester_matched_by_email_adopts_freshservice_id(run_job, world):
    requester = next(r for r in world.requesters if r["primary_email"])
    hand = Contact.objects.create(
        name="Typed by hand", email=requester["primary_email"].upper()
    )
    run_job(FS)
    hand.refresh_from_db()
    assert hand.freshservice_id == requester["id"]
    assert Contact.objects.filter(email=requester["primary_email"]).count() == 1


def test_renamed_department_updates_company(synced, run_job, fs_sandbox, world):
    dept = world.departments[0]
    fs_sandbox.mutate_rename_department(dept["id"], "Acme Dental Group")
    run = run_job(FS)
    company = Company.objects.get(freshservice_id=dept["id"])
    assert company.name == "Acme Dental Group"
    assert company.history.count() == 2
    assert run.updated_count == 1


# -- account numbers ----------------------------------------------------------------------------
def test_assign_account_numbers_unique_integer_verified_and_local(
    synced, run_job, fs_sandbox, world
):
    run = run_job(ASSIGN)
    assert run.status == SyncStatus.SUCCEEDED, run.errors
    numbers = fs_sandbox.account_numbers()
    assert all(isinstance(n, int) for n in numbers)
    assert len(numbers) == len(set(numbers))
    missing = [
        d for d in world.departments if d["custom_fields"]["account_number"] is None
    ]
    for dept in missing:
        company = Company.objects.get(freshservice_id=dept["id"])
        assert (
            company.account_number
            == fs_sandbox.departments[dept["id"]]["custom_fields"]["account_number"]
        )
        assert IssuedAccountNumber.objects.filter(
            number=company.account_number
        ).exists()
        assert fs_sandbox.departments[dept["id"]]["name"] == dept["name"]  # whole PUT
    assert run.updated_count == len(missing)
    again = run_job(ASSIGN)
    assert again.updated_count == 0 and fs_sandbox.account_numbers() == numbers


def test_assign_survives_a_400_and_never_reuses_the_number(synced, run_job, fs_sandbox):
    fs_sandbox.inject("department_update", "400", times=1)
    first = run_job(ASSIGN)
    assert first.status == SyncStatus.PARTIAL
    assert first.failed_count == 1 and first.updated_count == 1
    refused = set(IssuedAccountNumber.objects.values_list("number", flat=True)) - set(
        n for n in fs_sandbox.account_numbers() if n
    )
    second = run_job(ASSIGN)
    assert second.status == SyncStatus.SUCCEEDED and second.updated_count == 1
    numbers = [n for n in fs_sandbox.account_numbers() if n]
    assert len(numbers) == len(set(numbers)) == len(fs_sandbox.departments)
    assert not refused & set(numbers)


def test_assign_dry_run_writes_nothing(synced, run_job, fs_sandbox):
    before = list(fs_sandbox.account_numbers())
    run = run_job(ASSIGN, dry_run=True)
    assert fs_sandbox.account_numbers() == before
    assert run.updated_count == 2
    assert fs_sandbox.calls("department_update") == 0


def test_reserve_account_number_skips_used_numbers(db):
    used = set(range(100000, 999990))
    number = reserve_account_number(used)
    assert 999990 <= number <= 999999
    assert IssuedAccountNumber.objects.filter(number=number).exists()


def test_push_creates_updates_and_skips(synced, run_job, datto_sandbox):
    hq = next(s for s in datto_sandbox.sites.values() if s["name"].endswith(" - HQ"))
    wrong = site_of(datto_sandbox, 2)
    datto_sandbox.mutate_set_variable(wrong["uid"], "AccountNumber", "111111")
    lab = datto_sandbox.site_uid_by_name("Unmapped Lab")
    run = run_job(PUSH)
    company = Company.objects.get(name=hq["name"].removesuffix(" - HQ"))
    assert datto_sandbox.variable(hq["uid"]) == str(company.account_number)
    linked = RmmSiteLink.objects.get(site_uid=wrong["uid"]).company
    assert datto_sandbox.variable(wrong["uid"]) == str(linked.account_number)
    assert datto_sandbox.variable(lab) is None
    assert run.created_count == 1 and run.updated_count == 1
    assert any(w.get("upstream_id") == lab for w in run.warnings)
    again = run_job(PUSH)
    assert again.created_count == again.updated_count == 0  # idempotent
    assert datto_sandbox.calls("variable_create") == 1
    assert datto_sandbox.calls("variable_update") == 1


def test_push_error_is_not_taken_as_already_set(synced, run_job, datto_sandbox):
    hq = next(s for s in datto_sandbox.sites.values() if s["name"].endswith(" - HQ"))
    datto_sandbox.inject("variables", "500", times=None)
    run = run_job(PUSH)
    assert run.status == SyncStatus.PARTIAL and run.failed_count > 0
    datto_sandbox.clear_faults()
    run_job(PUSH)
    assert datto_sandbox.variable(hq["uid"]) is not None


# -- the lock and the reaper ------------------------------------------------------------------------
def test_lock_allows_one_active_run_per_job(db):
    # get_or_create: an earlier transactional test may have flushed the seeded jobs
    job, _ = SyncJob.objects.get_or_create(
        kind=DATTO, defaults={"enabled": True, "interval_minutes": 1440}
    )
    first = start_run(job)
    assert first is not None
    assert start_run(job) is None
    assert start_run(SyncJob.objects.get(kind=FS)) is not None  # other jobs are free
    SyncRun.objects.filter(pk=first.pk).update(status=SyncStatus.SUCCEEDED)
    assert start_run(job) is not None


def test_reaper_frees_a_stale_lock(db, settings):
    # get_or_create: an earlier transactional test may have flushed the seeded jobs
    job, _ = SyncJob.objects.get_or_create(
        kind=DATTO, defaults={"enabled": True, "interval_minutes": 1440}
    )
    run = start_run(job)
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=2)
    )
    assert reap_stale_runs() == 1
    run.refresh_from_db()
    assert run.status == SyncStatus.FAILED and "Abandoned" in run.errors[-1]["message"]
    assert start_run(job) is not None


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs real row locks between threads"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_get_one_run():
    from django.db import connection as conn

    # get_or_create: an earlier transactional test may have flushed the seeded jobs
    job, _ = SyncJob.objects.get_or_create(
        kind=DATTO, defaults={"enabled": True, "interval_minutes": 1440}
    )
    results, barrier = [], threading.Barrier(8)

    def worker():
        barrier.wait()
        try:
            results.append(start_run(job, trigger=SyncTrigger.SCHEDULE))
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([r for r in results if r is not None]) == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs real concurrent writers"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_account_number_reservations_never_duplicate():
    from django.db import connection as conn

    numbers, barrier = [], threading.Barrier(6)

    def worker():
        barrier.wait()
        try:
            for _ in range(20):
                numbers.append(reserve_account_number(set()))
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(numbers) == len(set(numbers)) == 120


def test_failed_site_leaves_its_whole_company_untouched(synced, run_job, datto_sandbox):
    """Company 1 has two sites; a failure on one leaves the other unwritten too."""
    branch = next(
        s for s in datto_sandbox.sites.values() if s["name"].endswith("- Branch")
    )
    main, other = site_of(datto_sandbox, 1), site_of(datto_sandbox, 0)
    datto_sandbox.mutate_rename_site(main["uid"], "Main Renamed")
    datto_sandbox.mutate_rename_site(other["uid"], "Other Renamed")
    datto_sandbox.inject("site_devices", "503", times=None, match=branch["uid"])
    run = run_job(DATTO)
    assert run.status == SyncStatus.PARTIAL
    assert "Main Renamed" not in set(
        assets_of(main["uid"]).values_list("site_name", flat=True)
    )
    assert set(assets_of(other["uid"]).values_list("site_name", flat=True)) == {
        "Other Renamed"
    }
    assert run.retired_count == 0
    datto_sandbox.clear_faults()
    assert run_job(DATTO).status == SyncStatus.SUCCEEDED
    assert set(assets_of(main["uid"]).values_list("site_name", flat=True)) == {
        "Main Renamed"
    }
