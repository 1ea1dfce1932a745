"""Tables in and out: the one reader of imported CSV/XLSX files and the one writer of CSV exports.

Reading refuses what would lose data silently, naming the line and column: text that is not
UTF-8, NUL bytes, an unterminated quote, a file cut off in the middle of a row, a row with more
cells than the header, formulas (an XLSX formula cell, or a CSV cell starting with ``=``: its
value is whatever a spreadsheet last computed, or nothing).

Writing neutralises formulas (OWASP, CSV injection): a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return, and is not a plain number, is written with a leading ``'`` so
that no spreadsheet runs it.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from django.utils.translation import gettext as _

from vestige.errors import ImportRejected, InvalidInput, RowError

MAX_ROWS = 500_000
MAX_COLUMNS = 1_000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def read_table(data: BinaryIO, name: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Read a CSV (UTF-8) or XLSX file into its header and (line number, row) pairs.

    Line numbers are those a person sees: the header is line 1. Blank rows are skipped.
    """
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        rows = _read_xlsx(data, name)
    elif suffix in {".csv", ".txt", ".tsv", ".ped", ""}:  # .ped, .tsv: pedtools' tab-separated tables
        rows = _read_csv(data, name)
    else:
        raise InvalidInput(
            _("%(name)s: unsupported file type %(s)r; use .csv or .xlsx") % {"name": name, "s": suffix},
            field="file",
        )
    if not rows:
        raise InvalidInput(_("%(name)s is empty: no header row.") % {"name": name}, field="file")
    header = [h.strip().lower() for h in rows[0][1]]
    body = []
    for line, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            extra = [c for c in cells[len(header):] if c.strip()]
            if extra:
                raise ImportRejected(name, [RowError(line, "?", extra[0], _("more cells than header columns"))])
        body.append((line, {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}))
        if len(body) > MAX_ROWS:
            raise InvalidInput(_("%(name)s has more than %(n)d rows; split it.") % {"name": name, "n": MAX_ROWS}, field="file")
    return header, body


def _read_csv(data: BinaryIO, name: str) -> list[tuple[int, list[str]]]:
    raw = data.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(
            _("%(name)s is not UTF-8 text (byte %(pos)d); save it as CSV UTF-8.") % {"name": name, "pos": e.start},
            field="file",
        ) from None
    if "\x00" in text:
        raise InvalidInput(_("%(name)s contains NUL bytes: not a CSV file.") % {"name": name}, field="file")
    # The delimiter from the header line: a comma, or the semicolon Excel writes where the comma is the
    # decimal mark (a Ukrainian or German Excel), or a tab.
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > max(first.count(","), first.count(";")) else (
        ";" if first.count(";") > first.count(",") else ",")
    # strict: an unterminated quote is an error (at the end of the file: "unexpected end of data").
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            if len(rows) > MAX_ROWS:  # counted while reading, blank rows too
                raise InvalidInput(_("%(name)s has more than %(n)d rows; split it.") % {"name": name, "n": MAX_ROWS},
                                   field="file")
            if len(row) > MAX_COLUMNS:
                raise InvalidInput(_("%(name)s, line %(l)d: more than %(n)d columns; not a table to import.")
                                   % {"name": name, "l": start, "n": MAX_COLUMNS}, field="file")
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as e:
        raise InvalidInput(_("%(name)s, line %(l)d: %(e)s (an unterminated quote?); nothing was imported")
                           % {"name": name, "l": start, "e": e}, field="file") from None
    if rows and text and not text.endswith(("\n", "\r")) and len(rows) > 1 and len(rows[-1][1]) < len(rows[0][1]):
        line, cells = rows[-1]
        raise InvalidInput(_("%(name)s, line %(l)d: the file ends in the middle of a row (%(n)d of %(h)d columns): "
                             "it looks truncated; nothing was imported")
                           % {"name": name, "l": line, "n": len(cells), "h": len(rows[0][1])}, field="file")
    header = [h.strip().lower() for h in rows[0][1]] if rows else []
    bad = [RowError(line, header[i] if i < len(header) else f"column {i + 1}", cell,
                    _("a formula; type the value itself (a leading ' keeps text that starts with =)"))
           for line, cells in rows[1:] for i, cell in enumerate(cells) if cell.lstrip().startswith("=")]
    if bad:
        raise ImportRejected(name, bad)
    return rows


def _read_xlsx(data: BinaryIO, name: str) -> list[tuple[int, list[str]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(data, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as e:
        raise InvalidInput(_("%(name)s is not a readable XLSX workbook (%(e)s).") % {"name": name, "e": e}, field="file") from None
    try:
        ws = wb.worksheets[0]
        declared = ws.max_row or 0  # the sheet's own <dimension>: a bomb usually says so at once
        if declared > MAX_ROWS + 1:
            raise InvalidInput(_("%(name)s has %(d)d rows (more than %(n)d); split it.")
                               % {"name": name, "d": declared - 1, "n": MAX_ROWS}, field="file")
        out, formulas = [], []
        for idx, row in enumerate(ws.iter_rows(), start=1):
            if idx > MAX_ROWS + 1:  # counted while streaming: a dimension can lie; blank rows count too
                raise InvalidInput(_("%(name)s has more than %(n)d rows; split it.") % {"name": name, "n": MAX_ROWS},
                                   field="file")
            if len(row) > MAX_COLUMNS:
                raise InvalidInput(_("%(name)s, line %(l)d: more than %(n)d columns; not a table to import.")
                                   % {"name": name, "l": idx, "n": MAX_COLUMNS}, field="file")
            cells = []
            for col, cell in enumerate(row, start=1):
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value.startswith("=")
                                                                and idx > 1):
                    formulas.append((idx, col, str(value)))
                cells.append("" if value is None else _xlsx_text(value))
            out.append((idx, cells))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as e:
        raise InvalidInput(_("%(name)s: the workbook is damaged (%(e)s).") % {"name": name, "e": e}, field="file") from None
    finally:
        wb.close()
    if formulas:
        header = [h.strip().lower() for h in out[0][1]] if out else []
        raise ImportRejected(name, [
            RowError(line, header[col - 1] if col <= len(header) else f"column {col}", f,
                     _("a formula cell: its value is not stored reliably; paste the values instead"))
            for line, col, f in formulas])
    return out


def _xlsx_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "date") and callable(value.date) and hasattr(value, "hour"):
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- writing ---------------------------------------------------------------------------------

def safe_cell(value) -> str:
    """One exported cell: text that a spreadsheet would run as a formula gets a leading ``'``."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns the line: lets csv.writer feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """CSV lines (for a streaming response), every cell neutralised."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([safe_cell(c) for c in row])


def write_csv(stream, rows: Iterable[list]) -> None:
    writer = csv.writer(stream)
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_XLSX_ROWS = 1_048_575  # Excel's sheet limit, less the header


def table_response(request, rows: Iterable[list], name: str):
    """A table download named ``name``: CSV in UTF-8 with a byte-order mark (Excel then reads
    Cyrillic; ``?bom=0`` leaves it out), or an XLSX workbook with ``?format=xlsx`` (openpyxl,
    write-only: one row at a time). Cells are neutralised either way (no formula runs)."""
    from django.http import HttpResponse, StreamingHttpResponse

    if request.GET.get("format") == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(name[:31])
        for n, row in enumerate(rows):
            if n > MAX_XLSX_ROWS:
                raise InvalidInput(_("More than %(n)d rows: an XLSX sheet cannot hold them; export CSV.") % {
                    "n": MAX_XLSX_ROWS}, field="format")
            sheet.append([safe_cell(c) for c in row])
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(out.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    head = [] if request.GET.get("bom") == "0" else ["\ufeff"]
    response = StreamingHttpResponse(itertools.chain(head, csv_lines(rows)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
