"""Manufacturing role grants (the NEXUS seed's roles; Admin gets everything).

Reading is shared by every manufacturing role; each write belongs to the role
that does it on the shop floor. Services check the same permissions, so the
API, pages and admin all agree.
"""

from accounts.choices import Role

_READ = [
    "manufacturing.view_purchaseorder",
    "manufacturing.view_purchaseorderline",
    "manufacturing.view_travelertype",
    "manufacturing.view_routingoperation",
    "manufacturing.view_bomtemplate",
    "manufacturing.view_bomtemplateline",
    "manufacturing.view_traveler",
    "manufacturing.view_bomitem",
    "manufacturing.view_processstep",
    "manufacturing.view_laborlog",
    "manufacturing.view_coatinglog",
    "manufacturing.view_inspection",
    "manufacturing.view_changerequest",
    "manufacturing.view_revisionhistory",
]

ROLE_PERMISSIONS = {
    # Oversight, reports and approvals: create, release, hold, cancel travelers,
    # correct labour logs after the fact, skip steps.
    Role.MANAGER: [
        *_READ,
        "manufacturing.add_traveler",
        "manufacturing.change_traveler",
        "manufacturing.release_traveler",
        "manufacturing.hold_traveler",
        "manufacturing.cancel_traveler",
        "manufacturing.view_reports",
        "manufacturing.change_laborlog",
        "manufacturing.skip_processstep",
        "manufacturing.add_changerequest",
    ],
    # Start and stop labour, complete any step, record coating data.
    Role.OPERATOR: [
        *_READ,
        "manufacturing.work_processstep",
        "manufacturing.add_laborlog",
        "manufacturing.add_coatinglog",
    ],
    # Inspections, QC sign-off, hold on quality grounds.
    Role.QUALITY: [
        *_READ,
        "manufacturing.add_inspection",
        "manufacturing.signoff_processstep",
        "manufacturing.add_coatinglog",
        "manufacturing.hold_traveler",
        "manufacturing.add_changerequest",
    ],
    # Purchase orders and BOM line statuses.
    Role.PURCHASING: [
        *_READ,
        "manufacturing.add_purchaseorder",
        "manufacturing.change_purchaseorder",
        "manufacturing.delete_purchaseorder",
        "manufacturing.add_purchaseorderline",
        "manufacturing.change_purchaseorderline",
        "manufacturing.delete_purchaseorderline",
        "manufacturing.change_bomitem_status",
    ],
    # Assembly steps only.
    Role.ASSEMBLY: [
        *_READ,
        "manufacturing.work_assembly_processstep",
        "manufacturing.add_laborlog",
    ],
    # Routing, BOM and templates, drafts, release, change approvals.
    Role.ENGINEER: [
        *_READ,
        "manufacturing.add_traveler",
        "manufacturing.change_traveler",
        "manufacturing.release_traveler",
        "manufacturing.*_travelertype",
        "manufacturing.*_routingoperation",
        "manufacturing.*_bomtemplate",
        "manufacturing.*_bomtemplateline",
        "manufacturing.add_bomitem",
        "manufacturing.change_bomitem",
        "manufacturing.delete_bomitem",
        "manufacturing.change_processstep",
        "manufacturing.skip_processstep",
        "manufacturing.add_changerequest",
        "manufacturing.approve_changerequest",
    ],
    # A customer follows its own orders and travelers in the portal.
    Role.CLIENT: [
        "manufacturing.view_purchaseorder",
        "manufacturing.view_purchaseorderline",
        "manufacturing.view_traveler",
    ],
}
