"""Which contact permissions each role gets (granted after every migrate)."""

from accounts.choices import Role

ROLE_PERMISSIONS = {
    Role.TECHNICIAN: ["contacts.*_contact"],
    Role.MANAGER: ["contacts.*_contact", "contacts.view_historical*"],
    Role.BILLING: ["contacts.view_contact"],
    # Portal users read their own company's contacts (visible_to does the scoping).
    Role.CLIENT: ["contacts.view_contact"],
}
