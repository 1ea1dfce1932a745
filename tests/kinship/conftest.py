from __future__ import annotations

from pathlib import Path

from vestige.kinship import read_frequencies, read_profiles
from vestige.kinship.io import family_from_dict

DATA = Path(__file__).resolve().parents[1] / "data" / "kinship"
EXAMPLES = ["dvir-example1", "dvir-example2", "dvir-planecrash", "dvir-grave"]


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


NORWEGIAN = DATA / "norwegian-35-markers.csv"
CASES = DATA / "cases"  # the shared reproductions, as the tests keep them
PARENT_CHILD = [{"id": "F", "sex": "male", "sample": "REF"}, {"id": "M", "sex": "female"},
                {"id": "MP", "sex": "male", "father": "F", "mother": "M", "missing": True}]


def one_marker(tmp_path: Path, freqs: dict, profiles: dict, members: list):
    """(table, profiles, family) of a one-marker case ``L1`` written as files and read back."""
    f = write(tmp_path, "f.csv", "marker,allele,frequency\n" + "".join(f"L1,{a},{p}\n" for a, p in freqs.items()))
    prof = write(tmp_path, "p.csv", "sample,marker,allele1,allele2\n" + "".join(
        f"{s},L1,{a},{b}\n" for s, (a, b) in profiles.items()))
    table, pr = read_frequencies(f), read_profiles(prof)
    return table, pr, family_from_dict({"family": "F", "members": members}, "F.json", pr)


def search_case(case: str, *args) -> list[str]:
    """``vestige kinship search`` arguments for one of the shared reproductions."""
    d = CASES / case
    return ["kinship", "search", "--freqs", str(NORWEGIAN), "--profiles", str(d / "profiles.csv"),
            "--families", str(d / "families"), "--samples", str(d / "remains.csv"), "--json", "--quiet", *args]
