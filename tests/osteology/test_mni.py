"""The minimum number of individuals of a commingled context (issue 31, part 4, in part), with the
counts derived by hand in each test."""

from __future__ import annotations

import json

import pytest

from vestige.cli import main
from vestige.osteology.mni import InventoryError, mni, read_inventory

INVENTORY = """context,element,side,completeness
G-1,femur,L,100
G-1,femur,L,80
G-1,femur,R,90
G-1,Femur,U,100
G-1,femur,U,100
G-1,femur,R,30
G-1,HUM,R,100
G-1,humerus,R,100
G-1,humerus,R,60
G-1,mandible,M,100
G-1,cranium,M,100
G-2,tibia,L,100
G-2,tibia,R,100
"""


def test_mni_by_element_and_side_counted_by_hand():
    counts = {c.context: c for c in mni(read_inventory(INVENTORY, "inv.csv"))}
    g1 = {e.element: e for e in counts["G-1"].elements}
    # femur: L 2, R 1 (the 30 % one is not counted), U 2 -> max(2, 1, ceil(5 / 2) = 3) = 3
    assert (g1["femur"].left, g1["femur"].right, g1["femur"].unsided, g1["femur"].excluded) == (2, 1, 2, 1)
    assert g1["femur"].count == 3
    # humerus: three right ones (HUM read as humerus) -> 3; mandible and cranium: 1 each
    assert g1["humerus"].count == 3 and g1["mandible"].count == 1 and g1["cranium"].count == 1
    assert counts["G-1"].mni == 3 and counts["G-1"].by == ["femur", "humerus"]
    # G-2: one left and one right tibia can be one person
    assert counts["G-2"].mni == 1
    # both contexts together: the femora and humeri of G-1 still need 3 people
    assert counts["*"].mni == 3


def test_bad_rows_are_named():
    with pytest.raises(InventoryError, match="line 2, element: 'wingbone'"):
        read_inventory("context,element,side\nG,wingbone,L\n", "x.csv")
    with pytest.raises(InventoryError, match="line 2, side: the sacrum has no side"):
        read_inventory("context,element,side\nG,sacrum,L\n", "x.csv")
    with pytest.raises(InventoryError, match="line 3, completeness: 120"):
        read_inventory("context,element,side,completeness\nG,femur,L,50\nG,femur,R,120\n", "x.csv")
    with pytest.raises(InventoryError, match="header needs"):
        read_inventory("bag,bone\nG,femur\n", "x.csv")


def test_the_command(tmp_path, capsys):
    path = tmp_path / "inventory.csv"
    path.write_text(INVENTORY, encoding="utf-8")
    assert main(["dvi", "mni", str(path), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["context"], r["mni"]) for r in rows] == [("G-1", 3), ("G-2", 1), ("*", 3)]
    bad = tmp_path / "bad.csv"
    bad.write_text("context,element,side\nG,femur,X\n", encoding="utf-8")
    assert main(["dvi", "mni", str(bad)]) == 2
    assert "bad.csv, line 2, side: 'X'" in capsys.readouterr().err
