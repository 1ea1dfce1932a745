"""``vestige witness``: run a witness (``serve``) and print its public key (``key``)."""

from __future__ import annotations

import sys
from pathlib import Path

from vestige.errors import ConfigurationError, InvalidInput
from vestige.witness.server import (
    State,
    Witness,
    WitnessError,
    cosigner,
    load_key,
    log_keys,
    make_server,
)


def _logs(args) -> list[str]:
    vkeys = list(args.log or [])
    if args.logs_file:
        try:
            text = Path(args.logs_file).read_text(encoding="utf-8")
        except OSError as e:
            raise InvalidInput(f"{args.logs_file}: {e.strerror}", field="logs_file") from None
        vkeys += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return vkeys


def cmd_witness_key(args) -> int:
    """Print the witness's verifier key (type 0x04), creating its key file when absent."""
    try:
        print(cosigner(args.name, load_key(args.key)).verifier.vkey())
    except WitnessError as e:
        raise ConfigurationError(str(e)) from None
    return 0


def cmd_witness_serve(args) -> int:
    try:
        signer = cosigner(args.name, load_key(args.key))
        logs = log_keys(_logs(args))
        state = State.open(args.state)
    except WitnessError as e:
        raise ConfigurationError(str(e)) from None
    witness = Witness(signer, logs, state)
    try:
        server = make_server(witness, args.host, args.port, quiet=args.quiet)
    except OSError as e:
        state.close()
        raise ConfigurationError(f"cannot listen on {args.host}:{args.port}: {e.strerror}") from None
    print(f"witness {signer.name} on http://{args.host}:{server.server_address[1]}/add-checkpoint", file=sys.stderr)
    print(witness.describe(), end="", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        state.close()
    return 0


def add_commands(sub) -> None:
    w = sub.add_parser("witness", help="run a witness that cosigns another organisation's custody ledger "
                       "(c2sp.org/tlog-witness)", description=__doc__)
    ws = w.add_subparsers(dest="witness_command", metavar="SUBCOMMAND", required=True)

    def common(p) -> None:
        p.add_argument("--name", required=True, help="the witness's key name, a schema-less URL such as "
                       "witness.prosecutor.example/w1")
        p.add_argument("--key", required=True, metavar="FILE", help="its Ed25519 key (PEM), created when absent; "
                       "keep it on the witness's machine only")

    k = ws.add_parser("key", help="print the witness's verifier key, for the log's VESTIGE_WITNESSES")
    common(k)
    k.set_defaults(fn=cmd_witness_key)
    s = ws.add_parser("serve", help="serve POST /add-checkpoint: cosign each checkpoint that extends the last")
    common(s)
    s.add_argument("--state", required=True, metavar="FILE", help="what it cosigned (JSON, fsynced); never lose it")
    s.add_argument("--log", action="append", metavar="VKEY",
                   help="a log's verifier key (from `vestige evidence checkpoint --vkey`); repeat for several")
    s.add_argument("--logs-file", metavar="FILE", help="log verifier keys, one per line")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=7380)
    s.add_argument("--quiet", action="store_true", help="no request log lines")
    s.set_defaults(fn=cmd_witness_serve)
