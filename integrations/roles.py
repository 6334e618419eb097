"""Role grants for the integration jobs (Admin gets everything automatically)."""

from accounts.choices import Role

ROLE_PERMISSIONS = {
    Role.MANAGER: ["integrations.view_syncjob", "integrations.view_syncrun"],
    Role.TECHNICIAN: [
        "integrations.view_syncjob",
        "integrations.view_syncrun",
        "integrations.run_syncjob",
    ],
}
