"""Role grants for projects, tasks and threads (see accounts.roles).

Which rows each role sees is decided by the querysets (projects.querysets); these
are the actions a role may take on the rows it sees.
"""

from accounts.choices import Role

ROLE_PERMISSIONS = {
    Role.MANAGER: ["projects.*"],
    Role.TECHNICIAN: [
        "projects.view_project",
        "projects.change_project",
        "projects.*_task",
        "projects.*_tasktimeentry",
        "projects.view_thread",
        "projects.add_thread",
        "projects.change_thread",
        "projects.view_message",
        "projects.add_message",
        "projects.view_threadfile",
        "projects.add_threadfile",
    ],
    Role.BILLING: [
        "projects.view_project",
        "projects.view_task",
        "projects.view_tasktimeentry",
    ],
    # A client sees only the threads they are invited to (querysets decide that).
    Role.CLIENT: [
        "projects.view_thread",
        "projects.view_message",
        "projects.add_message",
        "projects.view_threadfile",
        "projects.add_threadfile",
    ],
}
