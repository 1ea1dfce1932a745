"""The ledger's Merkle tree against the RFC 6962 / Certificate Transparency reference vectors,
exhaustive property checks, tamper detection in the hash chain, and signed tree heads."""

from __future__ import annotations

import hashlib
import random

import pytest

from vestige.ledger import (
    EMPTY_ROOT,
    Frontier,
    ProofTree,
    Signer,
    TreeHead,
    canonical_json,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    make_entry,
    root_hash,
    verify_chain,
    verify_consistency,
    verify_inclusion,
    verify_tree_head,
    write_secret,
)
from vestige.ledger.chain import GENESIS, ChainError, Entry

# The reference data of Certificate Transparency's merkle tree tests (RFC 6962 §2.1), used by
# every independent implementation: 8 leaves, the root of each prefix, some proofs.
LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f"]]
ROOTS = ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
INCLUSION = [  # (0-based leaf, tree size, audit path)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
H = [leaf_hash(x) for x in LEAVES]


def test_reference_roots():
    assert EMPTY_ROOT.hex() == ROOTS[0]
    for n in range(9):
        assert root_hash(H[:n]).hex() == ROOTS[n], n


@pytest.mark.parametrize("index, size, path", INCLUSION)
def test_reference_inclusion_proofs(index, size, path):
    proof = inclusion_proof(index, H[:size])
    assert [p.hex() for p in proof] == path
    assert verify_inclusion(index, size, H[index], proof, bytes.fromhex(ROOTS[size]))
    assert not verify_inclusion(index, size, H[index], proof, bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize("old, new, path", CONSISTENCY)
def test_reference_consistency_proofs(old, new, path):
    proof = consistency_proof(old, H[:new])
    assert [p.hex() for p in proof] == path
    assert verify_consistency(old, new, proof, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]))


def test_every_proof_in_every_small_tree_and_no_forgery():
    rng = random.Random(9162)
    leaves = [leaf_hash(bytes([i, rng.randrange(256)])) for i in range(40)]
    for n in range(1, 41):
        root = root_hash(leaves[:n])
        for i in range(n):
            proof = inclusion_proof(i, leaves[:n])
            assert verify_inclusion(i, n, leaves[i], proof, root)
            assert not verify_inclusion(i, n, leaf_hash(b"forged"), proof, root)
            if n > 1:  # the same proof does not place the leaf anywhere else
                assert not verify_inclusion((i + 1) % n, n, leaves[i], proof, root)
        for m in range(1, n + 1):
            proof = consistency_proof(m, leaves[:n])
            old = root_hash(leaves[:m])
            assert verify_consistency(m, n, proof, old, root)
            if m < n:
                assert not verify_consistency(m, n, proof, hashlib.sha256(b"x").digest(), root)
                assert not verify_consistency(m, n, [], old, root)


def test_rewriting_history_breaks_consistency_with_a_signed_head():
    leaves = [leaf_hash(canonical_json({"n": i})) for i in range(9)]
    signer = Signer.generate()
    head = signer.sign(5, root_hash(leaves[:5]).hex(), "2026-11-24T00:00:00Z")
    tampered = list(leaves)
    tampered[2] = leaf_hash(canonical_json({"n": 2, "altered": True}))
    proof = consistency_proof(5, tampered)
    assert verify_consistency(5, 9, proof, root_hash(tampered[:5]), root_hash(tampered))  # self-consistent...
    assert not verify_consistency(5, 9, proof, bytes.fromhex(head.root), root_hash(tampered))  # ...but not with the head


def test_hash_chain_names_every_break():
    entries, prev = [], GENESIS
    for i in range(5):
        e = make_entry(i, prev, {"event": "received", "item": f"sha256:{i:064x}", "actor": "inv"})
        entries.append(e)
        prev = e.hash
    assert verify_chain(entries) == []
    altered = Entry({**entries[2].body, "actor": "someone else"}, entries[2].data)
    assert "entry 2: stored bytes differ from its content" in verify_chain(entries[:2] + [altered] + entries[3:])
    removed = entries[:2] + entries[3:]
    problems = verify_chain(removed)
    assert any("entry 2: index 3" in p for p in problems) and any("prev hash differs" in p for p in problems)
    with pytest.raises(ChainError):
        make_entry(0, GENESIS, {"index": 5})
    with pytest.raises(ChainError):
        canonical_json({"x": float("nan")})


def test_canonical_json_is_unique():
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    assert canonical_json({"a": 1, "b": 2}) == canonical_json(dict(reversed(list({"a": 1, "b": 2}.items()))))


def test_signed_tree_heads(tmp_path):
    key_path = tmp_path / "keys" / "ledger.key"
    signer = Signer.load_or_create(key_path)
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"
    again = Signer.load_or_create(key_path)
    head = again.sign(8, ROOTS[8], "2026-11-24T12:00:00Z")
    assert verify_tree_head(signer.public_pem(), head)
    for forged in (TreeHead(7, head.root, head.time, head.signature), TreeHead(8, ROOTS[7], head.time, head.signature),
                   TreeHead(8, head.root, "2026-11-25T12:00:00Z", head.signature)):
        assert not verify_tree_head(signer.public_key, forged)
    assert not verify_tree_head(Signer.generate().public_key, head)
    numbered = again.sign(8, ROOTS[8], "2026-11-24T12:00:00Z", number=3)
    assert verify_tree_head(signer.public_key, numbered)
    # The number is signed: a head renumbered to hide a deleted one no longer verifies.
    assert not verify_tree_head(signer.public_key, TreeHead(8, ROOTS[8], numbered.time, numbered.signature, 2))
    assert TreeHead.from_dict(numbered.as_dict()) == numbered


def test_frontier_and_proof_tree_agree_with_the_reference_roots():
    leaves = [leaf_hash(d) for d in LEAVES]
    f = Frontier()
    for n, leaf in enumerate(leaves, 1):
        f.append(leaf)
        assert f.root().hex() == ROOTS[n]  # the published root of every prefix
        assert Frontier.load(n, f.dump()).root() == f.root()
    assert Frontier().root() == EMPTY_ROOT
    for index, size, path in INCLUSION:
        assert [p.hex() for p in ProofTree(leaves[:size]).inclusion_proof(index)] == path
    rng = random.Random(5)
    for n in range(1, 80):
        more = [hashlib.sha256(rng.randbytes(4)).digest() for _ in range(n)]
        tree = ProofTree(more)
        assert tree.root() == root_hash(more) == Frontier.of(more).root()
        for i in range(n):
            assert verify_inclusion(i, n, more[i], tree.inclusion_proof(i), tree.root())
    with pytest.raises(ValueError):
        Frontier(3, [leaves[0]])  # a tree of 3 leaves has two perfect subtrees


def test_secret_files_are_written_once_and_private(tmp_path):
    from vestige.ledger import fingerprint
    path = tmp_path / "k" / "secret"
    assert write_secret(path, b"first") == b"first"
    assert write_secret(path, b"second") == b"first"  # a second writer gets the first one's key
    assert oct(path.stat().st_mode & 0o777) == "0o600" and oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp")]
    s = Signer.generate()
    fp = fingerprint(s.public_pem())
    assert fp == s.fingerprint() and fp.startswith("SHA256:") and len(fp) == 7 + 64 + 15
    assert fp != Signer.generate().fingerprint()
