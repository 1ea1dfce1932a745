"""The witness service: its key, its state file and its HTTP endpoint.

State: one JSON file (``{"logs": {origin: {"size": n, "root": base64}}}``), replaced atomically
and fsynced *before* a cosignature is returned, under one lock with the check
(:func:`vestige.ledger.witness.add_checkpoint`); a lock file beside it stops a second server from
using the same state. Requests signed by a log but inconsistent with what was cosigned (a fork, a
rollback, a rewritten log) are appended to ``<state>.refused.jsonl``: evidence of the log's
misbehaviour. A witness whose state file is lost must be given a new name and key, never
restarted empty (it would cosign a rewritten log).
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vestige.ledger.note import COSIGNATURE_V1, ED25519, NoteError, NoteSigner, Verifier
from vestige.ledger.signing import Signer, replace_secret
from vestige.ledger.witness import Answer, Seen, add_checkpoint

MAX_BODY = 64 * 1024


class WitnessError(Exception):
    """A witness that cannot start: its key, state or logs are wrong (said with the file)."""


def load_key(path: str | Path) -> Ed25519PrivateKey:
    """The witness's Ed25519 key (PEM), created at ``path`` (mode 600) when absent."""
    try:
        return Signer.load_or_create(path).key
    except (OSError, ValueError) as e:
        raise WitnessError(f"witness key {path}: {e}") from None


def cosigner(name: str, key: Ed25519PrivateKey) -> NoteSigner:
    try:
        signer = NoteSigner(name, COSIGNATURE_V1, key)
        signer.verifier.key_id  # noqa: B018 - checks the name
    except NoteError as e:
        raise WitnessError(str(e)) from None
    return signer


def log_keys(vkeys: list[str]) -> dict[str, Verifier]:
    out = {}
    for vkey in vkeys:
        try:
            v = Verifier.parse(vkey)
        except NoteError as e:
            raise WitnessError(f"--log: {e}") from None
        if v.sig_type != ED25519:
            raise WitnessError(f"--log {vkey}: a log's key has type 0x01, this one is a witness key")
        out[v.name] = v
    if not out:
        raise WitnessError("no log to witness: give the log's verifier key with --log (from `vestige evidence "
                           "checkpoint --vkey` on the log's server)")
    return out


@dataclass
class State:
    path: Path
    seen: dict[str, Seen] = field(default_factory=dict)
    _lock_fd: int = -1

    @classmethod
    def open(cls, path: str | Path) -> State:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(f"{p}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise WitnessError(f"witness state {p} is in use by another witness process") from None
        state = cls(p, _lock_fd=fd)
        if p.exists():
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
                state.seen = {o: Seen(int(s["size"]), base64.b64decode(s["root"])) for o, s in data["logs"].items()}
            except (OSError, ValueError, KeyError, TypeError) as e:
                state.close()
                raise WitnessError(f"witness state {p} is unreadable ({e}); a witness must never restart "
                                   "empty: restore it, or retire this witness's name and key") from None
        return state

    def save(self, origin: str, seen: Seen) -> None:
        logs = {**self.seen, origin: seen}
        data = {"v": 1, "updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "logs": {o: {"size": s.size, "root": base64.b64encode(s.root).decode()} for o, s in sorted(logs.items())}}
        replace_secret(self.path, (json.dumps(data, indent=1) + "\n").encode())
        self.seen = logs

    def close(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1


class Witness:
    def __init__(self, signer: NoteSigner, logs: dict[str, Verifier], state: State) -> None:
        self.signer, self.logs, self.state = signer, logs, state
        self._lock = threading.Lock()

    def add(self, body: bytes) -> Answer:
        with self._lock:  # the check and the persisted state move together (the spec's race)
            answer = add_checkpoint(body, self.logs, self.state.seen, self.signer, int(time.time()))
            if answer.seen is not None:
                self.state.save(answer.origin, answer.seen)
            if answer.suspicious:
                self._keep_refused(answer, body)
        return answer

    def _keep_refused(self, answer: Answer, body: bytes) -> None:
        line = json.dumps({"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "origin": answer.origin,
                           "status": answer.status, "request": base64.b64encode(body).decode()})
        with open(f"{self.state.path}.refused.jsonl", "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def describe(self) -> str:
        lines = [f"witness {self.signer.name}", f"vkey {self.signer.verifier.vkey()}"]
        for origin, v in sorted(self.logs.items()):
            seen = self.state.seen.get(origin)
            lines.append(f"log {v.vkey()} cosigned size {seen.size if seen else 0}")
        return "\n".join(lines) + "\n"


class _Handler(BaseHTTPRequestHandler):
    witness: Witness
    server_version = "vestige-witness/1"
    quiet = False

    def _send(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.rstrip("/") == "":
            self._send(200, self.witness.describe().encode())
        else:
            self._send(404, b"not found\n")

    def do_POST(self) -> None:  # noqa: N802
        if self.path.rstrip("/").rsplit("/", 1)[-1] != "add-checkpoint":
            self._send(404, b"not found: POST /add-checkpoint\n")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._send(411, b"Content-Length required\n")
            return
        if not 0 <= length <= MAX_BODY:
            self._send(413, f"request over {MAX_BODY} bytes\n".encode())
            return
        answer = self.witness.add(self.rfile.read(length))
        self._send(answer.status, answer.body, answer.content_type)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's name
        if not self.quiet:
            super().log_message(format, *args)


def make_server(witness: Witness, host: str, port: int, quiet: bool = False) -> ThreadingHTTPServer:
    handler = type("WitnessHandler", (_Handler,), {"witness": witness, "quiet": quiet})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def public_vkey(name: str, key_path: str | Path) -> str:
    return cosigner(name, load_key(key_path)).verifier.vkey()
