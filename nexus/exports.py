"""Spreadsheet-safe exports (CSV injection, OWASP): a text cell that starts with
`=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a quote, so that a
spreadsheet shows it instead of running it as a formula. Plain numbers ("-12.5")
are left alone; they cannot be formulae.

- `safe_csv_writer(stream)` for the hand-written CSV downloads;
- `SafeCSV` / `SafeXLSX` as `export_formats` of django-import-export admins (its
  own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only drops one leading "=", which
  leaves "==1+1", "+1+cmd|…" and "@SUM(…)" live, and XLSX cells as formulae).
"""

from __future__ import annotations

import csv
import re

from import_export.formats import base_formats

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")


def neutralise(value):
    """The cell as it may be written: text that a spreadsheet would run is quoted."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.match(value)
    ):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def safe_csv_writer(stream, **kwargs) -> _SafeWriter:
    """csv.writer(stream) whose every text cell is neutralised."""
    return _SafeWriter(csv.writer(stream, **kwargs))


class _NeutraliseFormulae:
    def _escape_formulae(self, dataset):
        rows = [[neutralise(cell) for cell in row] for row in dataset]
        del dataset[:]
        for row in rows:
            dataset.append(row)

    def export_data(self, dataset, **kwargs):
        # Whatever IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT says; neutralising twice
        # changes nothing (a quoted cell starts with "'").
        self._escape_formulae(dataset)
        return super().export_data(dataset, **kwargs)


class SafeCSV(_NeutraliseFormulae, base_formats.CSV):
    pass


class SafeXLSX(_NeutraliseFormulae, base_formats.XLSX):
    pass
