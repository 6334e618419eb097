"""Which inventory permissions each role gets (granted after every migrate)."""

from accounts.choices import Role

_INVENTORY = ["asset", "software", "licence", "licenceassignment"]

ROLE_PERMISSIONS = {
    # The seed: admin and technician read and write the client database.
    Role.TECHNICIAN: ["assets.*_asset", "assets.*_software", "assets.*_licence*"],
    Role.MANAGER: [
        "assets.*_asset",
        "assets.*_software",
        "assets.*_licence*",
        "assets.view_historical*",
    ],
    Role.BILLING: [f"assets.view_{name}" for name in _INVENTORY],
    # Portal users read their own company's rows (visible_to does the scoping).
    Role.CLIENT: [f"assets.view_{name}" for name in _INVENTORY],
}


# Networks, hosts and fleet monitoring (issue 9): technicians and managers manage
# them; clients read their own company's networks (visible_to scopes them).
ROLE_PERMISSIONS[Role.TECHNICIAN] += ["assets.*_network", "assets.*_host"]
ROLE_PERMISSIONS[Role.MANAGER] += ["assets.*_network", "assets.*_host"]
ROLE_PERMISSIONS[Role.CLIENT] += ["assets.view_network", "assets.view_host"]

# Fleet: technicians enrol hosts, queue and cancel jobs and keep schedules;
# managers also set the alert rules. Clients see no fleet data at all.
_FLEET = [
    "assets.*_enrolmenttoken",
    "assets.*_agent",
    "assets.view_agentreport",
    "assets.*_fleetjob",
    "assets.*_jobschedule",
    "assets.view_fleetalert",
    "assets.view_alertrule",
]
ROLE_PERMISSIONS[Role.TECHNICIAN] += _FLEET
ROLE_PERMISSIONS[Role.MANAGER] += [*_FLEET, "assets.*_alertrule", "assets.*_fleetalert"]
