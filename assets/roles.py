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
