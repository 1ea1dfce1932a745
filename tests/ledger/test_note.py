"""Signed notes, checkpoints, cosignatures and the witness's decision (C2SP signed-note,
tlog-checkpoint, tlog-cosignature v1, tlog-witness).

Independent references: the Go implementation's published vectors (golang.org/x/mod/sumdb/note,
its example_test.go and note_test.go: the PeterNeumann key signs the two-line text byte for byte as
below, the EnochRoot key's signature is a second one on the same text), and hand derivations of the
cosigned message from the tlog-cosignature text.
"""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vestige.ledger import consistency_proof, leaf_hash, root_hash
from vestige.ledger.note import (
    COSIGNATURE_V1,
    DASH,
    ED25519,
    Checkpoint,
    NoteError,
    NoteSigner,
    Verifier,
    cosignatures,
    signed_checkpoint,
    split,
    verified,
)
from vestige.ledger.witness import Request, Seen, add_checkpoint

GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = b"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = f"{DASH} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = f"{DASH} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"


def _go_signer() -> NoteSigner:
    raw = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert raw[0] == ED25519
    return NoteSigner("PeterNeumann", ED25519, Ed25519PrivateKey.from_private_bytes(raw[1:]))


def test_the_go_signing_vector_byte_for_byte():
    signer = _go_signer()
    assert signer.verifier.vkey() == GO_VKEY
    assert signer.sign(GO_TEXT) == PETER_SIG


def test_a_note_with_a_known_and_an_unknown_signature():
    note = GO_TEXT + b"\n" + (PETER_SIG + ENOCH_SIG).encode()
    peter, enoch = Verifier.parse(GO_VKEY), Verifier.parse(ENOCH_VKEY)
    assert verified(note, [peter]) == (GO_TEXT, {"PeterNeumann": None})  # EnochRoot unknown: ignored
    assert verified(note, [peter, enoch])[1] == {"PeterNeumann": None, "EnochRoot": None}
    with pytest.raises(NoteError, match="no signature by a known key"):
        verified(note, [])
    forged = note.replace(b"problem,", b"problem;")
    with pytest.raises(NoteError, match="does not verify"):
        verified(forged, [peter])


def test_key_ids_follow_the_formula_and_a_wrong_one_is_refused():
    v = Verifier.parse(GO_VKEY)
    assert v.key_id == hashlib.sha256(b"PeterNeumann\n\x01" + v.public).digest()[:4] == bytes.fromhex("c74f20a3")
    with pytest.raises(NoteError, match="does not match"):
        Verifier.parse(GO_VKEY.replace("c74f20a3", "c74f20a4"))
    for bad in ("PeterNeumann", "a b+c74f20a3+AAAA", "x+zz+AAAA", GO_VKEY[:-4]):
        with pytest.raises(NoteError):
            Verifier.parse(bad)
    with pytest.raises(NoteError, match="spaces"):
        NoteSigner("has space", ED25519, Ed25519PrivateKey.generate()).verifier.key_id  # noqa: B018


def test_malformed_notes_are_refused():
    for bad in (GO_TEXT + PETER_SIG.encode(),  # no blank line
                b"text\x01\n\n" + PETER_SIG.encode(),  # a control character
                GO_TEXT + b"\n- PeterNeumann AAAA\n",  # not an em dash
                GO_TEXT + b"\n"):  # no signature
        with pytest.raises(NoteError):
            split(bad)


def _cosigner(n: int) -> NoteSigner:
    return NoteSigner(f"witness{n}.example/w", COSIGNATURE_V1, Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32))


def test_a_cosignature_is_a_timestamp_and_an_ed25519_signature_over_the_v1_message():
    cp = Checkpoint("example.org/log", 7, bytes(range(32)))
    line = _cosigner(1).sign(cp.text(), 1679315147)
    blob = base64.b64decode(line.split(" ")[2])
    w = _cosigner(1).verifier
    assert blob[:4] == hashlib.sha256(b"witness1.example/w\n\x04" + w.public).digest()[:4]
    assert struct.unpack(">Q", blob[4:12])[0] == 1679315147
    # tlog-cosignature: "cosignature/v1\ntime <t>\n" then the whole checkpoint text
    message = b"cosignature/v1\ntime 1679315147\nexample.org/log\n7\n" + base64.b64encode(bytes(range(32))) + b"\n"
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    Ed25519PublicKey.from_public_bytes(w.public).verify(blob[12:], message)  # raises if not
    _, sigs = split(cp.text() + b"\n" + line.encode())
    assert cosignatures(cp.text(), sigs, [w]) == {"witness1.example/w": 1679315147}
    other = Checkpoint("example.org/log", 8, bytes(range(32)))
    with pytest.raises(NoteError, match="does not verify"):
        cosignatures(other.text(), sigs, [w])


def test_checkpoint_text_and_parsing():
    cp = Checkpoint("example.org/log", 20852163, base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="))
    assert cp.text() == b"example.org/log\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert Checkpoint.parse(cp.text()) == cp
    for bad in (b"o\n07\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", b"o\n7\n", b"o\n7\nAAAA\n",
                b"o\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="):
        with pytest.raises(NoteError):
            Checkpoint.parse(bad)


# --- the witness's decision -------------------------------------------------------------------

ORIGIN = "example.org/custody"
LOG = NoteSigner(ORIGIN, ED25519, Ed25519PrivateKey.from_private_bytes(b"\x10" * 32))
WITNESS = _cosigner(7)


def _leaves(n: int, tag: str = "e") -> list[bytes]:
    return [leaf_hash(f"{tag}{i}".encode()) for i in range(n)]


def _request(leaves: list[bytes], old: int, signer: NoteSigner = LOG, proof: list[bytes] | None = None) -> bytes:
    note = signed_checkpoint(Checkpoint(signer.name, len(leaves), root_hash(leaves)), signer)
    if proof is None:
        proof = consistency_proof(old, leaves) if 0 < old < len(leaves) else []
    return Request(old, proof, note).encode()


def test_the_witness_cosigns_extensions_only():
    logs, seen = {ORIGIN: LOG.verifier}, {}
    first = add_checkpoint(_request(_leaves(5), 0), logs, seen, WITNESS, 1000)
    assert first.status == 200 and first.seen == Seen(5, root_hash(_leaves(5)))
    seen[ORIGIN] = first.seen
    text = Checkpoint(ORIGIN, 5, root_hash(_leaves(5))).text()
    _, sigs = split(text + b"\n" + first.body)
    assert cosignatures(text, sigs, [WITNESS.verifier]) == {WITNESS.name: 1000}

    wrong_old = add_checkpoint(_request(_leaves(9), 3), logs, seen, WITNESS, 1001)
    assert (wrong_old.status, wrong_old.body, wrong_old.content_type) == (409, b"5\n", "text/x.tlog.size")
    forked = _leaves(3) + _leaves(6, "forged")[3:]  # entries 3.. rewritten, then grown to 9
    forked += _leaves(9, "x")[6:]
    refused = add_checkpoint(_request(forked, 5, proof=consistency_proof(5, _leaves(5) + forked[5:])), logs, seen,
                             WITNESS, 1002)
    assert refused.status == 422 and refused.suspicious and refused.seen is None
    same_size_other_root = add_checkpoint(_request(_leaves(5, "z"), 5), logs, seen, WITNESS, 1003)
    assert same_size_other_root.status == 409 and same_size_other_root.suspicious
    grown = add_checkpoint(_request(_leaves(9), 5), logs, seen, WITNESS, 1004)
    assert grown.status == 200 and grown.seen.size == 9
    seen[ORIGIN] = grown.seen
    smaller = add_checkpoint(_request(_leaves(6), 9), logs, seen, WITNESS, 1005)
    assert smaller.status == 400  # old above the checkpoint's size: never a smaller tree after a larger


def test_the_witness_refuses_unknown_logs_bad_signatures_and_garbage():
    logs = {ORIGIN: LOG.verifier}
    stranger = NoteSigner("other.example/log", ED25519, Ed25519PrivateKey.generate())
    assert add_checkpoint(_request(_leaves(2), 0, stranger), logs, {}, WITNESS, 1).status == 404
    impostor = NoteSigner(ORIGIN, ED25519, Ed25519PrivateKey.generate())  # right name, another key
    assert add_checkpoint(_request(_leaves(2), 0, impostor), logs, {}, WITNESS, 1).status == 403
    assert add_checkpoint(b"old 0\nnot a checkpoint", logs, {}, WITNESS, 1).status == 400
    assert add_checkpoint(b"old 01\n\n" + _request(_leaves(2), 0).split(b"\n\n", 1)[1], logs, {}, WITNESS, 1).status == 400
    assert add_checkpoint(_request(_leaves(2), 0, proof=[bytes(32)]), logs, {}, WITNESS, 1).status == 422
    too_long = Request(0, [bytes(32)] * 64, b"x\n").encode()
    assert add_checkpoint(too_long, logs, {}, WITNESS, 1).status == 400
