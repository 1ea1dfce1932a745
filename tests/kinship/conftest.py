from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "kinship"
EXAMPLES = ["dvir-example1", "dvir-example2", "dvir-planecrash", "dvir-grave"]


@pytest.fixture(autouse=True)
def _no_django_needed():
    """The kinship engine is pure: these tests use neither the database nor settings."""
    yield


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p
