"""Knowledge-base grants per role (see accounts.roles)."""

from accounts.choices import Role

READER = [
    "knowledge.view_article",
    "knowledge.view_category",
    "knowledge.view_tag",
    "knowledge.view_articleattachment",
    "knowledge.use_assistant",
]
EDITOR = [
    *READER,
    "knowledge.add_article",
    "knowledge.change_article",
    "knowledge.view_articleversion",
    "knowledge.add_articleattachment",
    "knowledge.change_articleattachment",
    "knowledge.delete_articleattachment",
    "knowledge.add_category",
    "knowledge.change_category",
    "knowledge.add_tag",
    "knowledge.change_tag",
]

ROLE_PERMISSIONS = {
    Role.MANAGER: [*EDITOR, "knowledge.*"],
    Role.TECHNICIAN: EDITOR,
    Role.BILLING: READER,
    Role.OPERATOR: READER,
    Role.QUALITY: READER,
    Role.PURCHASING: READER,
    Role.ASSEMBLY: READER,
    Role.ENGINEER: READER,
    Role.CLIENT: READER,
}
