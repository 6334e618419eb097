"""Which companies permissions each role gets (granted after every migrate)."""

from accounts.choices import Role

_TECHNICIAN = [
    "companies.view_company",
    "companies.add_company",
    "companies.change_company",
    "companies.view_location",
    "companies.add_location",
    "companies.change_location",
    "companies.view_rmmsitelink",
    "companies.add_rmmsitelink",
    "companies.change_rmmsitelink",
    "companies.view_plan",
    "companies.view_planfeature",
    "companies.view_companyfeatureoverride",
    "companies.view_creditaccount",
    "companies.view_credittransaction",
]

ROLE_PERMISSIONS = {
    Role.TECHNICIAN: _TECHNICIAN,
    Role.MANAGER: [*_TECHNICIAN, "companies.view_historical*"],
    Role.BILLING: [
        "companies.view_company",
        "companies.view_plan",
        "companies.view_planfeature",
        "companies.view_companyfeatureoverride",
        "companies.view_creditaccount",
        "companies.view_credittransaction",
        "companies.add_credittransaction",
    ],
    Role.CLIENT: [
        "companies.view_company",
        "companies.view_location",
        "companies.view_creditaccount",
        "companies.view_credittransaction",
    ],
}
