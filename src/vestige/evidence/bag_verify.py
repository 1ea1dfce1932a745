#!/usr/bin/env python3
"""Verify a Vestige evidence bag without Vestige: Python 3.9+ standard library + `cryptography`.

    python data/verify.py BAG_DIR        (or: python verify.py from inside data/ with ..)

Checks, and names every failure:
1. BagIt payload: every file listed in manifest-sha256.txt has that SHA-256; no file is missing
   or unlisted (RFC 8493 §3).
2. Each original matches the SHA-256 in its item's metadata.
3. The tree head's Ed25519 signature verifies with the public key in the bag.
4. Each custody event: its leaf hash is SHA-256(0x00 || entry) and its inclusion proof leads
   to the signed root (RFC 9162 §2.1.3.2); the event's item hash matches the item's metadata.
Exit status 0 when everything holds, 1 otherwise.
"""

import base64
import hashlib
import json
import sys
from pathlib import Path


def _node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf, proof, root):
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def _sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_bag(bag):
    bag = Path(bag)
    problems = []
    data = bag / "data"
    manifest = bag / "manifest-sha256.txt"
    if not (bag / "bagit.txt").exists() or not manifest.exists():
        return [f"{bag}: not a BagIt bag with a SHA-256 manifest"]
    listed = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(None, 1)
            listed[name.strip()] = digest.lower()
    for name, digest in listed.items():
        path = bag / name
        if not path.exists():
            problems.append(f"payload {name}: missing")
        elif _sha256_file(path) != digest:
            problems.append(f"payload {name}: SHA-256 differs from the manifest (the file was changed)")
    for path in data.rglob("*"):
        if path.is_file() and str(path.relative_to(bag)).replace("\\", "/") not in listed:
            problems.append(f"payload {path.relative_to(bag)}: not in the manifest (added after export)")
    items = {}
    for meta_path in sorted((data / "metadata").glob("*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        items[meta["ref"]] = meta
        original = data / meta["file"]
        if not original.exists():
            problems.append(f"{meta['ref']}: its file {meta['file']} is missing")
        elif "sha256:" + _sha256_file(original) != meta["sha256"]:
            problems.append(f"{meta['ref']}: the file's SHA-256 differs from the recorded {meta['sha256']}")
    head = json.loads((data / "custody" / "tree-head.json").read_text(encoding="utf-8"))
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError:
        return problems + ["the `cryptography` package is needed to check the signature (pip install cryptography)"]
    key = load_pem_public_key((data / "custody" / "public-key.pem").read_bytes())
    signed = json.dumps({"root": head["root"], "size": head["size"], "time": head["time"], "v": 1},
                        sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    try:
        key.verify(base64.b64decode(head["signature"]), signed)
    except (InvalidSignature, ValueError):
        problems.append("tree head: the signature does not verify with the bag's public key")
    root = bytes.fromhex(head["root"])
    for line in (data / "custody" / "events.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        entry = event["entry"].encode("utf-8")
        leaf = hashlib.sha256(b"\x00" + entry).digest()
        if leaf.hex() != event["leaf_hash"]:
            problems.append(f"custody event {event['index']}: the entry was altered (leaf hash differs)")
            continue
        if not verify_inclusion(event["index"], head["size"], leaf, [bytes.fromhex(p) for p in event["proof"]], root):
            problems.append(f"custody event {event['index']}: not in the signed log (inclusion proof fails)")
        body = json.loads(event["entry"])
        ref = body.get("ref")
        if ref in items and body.get("item") != items[ref]["sha256"]:
            problems.append(f"custody event {event['index']}: names {body.get('item')}, not {ref}'s hash")
    return problems


def main(argv):
    bag = argv[1] if len(argv) > 1 else str(Path(__file__).resolve().parent.parent)
    problems = verify_bag(bag)
    for p in problems:
        print("FAIL", p)
    if not problems:
        print("OK: every file, hash, custody event and the signed tree head verify")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
