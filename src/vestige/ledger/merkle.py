"""The Merkle tree of RFC 9162 §2.1 (identical to RFC 6962 §2.1), over SHA-256.

    leaf hash  = SHA-256(0x00 || entry)
    node hash  = SHA-256(0x01 || left || right)
    MTH({})    = SHA-256()                      (the empty tree)
    MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])) where k is the largest power of two < n

Functions take the list of *leaf hashes* (bytes, 32 each). Proofs are lists of node hashes,
generated as PATH (§2.1.3.1) and PROOF/SUBPROOF (§2.1.4.1) and verified by the algorithms of
§2.1.3.2 and §2.1.4.2, which use only the sizes, the proof and the roots.
"""

from __future__ import annotations

import hashlib

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n ≥ 2)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def root_hash(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes, bottom-up (no recursion: fine for millions of leaves)."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    # Pairing left to right and carrying an odd last node up unchanged builds exactly the
    # RFC's left-balanced tree (the left subtree is always the largest power of two).
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def inclusion_proof(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(index, D[n]): the audit path of leaf ``index`` in the tree of ``leaves``."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} is outside a tree of {n} leaves")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return inclusion_proof(index, leaves[:k]) + [root_hash(leaves[k:])]
    return inclusion_proof(index - k, leaves[k:]) + [root_hash(leaves[:k])]


def consistency_proof(old_size: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]): shows the tree of the first ``old_size`` leaves is a prefix of ``leaves``."""
    n = len(leaves)
    if not 0 < old_size <= n:
        raise ValueError(f"old size {old_size} is not in 1..{n}")
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root_hash(leaves)]
    k = _split(n)
    if m <= k:
        return _subproof(m, leaves[:k], complete) + [root_hash(leaves[k:])]
    return _subproof(m - k, leaves[k:], False) + [root_hash(leaves[:k])]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` put ``leaf`` at ``index`` of the tree of ``size`` with ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, proof: list[bytes], old_root: bytes, new_root: bytes) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of ``old_size`` with ``old_root`` a prefix of the tree of
    ``new_size`` with ``new_root``?"""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:  # step 1: an empty proof proves nothing between two different sizes
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


class Frontier:
    """The tree's right edge: the roots of its perfect subtrees, largest first (one per set bit
    of the size). Appending a leaf and computing the root are O(log n), so a log of millions of
    entries can sign a new head after every append without re-reading its leaves."""

    def __init__(self, size: int = 0, nodes: list[bytes] | None = None) -> None:
        nodes = list(nodes or [])
        if len(nodes) != bin(size).count("1"):
            raise ValueError(f"a frontier of a tree of {size} leaves has {bin(size).count('1')} nodes, not {len(nodes)}")
        self.size, self.nodes = size, nodes

    @classmethod
    def of(cls, leaves: list[bytes]) -> Frontier:
        f = cls()
        for leaf in leaves:
            f.append(leaf)
        return f

    def append(self, leaf: bytes) -> None:
        self.nodes.append(leaf)
        n = self.size
        while n & 1:  # each trailing 1 bit of the old size is a perfect subtree the new leaf completes
            right = self.nodes.pop()
            self.nodes[-1] = node_hash(self.nodes[-1], right)
            n >>= 1
        self.size += 1

    def root(self) -> bytes:
        if not self.nodes:
            return EMPTY_ROOT
        r = self.nodes[-1]
        for left in reversed(self.nodes[:-1]):
            r = node_hash(left, r)
        return r

    def dump(self) -> str:
        return ",".join(n.hex() for n in self.nodes)

    @classmethod
    def load(cls, size: int, text: str) -> Frontier:
        return cls(size, [bytes.fromhex(h) for h in text.split(",") if h])


class ProofTree:
    """Every level of the tree of ``leaves`` (built once, O(n)), answering inclusion proofs in
    O(log n): for a bag of thousands of events out of a log of millions. Level 0 holds the leaves;
    an odd last node is carried up unchanged, which is the RFC's left-balanced tree."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.levels = [list(leaves)]
        while len(self.levels[-1]) > 1:
            level = self.levels[-1]
            nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            self.levels.append(nxt)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def root(self) -> bytes:
        return self.levels[-1][0] if self.levels[0] else EMPTY_ROOT

    def inclusion_proof(self, index: int) -> list[bytes]:
        if not 0 <= index < self.size:
            raise ValueError(f"leaf index {index} is outside a tree of {self.size} leaves")
        proof = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                proof.append(level[sibling])
            index >>= 1
        return proof
