"""The skeletal inventory of commingled contexts (issue 31, part 4): bones recorded and imported
(every bad cell named), the MNI by hand, assembly into individuals and splitting, the sampling
advisor's order, and the DNA sample's bone."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from vestige.errors import Conflict, ImportRejected, InvalidInput, PermissionDenied
from vestige.history.services import history_of
from vestige.registry import inventory
from vestige.registry.models import Remains, SkeletalElement

# Trench 1: three left, two right and two unsided complete femora; three crania; a left femur 40 %
# complete (not counted: half or less). Bag 7: one mandible.
INVENTORY = """context,element,side,portion,completeness,taphonomy,grave,notes
Trench 1,femur,L,complete,100,,,
Trench 1,femur,L,complete,90,root etching,,
Trench 1,femur,L,proximal,60,,,
Trench 1,femur,R,complete,100,,,
Trench 1,femur,R,complete,100,,,
Trench 1,femur,U,shaft,70,,,
Trench 1,femur,U,shaft,55,,,
Trench 1,femur,L,distal,40,,,
Trench 1,cranium,M,complete,100,,,
Trench 1,skull,M,complete,80,,,
Trench 1,cranium,M,,100,,,
Bag 7,mandible,M,,100,,,
"""


def _import(user, site, text=INVENTORY, **kw):
    return inventory.import_inventory(user, site, io.BytesIO(text.encode()), "inventory.csv", **kw)


def test_an_inventory_is_counted_by_hand(examiner, site):
    out = _import(examiner, site)
    assert out["created"] == 12 and SkeletalElement.objects.filter(site=site).count() == 12
    counts = {c.context: c for c in inventory.context_mni(site)}
    t1 = counts["Trench 1"]
    femur = next(e for e in t1.elements if e.element == "femur")
    # femur: L 3 (the 40 % fragment left out), R 2, U 2 → max(3, 2) = 3, raised to ceil(7 / 2) = 4
    assert (femur.left, femur.right, femur.unsided, femur.count, femur.excluded) == (3, 2, 2, 4, 1)
    assert t1.mni == 4 and t1.by == ["femur"]
    assert counts["Bag 7"].mni == 1


def test_bad_cells_are_named_and_nothing_is_stored(examiner, site):
    bad = ("context,element,side,completeness,grave\n"
           "Trench 1,femur,X,100,\n"       # a side that is not one
           ",femur,L,100,\n"               # no context
           "Trench 1,wingbone,L,100,\n"    # not an element
           "Trench 1,cranium,L,100,\n"     # an unpaired bone with a side
           "Trench 1,tibia,R,140,\n"       # completeness over 100
           "Trench 1,tibia,R,100,G-404\n")  # no such grave
    with pytest.raises(ImportRejected) as err:
        _import(examiner, site, bad)
    got = {(r.line, r.column) for r in err.value.rows}
    assert got == {(2, "side"), (3, "context"), (4, "element"), (5, "side"), (6, "completeness"), (7, "grave")}
    assert not SkeletalElement.objects.exists()
    dry = _import(examiner, site, bad, dry_run=True)
    assert len(dry["errors"]) == 6 and not SkeletalElement.objects.exists()
    with pytest.raises(PermissionDenied):
        _import(examiner.__class__.objects.get(username="u-dna_analyst"), site)


def test_assemble_refuses_two_of_one_bone_and_splits_with_a_reason(examiner, site):
    _import(examiner, site)
    codes = {(e.element, e.side, e.completeness): e.code for e in SkeletalElement.objects.all()}
    left, right, cranium = codes[("femur", "L", 100.0)], codes[("femur", "R", 100.0)], codes[("cranium", "M", 100.0)]
    body = inventory.assemble(examiner, site, [left, right, cranium], "articulation", "T1-IND-1",
                              note="found articulated")
    assert body.body_number == "T1-IND-1" and body.elements.count() == 3
    other_left = codes[("femur", "L", 90.0)]
    with pytest.raises(Conflict):  # a second left femur
        inventory.assemble(examiner, site, [other_left], "osteometry", body)
    with pytest.raises(Conflict):  # already in an individual
        inventory.assemble(examiner, site, [left], "dna", "T1-IND-2")
    with pytest.raises(InvalidInput):
        inventory.assemble(examiner, site, [other_left], "guess", "T1-IND-2")
    with pytest.raises(InvalidInput):
        inventory.split(examiner, site, [right], " ")
    inventory.split(examiner, site, [right], "the DNA of the right femur disagrees")
    assert SkeletalElement.objects.get(code=right).remains is None and body.elements.count() == 2
    changes = [h.changes for h in history_of(body)]
    assert {"elements": [right, None]} in changes
    assert any(c.get("basis") == [None, "articulation"] for c in changes)


def test_the_sampling_advisor_puts_the_petrous_first(examiner, site):
    body = Remains.objects.create(body_number="ADV-1", site=site)
    made = {}
    for element, side, pct in (("rib 1", "L", 100), ("femur", "R", 100), ("metatarsal 2", "L", 90),
                               ("petrous", "L", 20), ("petrous", "R", 100), ("tibia", "L", 100)):
        made[(element, side)] = inventory.add_element(examiner, site, {"context": "Grave 3", "element": element,
                                                                      "side": side, "completeness": pct})
    inventory.assemble(examiner, site, [e.code for e in made.values()], "articulation", body)
    order = [(a.element, a.side) for a in inventory.sampling_advice(body)]
    # petrous (whole) → metatarsal → femur, tibia (by code) → rib → the 20 % petrous fragment last
    assert order == [("petrous", "R"), ("metatarsal 2", "L"), ("femur", "R"), ("tibia", "L"), ("rib 1", "L"),
                     ("petrous", "L")]


def test_a_dna_sample_names_its_bone(users, examiner, site):
    from vestige.identification.samples import add_remains_sample, set_sample_element

    body = Remains.objects.create(body_number="DNA-1", site=site)
    femur = inventory.add_element(examiner, site, {"context": "Grave 3", "element": "femur", "side": "L"})
    loose = inventory.add_element(examiner, site, {"context": "Grave 3", "element": "tibia", "side": "L"})
    inventory.assemble(examiner, site, [femur.code], "articulation", body)
    rng = np.random.default_rng(3)
    genotypes = {m: (str(a), str(a + 1)) for m, a in zip(("D3S1358", "VWA", "D16S539", "CSF1PO", "TPOX"),
                                                          rng.integers(11, 15, size=5), strict=True)}
    sample = add_remains_sample(users["dna_analyst"], body, genotypes, material="bone", lab="Lab", kit="Kit")
    with pytest.raises(Conflict):  # a bone of no individual, or of another
        set_sample_element(users["dna_analyst"], sample, loose.code)
    set_sample_element(users["dna_analyst"], sample, femur.code)
    advice = inventory.sampling_advice(body)
    assert advice[0].code == femur.code and advice[0].sampled


def test_the_page_and_the_export(examiner, site, client):
    client.force_login(examiner)
    url = f"/sites/{site.ref}/inventory/"
    r = client.post(url, {"action": "import", "file": io.BytesIO(INVENTORY.encode())})
    assert r.status_code == 302 and SkeletalElement.objects.count() == 12
    page = client.get(url).content.decode()
    assert "MNI" in page and "Trench 1" in page
    codes = list(SkeletalElement.objects.filter(element="cranium").values_list("code", flat=True))
    r = client.post(url, {"action": "assemble", "code": codes[:2], "body_number": "X-1", "basis": "dna"})
    assert r.status_code == 302 and not Remains.objects.filter(body_number="X-1").exists()  # two crania: refused
    r = client.post(url, {"action": "assemble", "code": codes[:1], "body_number": "X-1", "basis": "dna"})
    assert Remains.objects.get(body_number="X-1").elements.count() == 1
    bad = client.post(url, {"action": "import", "file": io.BytesIO(b"context,element,side\nT,femur,Q\n")})
    assert bad.status_code == 400 and "side" in bad.content.decode() and SkeletalElement.objects.count() == 12
    rows = list(csv.DictReader(io.StringIO(
        b"".join(client.get(f"/sites/{site.ref}/inventory.csv?bom=0").streaming_content).decode())))
    assert len(rows) == 12 and {r["individual"] for r in rows} == {"", "X-1"}


def test_dna_proposes_and_a_person_moves_the_bones(users, examiner, site, settings):
    """Two bags' bones typed alike: the matching run's pm-match proposes them as one person; the
    inventory shows it, and moving the bones refuses a second bone of one kind."""
    from vestige.identification import services as ident
    from vestige.identification.samples import add_remains_sample

    settings.VESTIGE_TASKS_INLINE = True
    rng = np.random.default_rng(5)
    markers = ["D3S1358", "VWA", "D16S539", "CSF1PO", "TPOX", "D8S1179", "D21S11", "D18S51", "D2S441", "D19S433",
               "TH01", "FGA", "D22S1045", "D5S818", "D13S317", "D7S820", "SE33", "D10S1248", "D1S1656", "D12S391",
               "D2S1338"]
    alleles = {"D21S11": (28, 33), "FGA": (19, 26), "SE33": (15, 30), "D2S1338": (17, 25), "D18S51": (12, 20),
               "D1S1656": (12, 18), "D12S391": (17, 23), "D19S433": (12, 16)}
    person = {m: tuple(str(int(x)) for x in sorted(rng.integers(*alleles.get(m, (8, 13)), size=2))) for m in markers}
    a = Remains.objects.create(body_number="BAG-1", site=site)
    b = Remains.objects.create(body_number="BAG-2", site=site)
    fa = inventory.add_element(examiner, site, {"context": "Bag 1", "element": "femur", "side": "L"})
    fb = inventory.add_element(examiner, site, {"context": "Bag 2", "element": "humerus", "side": "R"})
    inventory.assemble(examiner, site, [fa.code], "articulation", a)
    inventory.assemble(examiner, site, [fb.code], "articulation", b)
    for body in (a, b):
        add_remains_sample(users["dna_analyst"], body, person, material="bone", lab="Lab", kit="GlobalFiler")
    ident.start_run(users["dna_analyst"])
    [found] = inventory.dna_associations(site)
    assert set(found["remains"]) == {"BAG-1", "BAG-2"} and found["log10_lr"] > 6 and found["bones"] == [1, 1]
    inventory.merge_individuals(examiner, site, b, a, "dna", note="pm-match")
    assert set(a.elements.values_list("code", flat=True)) == {fa.code, fb.code}
    assert SkeletalElement.objects.get(code=fb.code).basis == "dna"
    c = Remains.objects.create(body_number="BAG-3", site=site)
    fc = inventory.add_element(examiner, site, {"context": "Bag 3", "element": "femur", "side": "L"})
    inventory.assemble(examiner, site, [fc.code], "articulation", c)
    with pytest.raises(Conflict):  # a second left femur for BAG-1
        inventory.merge_individuals(examiner, site, c, a, "dna")
