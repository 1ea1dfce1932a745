"""vestige.ledger — an append-only, tamper-evident log (pure: standard library + cryptography).

- :mod:`~vestige.ledger.merkle`: the Merkle tree of RFC 9162 (Certificate Transparency 2.0,
  compatible with RFC 6962) with inclusion and consistency proofs and their verification;
- :mod:`~vestige.ledger.chain`: canonical JSON entries chained by hashes;
- :mod:`~vestige.ledger.signing`: Ed25519-signed tree heads.

The evidence vault (issue 4) records custody events here; this package knows nothing of it.
"""

from vestige.ledger.chain import ChainError, Entry, canonical_json, make_entry, verify_chain
from vestige.ledger.merkle import (
    EMPTY_ROOT,
    Frontier,
    ProofTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from vestige.ledger.signing import Signer, TreeHead, fingerprint, verify_tree_head, write_secret

__all__ = [
    "EMPTY_ROOT", "ChainError", "Entry", "Frontier", "ProofTree", "Signer", "TreeHead", "canonical_json", "consistency_proof", "fingerprint",
    "inclusion_proof", "leaf_hash", "make_entry", "node_hash", "root_hash", "verify_chain", "verify_consistency",
    "verify_inclusion", "verify_tree_head", "write_secret",
]
