"""The four traveler types of the NEXUS seed, each with a default routing."""

from decimal import Decimal

from django.db import migrations

K, SMT, TH, MACH, CUT, CRIMP, ASM, COAT, INSP, TEST, PACK = (
    "kitting", "smt", "through_hole", "machining", "cutting", "crimping",
    "assembly", "coating", "inspection", "test", "packing",
)

# (sequence, operation, work centre, std minutes/unit, signoff, coating, instructions)
ROUTINGS = {
    ("pcb", "PCB", False, "Printed circuit board assembly."): [
        (10, "Kit components", K, "2", False, False, "Pick the BOM to the kit tray; check MSL-sensitive parts."),
        (20, "SMT placement and reflow", SMT, "3", False, False, "Load the program for the part revision; verify the first board."),
        (30, "Through-hole soldering", TH, "4", False, False, "Hand or wave solder; trim leads to 1.5 mm."),
        (40, "Visual / AOI inspection", INSP, "1.5", True, False, "IPC-A-610 class 2 unless the PO says otherwise."),
        (50, "Conformal coating", COAT, "2.5", True, True, "Mask connectors; record lot, thickness and cure."),
        (60, "Functional test", TEST, "3", True, False, "Run the test procedure for the revision."),
        (70, "Pack and label", PACK, "0.5", False, False, "ESD bag, label with traveler number."),
    ],
    ("parts", "Parts", False, "Machined and fabricated parts."): [
        (10, "Issue material", K, "1", False, False, "Check material certificate against the PO."),
        (20, "Machine", MACH, "12", False, False, "Per drawing at the traveler revision."),
        (30, "Deburr and finish", MACH, "3", False, False, "Break all sharp edges."),
        (40, "First-article inspection", INSP, "5", True, False, "Measure all drawing dimensions on the first piece."),
        (50, "Pack and label", PACK, "0.5", False, False, ""),
    ],
    ("assembly", "Assembly", False, "Box build and mechanical assembly."): [
        (10, "Kit parts", K, "3", False, False, "Kit sub-assemblies and hardware."),
        (20, "Mechanical assembly", ASM, "15", False, False, "Torque fasteners to the drawing values."),
        (30, "Wiring and harness install", ASM, "10", False, False, "Route and tie harnesses; no sharp bends."),
        (40, "Final inspection", INSP, "4", True, False, "Workmanship and labelling."),
        (50, "Functional test", TEST, "6", True, False, "Run the acceptance test procedure."),
        (60, "Pack and label", PACK, "1", False, False, ""),
    ],
    ("cable", "Cable", True, "Cables and wire harnesses."): [
        (10, "Cut and strip", CUT, "1.5", False, False, "Cut to the BOM cut length; strip per the drawing."),
        (20, "Crimp and insert", CRIMP, "2.5", False, False, "Pull-test the first crimp of each reel."),
        (30, "Label and sleeve", ASM, "1", False, False, "Heat-shrink labels at both ends."),
        (40, "Continuity and hipot test", TEST, "1", True, False, "100% continuity; hipot per the drawing."),
        (50, "Pack and label", PACK, "0.5", False, False, ""),
    ],
}


def create_types(apps, schema_editor):
    TravelerType = apps.get_model("manufacturing", "TravelerType")
    RoutingOperation = apps.get_model("manufacturing", "RoutingOperation")
    for (code, name, cut, description), operations in ROUTINGS.items():
        traveler_type, created = TravelerType.objects.get_or_create(
            code=code,
            defaults={"name": name, "uses_cut_lengths": cut, "description": description},
        )
        if not created:
            continue
        for seq, operation, centre, minutes, signoff, coating, text in operations:
            RoutingOperation.objects.create(
                traveler_type=traveler_type,
                sequence=seq,
                operation=operation,
                work_centre=centre,
                standard_minutes=Decimal(minutes),
                requires_signoff=signoff,
                requires_coating=coating,
                instructions=text,
            )


def remove_types(apps, schema_editor):
    TravelerType = apps.get_model("manufacturing", "TravelerType")
    TravelerType.objects.filter(code__in=[k[0] for k in ROUTINGS]).delete()


class Migration(migrations.Migration):
    dependencies = [("manufacturing", "0001_initial")]

    operations = [migrations.RunPython(create_types, remove_types)]
