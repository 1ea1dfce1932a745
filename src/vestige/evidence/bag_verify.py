#!/usr/bin/env python3
"""Verify a Vestige evidence bag without Vestige: Python 3.9+ standard library + `cryptography`.

    python data/verify.py BAG_DIR [--fingerprint SHA256:....]

Checks, and names the file of every failure:
1. BagIt (RFC 8493): the tag manifest's hashes (bagit.txt, bag-info.txt, manifest-sha256.txt);
   every payload file has its manifest SHA-256, none missing or unlisted; Payload-Oxum.
2. bag-signature.json: the ledger key's Ed25519 signature over bagit.txt, bag-info.txt and the
   payload manifest (a tag file the tag manifest lists; bags before BagIt 1.0: over the tag
   manifest), so no manifest can be recomputed after an edit; the key's fingerprint equals the one in bag-info.txt and,
   when given, the one you obtained from the organisation out of band (compare it: a forger can
   make a whole new bag with a new key, but not with theirs).
3. The tree head's signature; each custody event's leaf hash and inclusion proof to the signed
   root (RFC 9162 §2.1.3.2).
4. Each item: its file's SHA-256 and size; its metadata file's facts (hashes, type, names,
   provenance, links, failed steps, the digest of its metadata) equal those of its newest facts
   event; its `exported` event is present and every earlier event it lists is in the bag.
5. Trusted time (when the bag has data/custody/timestamps/): each RFC 3161 token (N.tsr) is a
   TSA's signature over the exact bytes of the tree head (tree-head.json there, which must be the
   head's canonical JSON), chaining to the TSA roots (tsa-roots.pem in the bag, or the file you
   pass with --tsa-roots: obtain the TSA's root yourself to rule out a forged TSA). Checked with
   the `rfc3161-client` package when installed, else with OpenSSL:
       openssl ts -verify -data data/custody/timestamps/tree-head.json \
           -in data/custody/timestamps/1.tsr -CAfile tsa-roots.pem
6. Witnesses (when the bag has data/custody/checkpoint.txt): the head as a C2SP checkpoint signed
   by the ledger key, and the cosignatures of independent witnesses; with --witness VKEY (each
   witness's verifier key, obtained from the witness, never from the bag) each must verify and
   --quorum of them must have cosigned:
       python data/verify.py BAG --fingerprint SHA256:... --witness NAME+ID+KEY --witness ...
Exit status 0 when everything holds, 1 otherwise (2: a --witness key that is not one).
"""

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path

BAG_CONTEXT = b"vestige bag tag manifest v1\n"  # bags before BagIt 1.0: the signature over the tag manifest
BAG_CONTEXT_V2 = b"vestige bag v2\n"  # the signature over SIGNED's hashes, itself under the tag manifest
TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")
SIGNED = TAG_FILES


def signed_statement(bag):
    """What a v2 bag signature signs: the context line, then ``<sha256> <file>`` of each SIGNED file."""
    bag = Path(bag)
    return BAG_CONTEXT_V2 + b"".join(b"%s %s\n" % (_sha256_file(bag / name).encode(), name.encode()) for name in SIGNED)


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


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def normal(value):
    """As Vestige normalises values before hashing them (an integral float is an integer)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): normal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normal(v) for v in value]
    return value


def _sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _manifest(path, problems, strict=False):
    """{path: hash} of a manifest. ``strict`` (the tag manifest of a v2 bag, which no signature
    covers): every line exactly ``HASH PATH``, no blank line, the file ending in a newline — so no
    edit of it, however harmless it looks, goes unnoticed."""
    listed = {}
    text = path.read_text(encoding="utf-8")
    if strict and text and not text.endswith("\n"):
        problems.append(f"{path.name}: does not end with a newline (edited)")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if strict:
                problems.append(f"{path.name} line {n}: a blank line (edited)")
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            problems.append(f"{path.name} line {n}: not 'HASH PATH'")
            continue
        listed[parts[1].strip()] = parts[0].lower()
    return listed


def fingerprint(key):
    from cryptography.hazmat.primitives import serialization
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    h = hashlib.sha256(der).hexdigest()
    return "SHA256:" + ":".join(h[i:i + 4] for i in range(0, 64, 4))


def _bag_info(path):
    info = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if ":" in line and not line[:1].isspace():
            k, v = line.split(":", 1)
            info[k.strip()] = v.strip()
    return info


def _json(path, problems):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        problems.append(f"{path.name}: unreadable ({e})")
        return None


class _Unchecked(Exception):
    pass


def _verify_token(token_path, message_path, roots_path):
    """(time, TSA name) of a token verified over the message's bytes; ValueError if it fails,
    _Unchecked if neither rfc3161-client nor openssl is here."""
    import shutil
    import subprocess
    try:
        from cryptography import x509
        from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response
    except ImportError:
        if not shutil.which("openssl"):
            raise _Unchecked("install rfc3161-client (pip install rfc3161-client) or OpenSSL to check it") from None
        run = subprocess.run(["openssl", "ts", "-verify", "-data", str(message_path), "-in", str(token_path),
                              "-CAfile", str(roots_path)], capture_output=True, text=True)
        if run.returncode != 0 or "Verification: OK" not in run.stdout:
            raise ValueError("OpenSSL: " + (run.stdout + run.stderr).strip().splitlines()[-1]) from None
        text = subprocess.run(["openssl", "ts", "-reply", "-in", str(token_path), "-text"], capture_output=True,
                              text=True).stdout
        when = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Time stamp:")), "?")
        tsa = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("TSA:")), "?")
        return when, tsa
    try:
        response = decode_timestamp_response(token_path.read_bytes())
        roots = x509.load_pem_x509_certificates(roots_path.read_bytes())
    except (OSError, ValueError) as e:
        raise ValueError(f"unreadable ({e})") from None
    last = None
    for root in roots:
        try:
            VerifierBuilder(roots=[root]).build().verify_message(response, message_path.read_bytes())
            name = getattr(response.tst_info.name, "value", response.tst_info.name)
            return (response.tst_info.gen_time.isoformat(),
                    name.rfc4514_string() if hasattr(name, "rfc4514_string") else str(name or "?"))
        except (VerificationError, ValueError) as e:
            last = e
    raise ValueError(f"does not verify against the TSA roots ({last})")


def check_timestamps(bag, head, problems, notes, tsa_roots=""):
    folder = Path(bag) / "data" / "custody" / "timestamps"
    if not folder.is_dir():
        notes.append("no trusted timestamp in this bag: only the ledger key vouches for its times")
        return
    stamped = folder / "tree-head.json"
    if not stamped.is_file() or stamped.read_bytes() != canonical(head):
        problems.append("data/custody/timestamps/tree-head.json: not the exact bytes of data/custody/tree-head.json's "
                        "head (canonical JSON): the timestamps cover another head")
        return
    roots_path = Path(tsa_roots) if tsa_roots else folder / "tsa-roots.pem"
    tokens = sorted(folder.glob("*.tsr"), key=lambda p: (len(p.name), p.name))
    if not tokens:
        problems.append("data/custody/timestamps: no token (*.tsr)")
    for token in tokens:
        where = f"data/custody/timestamps/{token.name}"
        try:
            when, tsa = _verify_token(token, stamped, roots_path)
        except _Unchecked as e:
            notes.append(f"{where}: not checked: {e}")
            continue
        except ValueError as e:
            problems.append(f"{where}: the timestamp {e}")
            continue
        notes.append(f"{where}: head {head.get('number')} existed no later than {when} (TSA {tsa})")
    try:
        fps = [hashlib.sha256(c).hexdigest() for c in _pem_ders(roots_path.read_text(encoding="ascii"))]
        notes.append(f"TSA roots {roots_path.name}: SHA-256 {', '.join(fps)}"
                     + ("" if tsa_roots else " - compare with the TSA's published root, or pass --tsa-roots FILE"))
    except (OSError, ValueError):
        problems.append(f"{roots_path}: the TSA roots cannot be read")


def _pem_ders(text):
    blocks = text.split("-----BEGIN CERTIFICATE-----")[1:]
    return [base64.b64decode(b.split("-----END CERTIFICATE-----")[0]) for b in blocks]


def verify_bag(bag, expected_fingerprint="", notes=None, tsa_roots="", witnesses=None, quorum=None):  # noqa: C901, PLR0913 - one list of checks, in order
    notes = [] if notes is None else notes
    bag = Path(bag)
    problems = []
    data = bag / "data"
    for name in (*TAG_FILES, "tagmanifest-sha256.txt", "bag-signature.json"):
        if not (bag / name).is_file():
            problems.append(f"{name}: missing")
    if problems:
        return problems
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError:
        return ["the `cryptography` package is needed to check the signatures (pip install cryptography)"]

    # 1. Tag manifest, payload manifest, Payload-Oxum.
    sig_v2 = (_json(bag / "bag-signature.json", []) or {}).get("signs") != "tagmanifest-sha256.txt"
    tags = _manifest(bag / "tagmanifest-sha256.txt", problems, strict=sig_v2)
    for name in TAG_FILES:
        if name not in tags:
            problems.append(f"tagmanifest-sha256.txt: does not cover {name}")
    for name, digest in tags.items():
        path = bag / name
        if not path.is_file():
            problems.append(f"{name}: missing (listed in the tag manifest)")
        elif _sha256_file(path) != digest:
            problems.append(f"{name}: SHA-256 differs from the tag manifest (the file was changed)")
    sig = _json(bag / "bag-signature.json", problems) or {}
    v2 = sig.get("signs") != "tagmanifest-sha256.txt"
    if v2 and "bag-signature.json" not in tags:
        problems.append("tagmanifest-sha256.txt: does not cover bag-signature.json")
    version = _bag_info(bag / "bagit.txt").get("BagIt-Version", "")
    if version not in ("0.97", "1.0"):
        problems.append(f"bagit.txt: BagIt-Version {version!r} (expected 1.0, RFC 8493)")
    for path in bag.iterdir():
        if path.is_file() and path.name not in tags and path.name not in ("tagmanifest-sha256.txt", "bag-signature.json"):
            problems.append(f"{path.name}: a tag file not in the tag manifest (added after export)")
    listed = _manifest(bag / "manifest-sha256.txt", problems)
    octets = 0
    for name, digest in listed.items():
        path = bag / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif _sha256_file(path) != digest:
            problems.append(f"{name}: SHA-256 differs from the manifest (the file was changed)")
        else:
            octets += path.stat().st_size
    for path in data.rglob("*"):
        if path.is_file() and str(path.relative_to(bag)).replace("\\", "/") not in listed:
            problems.append(f"{path.relative_to(bag)}: not in the manifest (added after export)")
    info = _bag_info(bag / "bag-info.txt")
    oxum = info.get("Payload-Oxum", "")
    if oxum != f"{octets}.{len(listed)}":
        problems.append(f"bag-info.txt: Payload-Oxum {oxum or '(none)'}, the payload is {octets}.{len(listed)}")

    # 2. The signature over the tag manifest, the key's fingerprint.
    key_path = data / "custody" / "public-key.pem"
    try:
        key = load_pem_public_key(key_path.read_bytes())
    except (OSError, ValueError) as e:
        return problems + [f"data/custody/public-key.pem: not a public key ({e})"]
    fp = fingerprint(key)
    if info.get("Vestige-Ledger-Key-Fingerprint") != fp:
        problems.append(f"bag-info.txt: the key fingerprint {info.get('Vestige-Ledger-Key-Fingerprint')!r} is not "
                        f"that of data/custody/public-key.pem ({fp})")
    if expected_fingerprint and expected_fingerprint.strip().lower() != fp.lower():
        problems.append(f"data/custody/public-key.pem: its fingerprint {fp} is not the expected {expected_fingerprint}")
    try:
        if v2:
            if list(sig.get("signs") or []) != list(SIGNED):
                raise InvalidSignature
            key.verify(base64.b64decode(sig.get("signature", "")), signed_statement(bag))
        else:
            key.verify(base64.b64decode(sig.get("signature", "")),
                       BAG_CONTEXT + (bag / "tagmanifest-sha256.txt").read_bytes())
    except (InvalidSignature, ValueError, OSError):
        problems.append("tagmanifest-sha256.txt: the bag signature (bag-signature.json) does not verify: "
                        "a manifest, bag-info.txt or the signature was changed")

    # 3. The tree head and the events.
    head = _json(data / "custody" / "tree-head.json", problems)
    if not isinstance(head, dict):
        return problems
    try:
        signed = canonical({"number": head["number"], "root": head["root"], "size": head["size"],
                            "time": head["time"], "v": 2})
        key.verify(base64.b64decode(head["signature"]), signed)
        root, size = bytes.fromhex(head["root"]), int(head["size"])
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return problems + ["data/custody/tree-head.json: the signature does not verify with the bag's public key"]
    events = {}
    lines = (data / "custody" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        where = f"data/custody/events.jsonl line {n}"
        try:
            event = json.loads(line)
            entry = event["entry"].encode("utf-8")
            body = json.loads(event["entry"])
            index = int(event["index"])
            proof = [bytes.fromhex(p) for p in event["proof"]]
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            problems.append(f"{where}: not a custody event ({e})")
            continue
        leaf = hashlib.sha256(b"\x00" + entry).digest()
        if leaf.hex() != event.get("leaf_hash"):
            problems.append(f"{where}: event {index}: the entry was altered (leaf hash differs)")
            continue
        if body.get("index") != index or not verify_inclusion(index, size, leaf, proof, root):
            problems.append(f"{where}: event {index}: not in the signed log (inclusion proof fails)")
            continue
        events[index] = body

    # 4. Items: files, facts, completeness.
    info_id = info.get("External-Identifier", "")
    exports = {}
    for _index, body in sorted(events.items()):
        details = body.get("details") if isinstance(body.get("details"), dict) else {}
        if body.get("kind") == "exported" and details.get("bag") == info_id:
            exports[body.get("ref")] = details
    items = sorted((data / "metadata").glob("*.json"))
    for meta_path in items:
        where = f"data/metadata/{meta_path.name}"
        meta = _json(meta_path, problems)
        if not isinstance(meta, dict) or not isinstance(meta.get("facts"), dict):
            problems.append(f"{where}: not an item's metadata")
            continue
        ref, facts = meta.get("ref"), meta["facts"]
        original = data / str(meta.get("file", "")).replace("..", "")
        if not original.is_file():
            problems.append(f"{where}: its file {meta.get('file')} is missing")
        elif "sha256:" + _sha256_file(original) != facts.get("sha256") or original.stat().st_size != facts.get("size"):
            problems.append(f"data/{meta.get('file')}: its SHA-256 or size differs from {where}")
        if "sha256:" + hashlib.sha256(canonical(normal(meta.get("metadata")))).hexdigest() != facts.get("metadata_sha256"):
            problems.append(f"{where}: its metadata differs from the digest in its facts")
        mine = [(i, b) for i, b in sorted(events.items()) if b.get("ref") == ref]
        recorded = [((b.get("details") or {}).get("facts"), i) for i, b in mine if (b.get("details") or {}).get("facts")]
        if not recorded:
            problems.append(f"{where}: no custody event in the bag records {ref}'s facts")
        else:
            last, at = recorded[-1]
            for k in sorted(set(last) | set(facts)):
                a, b = normal(last.get(k)), normal(facts.get(k))
                if a == b:
                    continue
                if k == "provenance" and isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
                    for n, (pa, pb) in enumerate(zip(a, b), 1):  # noqa: B905 - Python 3.9 has no strict=
                        for f in sorted(set(pa) | set(pb)):
                            if pa.get(f) != pb.get(f):
                                problems.append(f"{where}: provenance entry {n} {f} is {pb.get(f)!r}; custody event "
                                                f"{at} records {pa.get(f)!r}")
                else:
                    problems.append(f"{where}: {k} differs from custody event {at}")
        if any(b.get("item") != facts.get("sha256") for _i, b in mine):
            problems.append(f"{where}: a custody event of {ref} names another file's hash")
        # Bags since issue 24 list their events in the item's metadata (signed with the bag; the
        # "exported" event is logged once the bag is complete); older bags carry that event.
        export = exports.get(ref)
        listed = meta.get("export") if isinstance(meta.get("export"), dict) else None
        if export is None and listed is not None:
            if listed.get("bag") != info_id:
                problems.append(f"{where}: its export record names bag {listed.get('bag')!r}, not this bag {info_id!r}")
            export = listed
        if export is None:
            problems.append(f"data/custody/events.jsonl: the export event of {ref} is missing")
            continue
        absent = [i for i in export.get("events", []) if i not in events or events[i].get("ref") != ref]
        if absent:
            problems.append(f"data/custody/events.jsonl: {len(absent)} custody events of {ref} are missing "
                            f"(e.g. {absent[0]})")
        if export.get("of") != len(items):
            problems.append(f"data/metadata: the bag was exported with {export.get('of')} items; it holds {len(items)}")
    for ref in sorted(set(exports) - {(_json(p, []) or {}).get("ref") for p in items}):
        problems.append(f"data/metadata/{ref}.json: missing (the bag was exported with it)")

    # 5. Trusted time.
    check_timestamps(bag, head, problems, notes, tsa_roots)
    # 6. Witnesses.
    check_witnesses(bag, head, key, problems, notes, witnesses or [], quorum)
    return problems


COSIGNATURE_V1 = 4


def _key_id(name, sig_type, public):
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public).digest()[:4]


def _witness_key(vkey):
    """(name, key ID, raw Ed25519 key) of a witness verifier key ``name+keyid+base64(0x04 || key)``."""
    try:
        name, hex_id, b64 = vkey.strip().split("+", 2)
        raw = base64.b64decode(b64, validate=True)
        ok = len(raw) == 33 and raw[0] == COSIGNATURE_V1 and _key_id(name, raw[0], raw[1:]).hex() == hex_id
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"--witness {vkey!r}: not a witness verifier key (name+keyid+base64, type 0x04)")
    return name, bytes.fromhex(hex_id), raw[1:]


def check_witnesses(bag, head, key, problems, notes, witnesses, quorum=None):  # noqa: C901 - one check, in order
    """data/custody/checkpoint.txt: the head as a C2SP checkpoint (origin, size, base64 root),
    signed by the ledger key, with cosignatures by witnesses (c2sp.org/tlog-cosignature v1:
    Ed25519 over "cosignature/v1\ntime T\n" and the checkpoint). Each witness key the user gives
    (obtained from the witness itself) that cosigned must verify; ``quorum`` of them must have."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    path = Path(bag) / "data" / "custody" / "checkpoint.txt"
    where = "data/custody/checkpoint.txt"
    if not path.is_file():
        if witnesses:
            problems.append(f"{where}: missing: the bag carries no witness cosignatures")
        return
    raw = path.read_bytes()
    at = raw.rfind(b"\n\n")
    text, lines = raw[:at + 1], raw[at + 2:].decode("utf-8", "replace").splitlines()
    body = text.decode("utf-8", "replace").split("\n")
    try:
        origin, size, root = body[0], int(body[1]), base64.b64decode(body[2], validate=True)
    except (IndexError, ValueError):
        problems.append(f"{where}: not a checkpoint (origin, size and root, one per line)")
        return
    if size != int(head["size"]) or root.hex() != head["root"]:
        problems.append(f"{where}: its size and root are not the signed head's")
    public = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    sigs = []
    for line in lines:
        parts = line.split(" ")
        try:
            sigs.append((parts[1], base64.b64decode(parts[2], validate=True)))
        except (IndexError, ValueError):
            problems.append(f"{where}: not a signature line: {line[:60]!r}")
    log_id = _key_id(origin, 1, public)
    log_sigs = [blob[4:] for name, blob in sigs if name == origin and blob[:4] == log_id]
    try:
        if not log_sigs:
            raise InvalidSignature
        key.verify(log_sigs[0], text)
    except InvalidSignature:
        problems.append(f"{where}: not signed by the bag's ledger key")
    if not witnesses:
        others = sum(1 for name, _blob in sigs if name != origin)
        if others:
            notes.append(f"{where} holds {others} witness cosignatures, not checked: pass --witness VKEY for each "
                         "witness you trust (obtained from the witness itself) to check them")
        return
    good = set()
    for vkey in witnesses:
        name, kid, wkey = _witness_key(vkey)
        for sname, blob in sigs:
            if sname != name or blob[:4] != kid:
                continue
            if len(blob) != 4 + 8 + 64:
                problems.append(f"{where}: the cosignature of {name} is malformed")
                continue
            stamp = int.from_bytes(blob[4:12], "big")
            try:
                Ed25519PublicKey.from_public_bytes(wkey).verify(blob[12:], b"cosignature/v1\ntime %d\n" % stamp + text)
                good.add(name)
            except InvalidSignature:
                problems.append(f"{where}: the cosignature of {name} does not verify (the checkpoint was altered)")
    need = len(witnesses) if quorum is None else quorum
    if len(good) < need:
        problems.append(f"{where}: cosigned by {len(good)} of the witnesses given, {need} needed")
    else:
        notes.append(f"the signed head is cosigned by {', '.join(sorted(good))}")


def main(argv):
    parser = argparse.ArgumentParser(description="Verify a Vestige evidence bag.")
    parser.add_argument("bag", nargs="?", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--fingerprint", default="", help="the ledger key's fingerprint, obtained out of band")
    parser.add_argument("--tsa-roots", default="", help="a PEM file of TSA root certificates you trust "
                                                        "(default: the bag's own tsa-roots.pem)")
    parser.add_argument("--witness", action="append", default=[], metavar="VKEY",
                        help="a witness's verifier key, obtained from the witness: its cosignature must verify")
    parser.add_argument("--quorum", type=int, default=None, help="how many --witness keys must have cosigned "
                                                                  "(default: all of them)")
    args = parser.parse_args(argv[1:])
    notes = []
    try:
        problems = verify_bag(args.bag, args.fingerprint, notes, args.tsa_roots, args.witness, args.quorum)
    except ValueError as e:
        print("error:", e, file=sys.stderr)
        return 2
    for p in problems:
        print("FAIL", p)
    if not problems:
        try:
            from cryptography.hazmat.primitives.serialization import load_pem_public_key
            fp = fingerprint(load_pem_public_key((Path(args.bag) / "data" / "custody" / "public-key.pem").read_bytes()))
        except Exception:  # noqa: BLE001 - only for the message
            fp = "?"
        print("OK: every file, hash, custody event and signature verify")
        print(f"signed by the ledger key {fp}" + ("" if args.fingerprint else
              " - compare it with the fingerprint the organisation publishes, or pass --fingerprint"))
    for n in notes:
        print("NOTE", n)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
