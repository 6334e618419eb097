"""Role grants for the helpdesk (fnmatch patterns over "app_label.codename")."""

from accounts.choices import Role

ROLE_PERMISSIONS = {
    # Not "tickets.*": that would include view_all_tickets, and managers are
    # scoped to their department.
    Role.MANAGER: [
        "tickets.add_*",
        "tickets.change_*",
        "tickets.delete_*",
        "tickets.view_ticket",
        "tickets.view_comment",
        "tickets.view_attachment",
        "tickets.view_ticketevent",
        "tickets.view_timeentry",
        "tickets.view_cannedresponse",
        "tickets.view_slapolicy",
        "tickets.view_businesscalendar",
        "tickets.view_workinghours",
        "tickets.view_holiday",
        "tickets.view_tag",
        "tickets.view_mailbox",
        "tickets.view_inboundmessage",
    ],
    Role.TECHNICIAN: [
        "tickets.view_ticket",
        "tickets.add_ticket",
        "tickets.change_ticket",
        "tickets.view_comment",
        "tickets.add_comment",
        "tickets.view_attachment",
        "tickets.add_attachment",
        "tickets.view_ticketevent",
        "tickets.*_timeentry",
        "tickets.view_cannedresponse",
        "tickets.view_slapolicy",
        "tickets.view_businesscalendar",
        "tickets.view_tag",
        "tickets.add_tag",
    ],
    Role.BILLING: [
        "tickets.view_ticket",
        "tickets.view_all_tickets",
        "tickets.view_timeentry",
        "tickets.view_ticketevent",
        "tickets.view_slapolicy",
    ],
    Role.CLIENT: [
        "tickets.view_ticket",
        "tickets.add_ticket",
        "tickets.view_comment",
        "tickets.add_comment",
        "tickets.view_attachment",
        "tickets.add_attachment",
        "tickets.view_ticketevent",
        "tickets.view_timeentry",
    ],
}
