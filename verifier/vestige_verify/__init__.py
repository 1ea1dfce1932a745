"""``vestige-verify BAG --fingerprint SHA256:...``: a Vestige bag checked by a verifier obtained
independently of it (this package, built from the repository), never by the bag's own copy."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from vestige_verify import bag_verify

__all__ = ["cli", "verify"]


def _own_hash() -> str:
    return hashlib.sha256(Path(bag_verify.__file__).read_bytes()).hexdigest()


def _bag_info(bag: Path) -> dict[str, str]:
    out = {}
    try:
        for line in (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines():
            if ":" in line and not line.startswith((" ", "\t")):
                k, v = line.split(":", 1)
                out[k.strip()] = v.strip()
    except OSError:
        pass
    return out


def verify(bag: str | Path, fingerprint: str, tsa_roots: str = "") -> tuple[list[str], list[str]]:
    """(problems, notes): the bag's checks, with the bag's own verify.py compared to this one."""
    bag = Path(bag)
    notes: list[str] = []
    problems = bag_verify.verify_bag(str(bag), fingerprint, notes, tsa_roots)
    info = _bag_info(bag)
    named = info.get("Vestige-Verifier-SHA256", "").removeprefix("sha256:")
    copy = bag / "data" / "verify.py"
    actual = hashlib.sha256(copy.read_bytes()).hexdigest() if copy.exists() else ""
    if named and actual and named != actual:
        problems.append(f"data/verify.py: SHA-256 {actual}, but bag-info.txt names {named} (replaced)")
    if actual and actual != _own_hash():
        notes.append(f"data/verify.py differs from this verifier (SHA-256 {actual} vs {_own_hash()}): another "
                     "version, or replaced; never run the bag's copy")
    return problems, notes


def cli(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vestige-verify", description=__doc__)
    p.add_argument("bag")
    p.add_argument("--fingerprint", help="the organisation's ledger key fingerprint, obtained out of band")
    p.add_argument("--tsa-roots", default="", help="TSA root certificates you trust (PEM)")
    p.add_argument("--trust-bag-key", action="store_true",
                   help="check against the key the bag carries (NOT a verification of who signed it)")
    args = p.parse_args(argv)
    if not args.fingerprint and not args.trust_bag_key:
        print("error: give --fingerprint SHA256:... (the ledger key's, obtained from the organisation out of band);"
              " a bag checked against its own key proves nothing about who made it", file=sys.stderr)
        return 2
    problems, notes = verify(args.bag, args.fingerprint or "", args.tsa_roots)
    for x in problems:
        print("FAIL", x)
    if not problems:
        print(f"OK: every file, hash, custody event and signature verify (verifier SHA-256 {_own_hash()})")
        if not args.fingerprint:
            print("WARNING: checked against the bag's own key only (--trust-bag-key)")
    for n in notes:
        print("NOTE", n)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(cli())
