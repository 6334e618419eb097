"""Manufacturing models, split by concern (STYLE R1)."""

from .logs import ChangeRequest, CoatingLog, Inspection, LaborLog, RevisionHistory
from .orders import PurchaseOrder, PurchaseOrderLine
from .templates import BOMTemplate, BOMTemplateLine, RoutingOperation, TravelerType
from .travelers import (
    BOM_ENGINEERING_FIELDS,
    STEP_ENGINEERING_FIELDS,
    TRAVELER_ENGINEERING_FIELDS,
    BOMItem,
    ProcessStep,
    Traveler,
)

__all__ = [
    "BOM_ENGINEERING_FIELDS",
    "STEP_ENGINEERING_FIELDS",
    "TRAVELER_ENGINEERING_FIELDS",
    "BOMItem",
    "BOMTemplate",
    "BOMTemplateLine",
    "ChangeRequest",
    "CoatingLog",
    "Inspection",
    "LaborLog",
    "ProcessStep",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "RevisionHistory",
    "RoutingOperation",
    "Traveler",
    "TravelerType",
]
