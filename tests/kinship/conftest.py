from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "kinship"
EXAMPLES = ["dvir-example1", "dvir-example2", "dvir-planecrash", "dvir-grave"]


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p
