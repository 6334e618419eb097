"""Demo knowledge base: categories and useful MSP articles (idempotent, by slug)."""

from django.db import transaction
from django.utils.text import slugify

from .choices import ArticleStatus, ArticleVisibility, ProviderKind
from .models import Article, Category, ProviderConfig, Tag
from .services import create_article

CATEGORIES = [
    ("getting-started", "Getting started", None, "How to reach us and use the portal."),
    ("accounts-access", "Accounts and access", None, "Passwords, MFA and permissions."),
    ("email", "Email and Microsoft 365", None, "Mailboxes, Outlook and Teams."),
    ("network", "Network and VPN", None, "Connectivity, Wi-Fi and remote access."),
    ("vpn", "VPN", "network", "Remote access to the office network."),
    ("printing", "Printers and scanning", None, "Printers, scanners and drivers."),
    (
        "backup",
        "Backup and recovery",
        None,
        "Restores, retention and disaster recovery.",
    ),
    ("runbooks", "Technician runbooks", None, "Internal procedures for our staff."),
]

PORTAL = ArticleVisibility.PORTAL
INTERNAL = ArticleVisibility.INTERNAL
CHOSEN = ArticleVisibility.COMPANIES

ARTICLES = [
    (
        "getting-started",
        PORTAL,
        ["portal"],
        "How to open a support ticket",
        "The fastest ways to reach the service desk and what to include.",
        "## By the portal\n\nSign in, choose **Tickets → New ticket**, describe the problem "
        "and attach screenshots.\n\n## By email\n\nWrite to the support address; the subject "
        "becomes the ticket title.\n\n## What to include\n\n- the computer name (on the "
        "sticker or in *Settings → System → About*)\n- what you expected and what happened\n"
        "- the exact error message\n\nUrgent outages: call the hotline as well.",
    ),
    (
        "accounts-access",
        PORTAL,
        ["password", "mfa"],
        "Reset your Microsoft 365 password",
        "Self-service password reset for Microsoft 365 accounts.",
        "1. Go to https://passwordreset.microsoftonline.com\n2. Enter your work email and "
        "the characters shown.\n3. Verify with your phone or authenticator app.\n4. Choose "
        "a new password of **at least 12 characters**.\n\nIf self-service is not set up for "
        "you, open a ticket and we will reset it after confirming your identity.",
    ),
    (
        "accounts-access",
        PORTAL,
        ["mfa"],
        "Set up multi-factor authentication (MFA)",
        "Protect your account with the Microsoft Authenticator app.",
        "Install **Microsoft Authenticator** on your phone. Sign in at "
        "https://aka.ms/mysecurityinfo, choose *Add sign-in method → Authenticator app* "
        "and scan the QR code.\n\nLost your phone? Call the service desk: we verify who you "
        "are and reset your MFA registration.",
    ),
    (
        "email",
        PORTAL,
        ["outlook"],
        "Outlook keeps asking for my password",
        "Fix repeated credential prompts in Outlook.",
        "Usually a cached credential is stale.\n\n1. Close Outlook.\n2. Open *Credential "
        "Manager → Windows Credentials* and remove entries starting with "
        "`MicrosoftOffice16`.\n3. Start Outlook and sign in again.\n\nIf the prompt comes "
        "back, your password may have expired: reset it first.",
    ),
    (
        "email",
        PORTAL,
        ["outlook", "shared-mailbox"],
        "Add a shared mailbox in Outlook",
        "Shared mailboxes appear automatically once you have access.",
        "After we grant access, restart Outlook; the mailbox appears in the folder pane "
        "within an hour. To add it by hand: *File → Account settings → Change → More "
        "settings → Advanced → Add*.",
    ),
    (
        "vpn",
        PORTAL,
        ["vpn"],
        "Connect to the office VPN",
        "Install and use the VPN client from home.",
        "1. Install the VPN client from the portal download page.\n2. Server address: the "
        "one in your welcome email.\n3. Sign in with your work email and approve the MFA "
        "prompt.\n\n**Cannot connect?** Check that your home internet works, that the "
        "clock on your PC is right, and try a phone hotspot to rule out the home router.",
    ),
    (
        "network",
        PORTAL,
        ["wifi"],
        "Wi-Fi is slow or drops",
        "Quick checks before opening a ticket about Wi-Fi.",
        "- Move closer to the access point and away from microwaves.\n- Forget the network "
        "and join again.\n- Restart the laptop (not just sleep).\n- Note the time and "
        "place of the drops in your ticket: our controller keeps logs per access point.",
    ),
    (
        "printing",
        PORTAL,
        ["printer"],
        "Printer shows offline",
        "What to do when a network printer is offline in Windows.",
        "1. Check the printer has power and no paper jam.\n2. On the printer panel, note "
        "its IP address.\n3. In Windows, *Settings → Printers*, remove the printer and add "
        "it again.\n4. Still offline? Open a ticket with the printer name and IP.",
    ),
    (
        "printing",
        PORTAL,
        ["scanner"],
        "Scan to email does not arrive",
        "Troubleshoot scan-to-email on multifunction printers.",
        "Check the junk folder first. Large scans over 20 MB are refused by the mail "
        "server: scan at 200 dpi in black and white for documents.",
    ),
    (
        "backup",
        PORTAL,
        ["backup"],
        "Restore a deleted file from OneDrive or SharePoint",
        "Use the recycle bin to get deleted files back within 93 days.",
        "Open OneDrive on the web, choose **Recycle bin**, select the file and *Restore*. "
        "For SharePoint, use the site's recycle bin. After 93 days ask us: we restore "
        "from the backup service.",
    ),
    (
        "backup",
        INTERNAL,
        ["backup", "runbook"],
        "Runbook: server restore from image backup",
        "Bare-metal restore of a protected server (staff only).",
        "1. Confirm the restore point with the client contact.\n2. Boot the target from "
        "the recovery ISO.\n3. Map the backup repository with the service account from "
        "the password vault.\n4. Restore volumes; verify boot and services.\n5. Log time "
        "and attach the restore report to the ticket.",
    ),
    (
        "runbooks",
        INTERNAL,
        ["runbook", "onboarding"],
        "Runbook: onboard a new user",
        "Standard checklist for new starters at managed clients.",
        "- Create the Microsoft 365 account with the client's licence template\n- Add to "
        "the department security groups\n- Enrol the laptop in Intune; check BitLocker\n"
        "- Register MFA together with the user on day one\n- Send the welcome email with "
        "VPN and portal details",
    ),
    (
        "runbooks",
        INTERNAL,
        ["runbook", "offboarding"],
        "Runbook: offboard a leaving user",
        "Block access the same day and keep the data.",
        "Block sign-in, reset the password, revoke sessions, convert the mailbox to "
        "shared, remove licences after 30 days, wipe or collect devices, and note the "
        "asset changes.",
    ),
    (
        "runbooks",
        INTERNAL,
        ["rmm"],
        "Runbook: RMM agent offline for more than 24 hours",
        "Triage of devices that stopped reporting.",
        "Check the device's last user and whether it is in the office. Ask the client "
        "before reinstalling the agent. Devices offline for 30 days are marked stale.",
    ),
    (
        "getting-started",
        CHOSEN,
        ["portal"],
        "Your site: opening hours and escalation contacts",
        "Escalation contacts agreed in your service contract.",
        "Normal support hours are 08:00–18:00 on working days. For P1 outages outside "
        "those hours call the on-call number in your contract. Your account manager "
        "reviews open tickets with you every month.",
    ),
    (
        "email",
        ArticleVisibility.PORTAL,
        ["teams"],
        "Teams meeting audio problems",
        "Draft: being written.",
        "Check the selected device in *Settings → Devices*…",
    ),
]


@transaction.atomic
def load(stdout=None) -> None:
    from accounts.models import User
    from companies.models import Company

    author = User.objects.filter(is_superuser=True).order_by("pk").first()
    categories = {}
    for slug, name, parent, description in CATEGORIES:
        categories[slug], _created = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "parent": categories.get(parent),
                "description": description,
            },
        )
    client = Company.objects.filter(kind="client").order_by("pk").first()
    created = 0
    for index, (category, visibility, tags, title, summary, body) in enumerate(
        ARTICLES
    ):
        if visibility == CHOSEN and client is None:
            visibility = INTERNAL
        if Article.objects.filter(slug=slugify(title)).exists():
            continue
        tag_objects = [
            Tag.objects.get_or_create(slug=t, defaults={"name": t.replace("-", " ")})[0]
            for t in tags
        ]
        create_article(
            title=title,
            summary=summary,
            body=body,
            slug=slugify(title),
            category=categories[category],
            status=ArticleStatus.DRAFT
            if index == len(ARTICLES) - 1
            else ArticleStatus.PUBLISHED,
            visibility=visibility,
            companies=[client] if visibility == CHOSEN else [],
            tags=tag_objects,
            author=author,
        )
        created += 1
    ProviderConfig.objects.get_or_create(
        name="Knowledge base (offline)",
        defaults={"kind": ProviderKind.KNOWLEDGE, "is_active": True},
    )
    if stdout is not None:
        stdout.write(f"  knowledge: {created} article(s) created")
