"""Issue 28, part 1: the semicolon CSV a Ukrainian Excel saves (the comma is its decimal mark) is
read by every import, the registry's too (it was refused with "more cells than header columns")."""

from __future__ import annotations

import io

from vestige.registry.importing import import_file
from vestige.registry.models import Remains


def test_a_semicolon_csv_imports_remains(users, site):
    text = f"body_number;site;sex;age_min;age_max\nSEMI-1;{site.ref};male;30;40\nSEMI-2;{site.ref};female;;\n"
    report = import_file(users["administrator"], "remains", io.BytesIO(text.encode("utf-8-sig")), "excel.csv",
                         dry_run=False)
    assert report.created == 2 and report.errors == []
    assert Remains.objects.get(body_number="SEMI-1").age_max == 40
