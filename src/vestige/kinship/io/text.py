"""What the readers of :mod:`vestige.kinship.io` share: a file given as text (an upload, or data
decrypted for one run: never written to disk), CSV rows with their line numbers, JSON, and the
collector paused while millions of small objects are built."""

from __future__ import annotations

import csv
import gc
import io
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from vestige.kinship.errors import KinshipInputError

__all__ = ["ALLELE", "TextFile", "open_csv", "read_json", "without_gc"]

ALLELE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_]{0,15}$")  # an allele label: no formulas, markup or spaces


@dataclass(frozen=True)
class TextFile:
    """A file's name and its text, read like a file by every reader here (an upload, or data
    decrypted for one run: never written to disk)."""

    name: str
    text: str

    def __str__(self) -> str:
        return self.name


def _split_rows(lines: list[str], text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    if " " not in text and "\t" not in text and "\x0b" not in text and "\x0c" not in text:
        return [(n, line.split(delimiter)) for n, line in enumerate(lines, 1) if line.strip(delimiter)]
    return [(n, cells) for n, cells in ((n, [c.strip() for c in line.split(delimiter)])
                                        for n, line in enumerate(lines, 1)) if any(cells)]


def open_csv(path: str | Path | TextFile) -> tuple[str, list[tuple[int, list[str]]]]:
    if isinstance(path, TextFile):
        text = path.text.removeprefix("\ufeff")
    else:
        p = Path(path)
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            raise KinshipInputError(str(path), "no such file") from None
        except IsADirectoryError:
            raise KinshipInputError(str(path), "is a folder, not a file") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise KinshipInputError(str(path), f"not UTF-8 text (byte {e.start})") from None
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ("\t" if sample.count("\t") > sample.count(",") else ",")
    if '"' not in text and text.count("\r") == text.count("\r\n"):
        # No quoting and no lone CR: a row is a line, split as the csv module splits it (3x faster).
        lines = text.replace("\r\n", "\n").split("\n") if "\r" in text else text.split("\n")
        with without_gc():  # 10^5 small lists: the collector would walk them again and again
            rows = _split_rows(lines, text, delimiter)
        if not rows:
            raise KinshipInputError(str(path), "is empty")
        return str(path), rows
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            cells = [c.strip() for c in row]  # stripped once; a row of empty cells is skipped
            if any(cells):
                rows.append((reader.line_num, cells))
    except csv.Error as e:
        raise KinshipInputError(f"{path}, line {reader.line_num}", str(e)) from None
    if not rows:
        raise KinshipInputError(str(path), "is empty")
    return str(path), rows


def read_json(p: Path | str | TextFile):
    """Parse a JSON file; a missing, undecodable or malformed file is a KinshipInputError naming it."""
    try:
        if isinstance(p, TextFile):
            return json.loads(p.text)
        with open(p, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise KinshipInputError(str(p), "no such file") from None
    except IsADirectoryError:
        raise KinshipInputError(str(p), "is a folder, not a file") from None
    except RecursionError:
        raise KinshipInputError(str(p), "not valid JSON (nested too deeply)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise KinshipInputError(str(p), f"not valid JSON ({e})") from None


@contextmanager
def without_gc():
    """The cyclic garbage collector paused while a reader builds up to millions of small objects
    (none in a cycle): it would otherwise traverse them again and again as they pile up."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
