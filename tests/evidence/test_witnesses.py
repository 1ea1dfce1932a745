"""Issue 24, part 2: witnessed heads. Two real witness processes (`vestige witness serve`) on
127.0.0.1 cosign the ledger's checkpoints; a log rewritten and re-signed with the stolen key, or
rolled back, is refused by them and the cosignatures already kept stop verifying."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.evidence.test_custody_attacks import _key_holder_resigns, _rechain
from vestige.evidence import custody, services, witnessing
from vestige.evidence.models import CustodyEvent, HeadCosignature, TreeHeadRecord
from vestige.ledger import canonical_json
from vestige.ledger.note import Verifier, cosignatures, open_checkpoint

CLI = [sys.executable, "-c", "from vestige.cli import run; run()"]


class WitnessProcess:
    def __init__(self, name: str, folder: Path, log_vkey: str) -> None:
        self.name, self.folder, self.log_vkey = name, folder, log_vkey
        self.key = folder / "witness.key"
        self.state = folder / "state.json"
        self.vkey = subprocess.run([*CLI, "witness", "key", "--name", name, "--key", str(self.key)],
                                   capture_output=True, text=True, check=True).stdout.strip()
        self.proc = None
        self.url = ""
        self.port = 0  # any free port the first time, the same one on a restart

    def start(self) -> WitnessProcess:
        self.proc = subprocess.Popen([*CLI, "witness", "serve", "--name", self.name, "--key", str(self.key),
                                      "--state", str(self.state), "--log", self.log_vkey, "--port", str(self.port), "--quiet"],
                                     stderr=subprocess.PIPE, text=True)
        first = self.proc.stderr.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+/add-checkpoint)", first)
        assert m, first
        self.url = m.group(1)
        self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        if self.proc:
            self.proc.stderr.close()


@pytest.fixture
def witnesses(settings, tmp_path, users):
    log_vkey = witnessing.log_key().vkey()  # creates the ledger's key, as a first intake would
    procs = [WitnessProcess(f"witness{n}.example/w", tmp_path / f"w{n}", log_vkey).start() for n in (1, 2)]
    settings.VESTIGE_WITNESSES = "\n".join(f"{p.url} {p.vkey}" for p in procs)
    settings.VESTIGE_WITNESS_QUORUM = 2
    witnessing._down_until.clear()
    yield procs
    for p in procs:
        p.stop()


def _ingest(inv, n: int) -> None:
    for i in range(n):
        services.ingest(inv, io.BytesIO(f"photo {i} of the exhumation".encode()), f"p{i}.jpg",
                        provenance={"collected_by": "field team A"})
        custody.keep_head()


def test_heads_are_cosigned_by_both_witnesses_and_the_checkpoint_verifies(witnesses, users):
    inv = users["investigator"]
    _ingest(inv, 2)
    assert [o.status for o in witnessing.publish()] == ["cosigned", "cosigned"]
    _ingest(inv, 3)  # the next push carries a consistency proof from the size each cosigned
    assert [o.status for o in witnessing.publish()] == ["cosigned", "cosigned"]
    record = TreeHeadRecord.objects.order_by("-number").first()
    note = witnessing.note_of(record)
    checkpoint, sigs = open_checkpoint(note, witnessing.log_key())
    assert (checkpoint.size, checkpoint.root.hex()) == (record.size, record.root)
    keys = [Verifier.parse(w.vkey) for w in witnesses]
    assert set(cosignatures(checkpoint.text(), sigs, keys)) == {w.name for w in witnesses}
    assert services.verify(inv) == []
    for w in witnesses:  # each witness persisted what it cosigned
        assert json.loads(w.state.read_text())["logs"][witnessing.origin()]["size"] == record.size


def test_a_log_rewritten_and_resigned_with_the_stolen_key_is_caught(witnesses, users):
    inv = users["investigator"]
    _ingest(inv, 3)
    witnessing.publish()
    ev = CustodyEvent.objects.filter(kind="received").order_by("index")[1]
    body = json.loads(ev.data)
    body["actor"] = "someone-else"
    CustodyEvent.objects.filter(pk=ev.pk).update(data=canonical_json(body).decode())
    _rechain()
    # every head and the journal re-signed (the log alone now verifies), and the witnesses'
    # cosignatures put back on the new head of the same size, to look witnessed
    saved = list(HeadCosignature.objects.values("witness", "key_id", "timestamp", "line"))
    HeadCosignature.objects.all().delete()
    _key_holder_resigns()
    newest = TreeHeadRecord.objects.order_by("-number").first()
    for row in saved:
        HeadCosignature.objects.create(head=newest, **row)
    problems = services.verify(inv)
    assert any("cosignature of witness1.example/w does not verify" in p for p in problems), problems
    # and with the cosignatures deleted too, the witnesses themselves refuse the forged head
    HeadCosignature.objects.all().delete()
    problems = services.verify(inv)
    refused = [p for p in problems if p.startswith("witness ")]
    assert len(refused) == 2 and all("rewritten" in p or "rolled back" in p for p in refused), problems
    assert not HeadCosignature.objects.exists()  # nothing cosigned the forgery


def test_a_database_rolled_back_is_refused_by_the_witnesses(witnesses, users):
    inv = users["investigator"]
    _ingest(inv, 2)
    witnessing.publish()
    size_before = TreeHeadRecord.objects.order_by("-number").first().size
    _ingest(inv, 2)
    witnessing.publish()
    # roll back to the first state: the later events, heads and cosignatures gone, the key re-signs
    CustodyEvent.objects.filter(index__gte=size_before).delete()
    HeadCosignature.objects.all().delete()
    _rechain()
    _key_holder_resigns()
    outcomes = witnessing.publish()
    assert all(o.status == "refused" and "rolled back" in o.detail for o in outcomes), outcomes


def test_a_witness_that_is_down_never_blocks_intake_and_catches_up(witnesses, users):
    inv = users["investigator"]
    witnesses[1].stop()
    _ingest(inv, 2)  # intake works; the head is published on commit by the inline task runner
    statuses = {o.witness: o.status for o in witnessing.publish()}
    assert statuses == {"witness1.example/w": "cosigned", "witness2.example/w": "down"}
    assert any("no tree head is cosigned by 2" in p for p in services.verify(inv))
    witnesses[1].start()
    _ingest(inv, 1)
    statuses = {o.witness: o.status for o in witnessing.publish()}
    assert statuses == {"witness1.example/w": "cosigned", "witness2.example/w": "cosigned"}
    assert services.verify(inv) == []


def test_a_restarted_witness_keeps_its_state(witnesses, users):
    inv = users["investigator"]
    _ingest(inv, 2)
    witnessing.publish()
    for w in witnesses:
        w.stop()
        w.start()
    HeadCosignature.objects.all().delete()  # the log forgets what was cosigned: the witness does not
    _ingest(inv, 1)
    assert [o.status for o in witnessing.publish()] == ["cosigned", "cosigned"]  # after a 409 telling its size


def test_cli_checkpoint_and_verify_with_the_users_own_witness_keys(witnesses, users, capsys):
    from vestige.cli import main

    inv = users["investigator"]
    _ingest(inv, 2)
    assert main(["evidence", "witnesses", "push"]) == 0
    assert main(["evidence", "checkpoint", "--vkey"]) == 0
    assert capsys.readouterr().out.strip().endswith(witnessing.log_key().vkey())
    assert main(["evidence", "checkpoint"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(witnessing.origin() + "\n") and out.count("\u2014 witness") == 2
    args = ["evidence", "verify", "--all", "--as", inv.username]
    assert main([*args, "--witness", witnesses[0].vkey, "--witness", witnesses[1].vkey]) == 0
    stranger = Verifier.parse(witnesses[0].vkey)
    stranger_vkey = WitnessProcess("witness9.example/w", witnesses[0].folder.parent / "w9", "x+00000000+AA").vkey
    assert main([*args, "--witness", stranger_vkey]) == 6
    assert "no tree head is cosigned by 1" in capsys.readouterr().out
    assert stranger.name == "witness1.example/w"


def test_bad_witness_configuration_is_a_clear_error(settings):
    from vestige.errors import ConfigurationError

    settings.VESTIGE_WITNESSES = "http://127.0.0.1:1/ not-a-key"
    with pytest.raises(ConfigurationError, match="entry 1"):
        witnessing.witnesses()
    settings.VESTIGE_WITNESSES = "ftp://x y"
    with pytest.raises(ConfigurationError, match="URL VKEY"):
        witnessing.witnesses()


def test_a_bag_carries_the_cosigned_checkpoint_and_its_verifier_checks_it(witnesses, users, tmp_path):
    from vestige.evidence import bag
    from vestige.evidence.models import EvidenceItem

    inv = users["investigator"]
    _ingest(inv, 2)
    out = bag.export(inv, list(EvidenceItem.objects.order_by("ref")), tmp_path / "bag")
    verify_py = out / "data" / "verify.py"

    def run(*extra):
        return subprocess.run([sys.executable, "-I", str(verify_py), str(out), *extra], capture_output=True, text=True)

    vkeys = [w.vkey for w in witnesses]
    ok = run("--witness", vkeys[0], "--witness", vkeys[1])
    assert ok.returncode == 0, ok.stdout
    assert "cosigned by witness1.example/w, witness2.example/w" in ok.stdout
    assert "2 witness cosignatures, not checked" in run().stdout
    other = WitnessProcess("witness9.example/w", tmp_path / "w9", "").vkey  # a witness that never saw this log
    failed = run("--witness", other)
    assert failed.returncode == 1 and "cosigned by 0 of the witnesses given, 1 needed" in failed.stdout
    assert run("--witness", "not-a-key").returncode == 2
    # a forged checkpoint (another root) breaks the log signature and every cosignature
    path = out / "data" / "custody" / "checkpoint.txt"
    lines = path.read_text().split("\n")
    lines[2] = "A" * 43 + "="
    path.write_text("\n".join(lines))
    bagit_resave = subprocess.run([sys.executable, "-c", f"import bagit; bagit.Bag({str(out)!r}).save(manifests=True)"])
    assert bagit_resave.returncode == 0
    forged = run("--witness", vkeys[0])
    assert forged.returncode == 1 and "not the signed head's" in forged.stdout and "does not verify" in forged.stdout


def test_the_exported_events_are_logged_only_once_the_bag_is_complete(users, tmp_path, monkeypatch):
    from vestige.evidence import bag
    from vestige.evidence.models import EvidenceItem

    inv = users["investigator"]
    _ingest(inv, 2)
    items = list(EvidenceItem.objects.order_by("ref"))

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the export process killed while writing

    monkeypatch.setattr(bag.bagit, "make_bag", killed)
    with pytest.raises(KeyboardInterrupt):
        bag.export(inv, items, tmp_path / "bag")
    assert not CustodyEvent.objects.filter(kind="exported").exists()
    assert not (tmp_path / "bag").exists()
    monkeypatch.undo()
    out = bag.export(inv, items, tmp_path / "bag")
    exported = list(CustodyEvent.objects.filter(kind="exported"))
    assert len(exported) == 2
    details = json.loads(exported[0].data)["details"]
    assert details["tag_manifest_sha256"] == __import__("hashlib").sha256(
        (out / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    assert bag.verify(out) == []
