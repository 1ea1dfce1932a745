"""The ``vestige`` command. Thin: it parses arguments, calls services, prints, and maps errors
to exit codes (``vestige.errors.error_table``). Nobody sees a traceback for their own mistake.

Commands that touch the database act as a named user (``--as USER`` or ``$VESTIGE_USER``) so
that every change is attributable; shell access to the server is the authentication, as with
Django's ``manage.py``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable

from vestige.commands import actor_of, as_user, err, setup_django
from vestige.errors import ConfigurationError, VestigeError, exit_code, storage_error

# --- commands ----------------------------------------------------------------------------

def cmd_demo(args) -> int:
    setup_django()
    import time

    from vestige.demo.loader import run_demo  # lazy: models load after setup_django()

    started = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - started:5.1f} s] {text}…", flush=True)

    accounts, created = run_demo(say=say)
    total = sum(created.values())
    print("Vestige demo: the Izium case is loaded "
          + (f"({', '.join(f'{v} {k}' for k, v in created.items() if v)} created)." if total else "(already there)."))
    print("\nLog in with one of these accounts (one per role):\n")
    print(f"  {'user':<14}{'role':<22}password")
    for name, (role, pw) in accounts.items():
        print(f"  {name:<14}{role:<22}{pw}")
    from django.conf import settings
    print("\n  dna and dna2 are two DNA analysts: one proposes an identification, the other confirms it")
    print("  examiner and odontologist are two forensic examiners: one concludes a dental comparison, the other "
          "verifies it (DVI)")
    print(f"\n(also saved in {settings.VESTIGE_HOME / 'demo-accounts.txt'})")
    if args.no_serve:
        return 0
    print(f"\nServing on http://{args.host}:{args.port}/  (Ctrl-C to stop)\n", flush=True)
    return cmd_serve(args)


WORKER_COMMAND = [sys.executable, "-P", "-m", "vestige.cli", "worker", "--quiet"]  # -P: not the current folder
                                                                                # on sys.path (a stray module
                                                                                # there must not replace ours)


def _die_with_parent() -> None:
    import signal

    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class WorkerSupervisor:
    """Task workers beside the web server, restarted when one dies (back-off 1, 2, 4 … 60 s,
    reset once a worker has lived a minute), each death said on stderr; stopped with the server
    (and, on Linux, by the kernel if the server dies first). The pages say when queued work waits
    for a worker (``vestige.tasks.unclaimed_for``)."""

    def __init__(self, n: int, command: list[str] | None = None, max_backoff: float = 60.0) -> None:
        self.command = list(command or WORKER_COMMAND)
        self.max_backoff = max_backoff
        self.procs: list = [None] * n
        self.started = [0.0] * n
        self.backoff = [1.0] * n
        self.due = [0.0] * n
        self.restarts = 0
        self.stopping = False

    def _spawn(self, i: int) -> None:
        import subprocess
        import time

        self.procs[i] = subprocess.Popen(self.command, preexec_fn=_die_with_parent)
        self.started[i] = time.monotonic()

    def start(self) -> None:
        for i in range(len(self.procs)):
            self._spawn(i)

    def check(self) -> None:
        """One pass: note each dead worker, restart those whose back-off has passed."""
        import time

        now = time.monotonic()
        for i, proc in enumerate(self.procs):
            if self.stopping or proc is None or proc.poll() is None:
                continue
            if self.due[i] == 0.0:
                lived = now - self.started[i]
                if lived > 60:
                    self.backoff[i] = 1.0
                self.due[i] = now + self.backoff[i]
                print(f"task worker {proc.pid} exited with status {proc.returncode}; restarting in "
                      f"{self.backoff[i]:.0f} s", file=sys.stderr, flush=True)
                self.backoff[i] = min(self.backoff[i] * 2, self.max_backoff)
            if now >= self.due[i]:
                self.due[i] = 0.0
                self._spawn(i)
                self.restarts += 1

    def watch(self) -> None:
        import threading
        import time

        def loop() -> None:
            while not self.stopping:
                self.check()
                time.sleep(1.0)
        threading.Thread(target=loop, name="vestige-worker-supervisor", daemon=True).start()

    def stop(self) -> None:
        import subprocess

        self.stopping = True
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            if proc is None:
                continue
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _start_task_workers(n: int) -> WorkerSupervisor:
    """``n`` supervised ``vestige worker`` processes beside the web server (:class:`WorkerSupervisor`),
    so the demo's matching runs and exports just work."""
    import atexit

    sup = WorkerSupervisor(n)
    sup.start()
    sup.watch()
    print(f"{n} task worker(s) started beside the web server, restarted if they die (VESTIGE_TASK_WORKERS; 0 "
          "when `vestige worker` runs on its own)", file=sys.stderr, flush=True)
    atexit.register(sup.stop)
    return sup


def cmd_worker(args) -> int:
    """A task worker: runs the matching runs, exports, verifications, captures and intakes that
    the web app queued (django-tasks' database worker), one at a time, until stopped (Ctrl-C or
    SIGTERM finish the task at hand first). Run as many as the machine has room for."""
    setup_django()
    from django.core.management import call_command

    from vestige.evidence import jobs  # lazy: models load after setup_django()
    from vestige.identification.runs import reap_stale_runs  # lazy: as above

    reaped = reap_stale_runs() + jobs.reap_stale()
    if not args.quiet:
        print(f"Vestige task worker (pid {os.getpid()}); {reaped} stale task(s) marked failed. Ctrl-C stops it.",
              file=sys.stderr, flush=True)
    options = {"queue_name": "*", "interval": args.interval, "batch": args.batch, "reload": False,
               "startup_delay": not args.batch, "verbosity": 0 if args.quiet else 1}
    if args.max_tasks:
        options["max_tasks"] = args.max_tasks
    call_command("db_worker", **options)
    return 0


def cmd_serve(args) -> int:
    """Django's development server; with VESTIGE_PRODUCTION=1 (or --production) gunicorn, a
    production WSGI server: VESTIGE_WEB_WORKERS processes (default 2 × cores + 1) of
    VESTIGE_WEB_THREADS threads, static files from WhiteNoise (compressed, cached for a year when
    collected), the access log on stderr."""
    if getattr(args, "production", False):
        os.environ.setdefault("VESTIGE_CACHE", "shared")  # the web workers share computed figures
    setup_django()
    from django.conf import settings

    from vestige.evidence import objectstore  # lazy: models load after setup_django()
    if objectstore.configured():  # refuse to start on a bucket without Object Lock
        objectstore.check_bucket()
    workers = settings.VESTIGE_TASK_WORKERS if getattr(args, "task_workers", None) is None else args.task_workers
    if workers > 0 and not settings.VESTIGE_TASKS_INLINE:
        _start_task_workers(workers)
    if not (getattr(args, "production", False) or settings.PRODUCTION):  # `vestige demo` serves too
        from django.core.management import call_command

        call_command("runserver", f"{args.host}:{args.port}", use_reloader=False, skip_checks=False)
        return 0
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        raise ConfigurationError("the production server needs gunicorn: pip install 'vestige[server]'") from None
    from django.core.management import call_command

    call_command("check", deploy=settings.PRODUCTION, fail_level="ERROR")
    from vestige.wsgi import application  # lazy: the WSGI app only when gunicorn serves

    options = {"bind": f"{args.host}:{args.port}", "workers": settings.VESTIGE_WEB_WORKERS,
               "threads": settings.VESTIGE_WEB_THREADS, "timeout": settings.VESTIGE_WEB_TIMEOUT_S,
               "accesslog": "-", "errorlog": "-", "worker_class": "gthread" if settings.VESTIGE_WEB_THREADS > 1 else "sync",
               "preload_app": True, "forwarded_allow_ips": settings.VESTIGE_FORWARDED_ALLOW_IPS}

    class Server(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return application

    print(f"Vestige on http://{args.host}:{args.port}/ (gunicorn, {options['workers']} workers × "
          f"{options['threads']} threads)", file=sys.stderr, flush=True)
    Server().run()
    return 0


def cmd_keys_rotate(args) -> int:
    """A new field-encryption key first, every encrypted value re-encrypted under it."""
    setup_django()
    from vestige import keys  # lazy: its services need Django set up

    counts = keys.rotate(actor_of(args), new_key=not args.reencrypt_only)
    for field, n in counts.items():
        print(f"{field}\t{n} re-encrypted")
    print("done: the older keys can now be removed" + (" (VESTIGE_FIELD_KEYS)" if args.reencrypt_only else
                                                        " from the key file"), file=sys.stderr)
    return 0


def cmd_keys_new_field_key(args) -> int:
    from vestige import keys  # lazy: its services need Django set up

    print(keys.new_field_key())
    return 0


def cmd_keys_new_ledger_key(args) -> int:
    setup_django()
    from vestige import keys  # lazy: its services need Django set up

    print(f"wrote {args.out}; public key fingerprint {keys.new_ledger_key(args.out)}")
    print("set VESTIGE_LEDGER_KEY to this path; keep the file outside VESTIGE_HOME and back it up apart",
          file=sys.stderr)
    return 0


def cmd_manage(args) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["vestige manage", *args.rest])
    return 0


# --- parser ------------------------------------------------------------------------------

DJANGO_FREE = ("vestige.kinship_cli", "vestige.witness.cli")  # files alone; a witness server of another organisation
APP_COMMANDS = ("vestige.registry.cli", "vestige.claims.cli", "vestige.identification.cli", "vestige.evidence.cli",
                "vestige.missing.cli", "vestige.accounts.cli", "vestige.kinship_cli", "vestige.dvi.cli", "vestige.witness.cli")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command tree: a few commands of the whole site here; each app adds its own.

    The apps' commands import their models and services at the top of their modules, so Django is
    set up before they are imported; ``vestige kinship`` and ``vestige witness`` work on files
    alone and are built without it (no settings read, no app loaded: they start faster).
    """
    args = sys.argv[1:] if argv is None else argv
    command = next((a for a in args if not a.startswith("-")), None)
    django_free = command in ("kinship", "witness")
    if not django_free:
        setup_django()

    p = argparse.ArgumentParser(prog="vestige", description="Vestige: registry of sites, graves and "
                                "remains; DNA kinship; evidence. Run `vestige COMMAND -h` for help.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, fn: Callable, help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        sp.set_defaults(fn=fn)
        return sp

    d = add("demo", cmd_demo, "migrate, load the Izium demo, create one user per role, serve")
    d.add_argument("--no-serve", action="store_true", help="load and exit")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", default=8000, type=int)
    d.add_argument("--task-workers", type=int, default=None, metavar="N",
                   help="task workers to start beside the server (default VESTIGE_TASK_WORKERS, 1)")

    s = add("serve", cmd_serve, "serve the web app (development server; gunicorn with VESTIGE_PRODUCTION=1)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", default=8000, type=int)
    s.add_argument("--production", action="store_true", help="the production server (gunicorn) even outside production")
    s.add_argument("--task-workers", type=int, default=None, metavar="N",
                   help="task workers to start beside the server (default VESTIGE_TASK_WORKERS, 1; 0: none, "
                        "when `vestige worker` runs on its own)")

    w = add("worker", cmd_worker, "run a task worker: matching runs, bag exports, verifications, captures, "
            "large uploads (queued by the web app)")
    w.add_argument("--batch", action="store_true", help="run what is queued, then exit")
    w.add_argument("--max-tasks", type=int, default=0, metavar="N", help="exit after N tasks")
    w.add_argument("--interval", type=float, default=1.0, metavar="S",
                   help="seconds between looks at the queue when it is empty (default 1)")
    w.add_argument("--quiet", action="store_true", help="no log lines")

    m = add("manage", cmd_manage, "run a Django management command (migrate, createsuperuser, ...)")
    m.add_argument("rest", nargs=argparse.REMAINDER)

    k = sub.add_parser("keys", help="encryption and signing keys").add_subparsers(dest="sub", metavar="ACTION",
                                                                                  required=True)
    kr = k.add_parser("rotate", help="new field-encryption key; re-encrypt every encrypted value under it")
    kr.set_defaults(fn=cmd_keys_rotate)
    kr.add_argument("--reencrypt-only", action="store_true",
                    help="the new key is already first in VESTIGE_FIELD_KEYS: only re-encrypt")
    as_user(kr)
    kf = k.add_parser("new-field-key", help="print a new Fernet key (for VESTIGE_FIELD_KEYS)")
    kf.set_defaults(fn=cmd_keys_new_field_key)
    kl = k.add_parser("new-ledger-key", help="create the custody ledger's Ed25519 signing key file")
    kl.set_defaults(fn=cmd_keys_new_ledger_key)
    kl.add_argument("--out", required=True, metavar="PATH", help="a path outside VESTIGE_HOME")

    for name in APP_COMMANDS:
        if django_free and name not in DJANGO_FREE:
            continue
        module = importlib.import_module(name)
        (module.add_kinship_commands if name.endswith("kinship_cli") else module.add_commands)(sub)
    return p


_QUICK_EXIT = False  # set by main() when the command asked for it (args.quick_exit); run() then exits at once


def main(argv: list[str] | None = None) -> int:
    global _QUICK_EXIT
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "fn", None):
        parser.print_help()
        return 2
    from vestige.kinship.errors import (  # lazy: the engine only when used
        KinshipError,
        KinshipInputError,
    )

    try:
        return args.fn(args) or 0
    except VestigeError as e:
        err(e.message)
        return exit_code(e)
    except KinshipError as e:
        err(e.cli_message() if isinstance(e, KinshipInputError) else str(e))  # options as their flags
        return exit_code(e)
    except OSError as e:
        full = storage_error(e)
        if full is None:
            raise
        err(full.message)
        return exit_code(full)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `vestige kinship search ... | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    finally:
        _QUICK_EXIT = bool(getattr(args, "quick_exit", False))


def run() -> None:
    """The ``vestige`` command: :func:`main`, then exit. A command that leaves a large heap and
    nothing to clean up (``kinship search``: millions of small objects, its output written) sets
    ``args.quick_exit``: the process then ends without the interpreter freeing them one by one
    (10,000 x 10,000: 0.17 s -> 0.07 s), after flushing its output and logs."""
    rc = main()
    if _QUICK_EXIT:
        import logging

        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: what the reader took is what it wanted
                pass
        os._exit(rc)
    sys.exit(rc)


if __name__ == "__main__":
    run()
