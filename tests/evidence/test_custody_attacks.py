"""Issue 11: the attacks on the custody record, each now caught.

The attacker has write access to the database (and, in one test, the signing key too). Each
test first checks that ``verify`` passes, then makes the edit an attacker would make — with
every hash they can recompute recomputed — and checks that ``verify`` names it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys

import bagit
import pytest
from django.db import connection

from vestige.errors import ConfigurationError, IntegrityFailure
from vestige.evidence import bag, custody, ledger_check, services
from vestige.evidence.models import (
    CustodyEvent,
    EvidenceItem,
    EvidenceLink,
    LedgerState,
    Provenance,
    TreeHeadRecord,
)
from vestige.ledger import Frontier, canonical_json, leaf_hash
from vestige.ledger.chain import digest


@pytest.fixture
def inv(users):
    return users["investigator"]


@pytest.fixture
def held(inv, site):
    """Three items, each ingested in its own committed-looking step with a kept head."""
    items = []
    for n in range(3):
        r = services.ingest(inv, io.BytesIO(f"witness video {n}".encode()), f"clip-{n}.txt",
                            provenance={"collected_by": "field team A", "source": "phone",
                                        "acquired_at": dt.datetime(2022, 9, 16, 10, n, tzinfo=dt.UTC)},
                            links={"site": site.ref})
        items.append(r.item)
        custody.keep_head()
    assert services.verify(inv) == []
    return items


def _sql(statement: str, *params) -> None:
    with connection.cursor() as c:
        c.execute(statement.replace("INDEX", connection.ops.quote_name("index")), params)


def _rechain(start: int = 0) -> None:
    """What a careful attacker does after editing entries: recompute every following prev,
    entry hash and leaf hash, and the ledger state (size, last hash, frontier)."""
    rows = list(CustodyEvent.objects.order_by("index"))
    prev = "sha256:" + "0" * 64
    leaves = []
    for i, row in enumerate(rows):
        body = json.loads(row.data)
        if i >= start:
            body["index"], body["prev"] = i, prev
            data = canonical_json(body)
            CustodyEvent.objects.filter(pk=row.pk).update(index=i, data=data.decode(), entry_hash=digest(data),
                                                          leaf_hash=leaf_hash(data).hex())
            row.data = data.decode()
        prev = digest(row.data.encode())
        leaves.append(leaf_hash(row.data.encode()))
    LedgerState.objects.filter(pk=1).update(size=len(rows), last_hash=prev, frontier=Frontier.of(leaves).dump())


def _key_holder_resigns() -> None:
    """What an attacker holding the key *and* the head journal's storage does after rewriting the
    log: drop every head (database and journal) and sign the forged log afresh."""
    TreeHeadRecord.objects.all().delete()
    custody.journal().path.unlink(missing_ok=True)
    LedgerState.objects.filter(pk=1).update(head_signature="", head_number=0)
    custody.keep_head()


def test_rewriting_an_event_and_recomputing_every_hash_is_caught(inv, held):
    ev = CustodyEvent.objects.filter(kind="received", item=held[1]).get()
    body = json.loads(ev.data)
    body["actor"] = "someone-else"
    CustodyEvent.objects.filter(pk=ev.pk).update(data=canonical_json(body).decode())
    _rechain()
    TreeHeadRecord.objects.all().delete()  # and the signed heads, which no longer fit
    problems = services.verify(inv)
    assert any("no longer have the newest signed root" in p for p in problems), problems
    assert any("tree head 1–3: missing" in p for p in problems), problems


def test_deleting_signed_heads_is_caught(inv, held):
    assert list(TreeHeadRecord.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3]
    TreeHeadRecord.objects.filter(number=2).delete()
    assert any("tree head 2: missing" in p for p in services.verify(inv))


def test_deleting_the_newest_heads_is_caught_by_the_live_head(inv, held):
    services.ingest(inv, io.BytesIO(b"a fourth"), "four.txt")
    custody.keep_head()
    TreeHeadRecord.objects.filter(number__gte=3).delete()  # heads 3 and 4
    problems = services.verify(inv)
    assert any("tree head 3: missing" in p for p in problems), problems


def test_deleting_the_last_event_is_caught(inv, held):
    last = CustodyEvent.objects.order_by("-index").first()
    _sql("DELETE FROM evidence_custodyevent WHERE INDEX = %s", last.index)
    _rechain()
    problems = ledger_check.verify_ledger()
    assert any("removed" in p for p in problems), problems


def test_events_appended_without_the_key_are_caught(inv, held):
    last = CustodyEvent.objects.order_by("-index").first()
    body = {"kind": "viewed", "actor": "ghost", "time": "2099-01-01T00:00:00.000000Z", "item": held[0].blob.sha256,
            "ref": held[0].ref, "details": {}, "index": last.index + 1, "prev": last.entry_hash}
    data = canonical_json(body)
    _sql("INSERT INTO evidence_custodyevent (INDEX, kind, item_id, data, entry_hash, leaf_hash) "
         "VALUES (%s, %s, %s, %s, %s, %s)", last.index + 1, "viewed", held[0].pk, data.decode(), digest(data),
         leaf_hash(data).hex())
    _rechain()
    problems = ledger_check.verify_ledger()
    assert any("added without a head" in p for p in problems), problems


@pytest.mark.parametrize("edit, named", [
    (lambda it: Provenance.objects.filter(item=it).update(collected_by="field team B"), "collected_by"),
    (lambda it: Provenance.objects.filter(item=it).update(acquired_at=dt.datetime(2022, 3, 1, tzinfo=dt.UTC)),
     "acquired_at"),
    (lambda it: EvidenceItem.objects.filter(pk=it.pk).update(original_name="other.txt"), "original_name"),
    (lambda it: EvidenceItem.objects.filter(pk=it.pk).update(media_type="video/mp4"), "media_type"),
    (lambda it: EvidenceItem.objects.filter(pk=it.pk).update(metadata={"steps": [], "gps": [50.0, 36.2]}),
     "metadata_sha256"),
    (lambda it: EvidenceLink.objects.filter(item=it).delete(), "links"),
    (lambda it: Provenance.objects.filter(item=it).delete(), "provenance"),
    (lambda it: EvidenceItem.objects.filter(pk=it.pk).update(failed_steps=[{"step": "x", "error": "y"}]),
     "failed_steps"),
])
def test_edits_of_the_facts_a_court_relies_on_are_caught(inv, held, edit, named):
    edit(held[2])
    problems = services.verify(inv, [held[2].ref])
    assert any(p.startswith(held[2].ref) and named in p for p in problems), problems
    assert EvidenceItem.objects.get(pk=held[2].pk).last_verification_ok is False


def test_a_link_added_or_moved_in_the_database_is_caught(inv, held, other_site):
    EvidenceLink.objects.filter(item=held[0]).update(site=other_site)
    problems = services.verify(inv, [held[0].ref])
    assert any("links" in p and "TST-OTHER" in p for p in problems), problems


def test_a_deleted_item_is_caught(inv, held, users):
    _sql("DELETE FROM evidence_evidencelink WHERE item_id = %s", held[0].pk)
    _sql("DELETE FROM evidence_provenance WHERE item_id = %s", held[0].pk)
    _sql("UPDATE evidence_custodyevent SET item_id = NULL WHERE item_id = %s", held[0].pk)
    _sql("DELETE FROM evidence_evidenceitem WHERE id = %s", held[0].pk)
    assert any("points at None" in p for p in services.verify(inv))  # a case member sees the orphaned events
    problems = services.verify(users["administrator"])  # the whole vault: the item itself is missing
    assert any(held[0].ref in p and "deleted" in p for p in problems), problems


def test_a_key_holder_who_rewrites_everything_is_caught_by_a_kept_head(inv, held, tmp_path):
    kept = custody.newest_head().as_dict()  # someone kept this head outside the system
    ev = CustodyEvent.objects.filter(kind="received", item=held[0]).get()
    body = json.loads(ev.data)
    body["details"]["collected_by"] = "field team B"
    CustodyEvent.objects.filter(pk=ev.pk).update(data=canonical_json(body).decode())
    _rechain()
    # ...and, holding the key and the journal's storage, re-signs every head and the live head.
    _key_holder_resigns()
    assert ledger_check.verify_ledger() == []  # nothing inside the system can tell
    old, new, problems = ledger_check.verify_since(kept)
    assert problems and "history was rewritten" in problems[0]
    # The honest ledger, later: the kept head is a prefix (RFC 9162 consistency proof).


def test_a_kept_head_proves_the_log_only_grew(inv, held):
    kept = custody.newest_head().as_dict()
    services.ingest(inv, io.BytesIO(b"later"), "later.txt")
    old, new, problems = ledger_check.verify_since(json.dumps(kept))
    assert problems == [] and new.size > old.size
    forged = dict(kept, root="00" * 32)
    assert any("not signed by this ledger's key" in p for p in ledger_check.verify_since(forged)[2])


def test_heads_are_kept_when_transactions_commit(inv, site, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ingest(inv, io.BytesIO(b"one"), "one.txt")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.verify(inv) == []  # verify appends events: a head covers them too
    newest = TreeHeadRecord.objects.order_by("-number").first()
    assert newest.size == CustodyEvent.objects.count() and newest.number == TreeHeadRecord.objects.count()


def test_the_ledger_key_is_refused_beside_the_data_in_production(settings, tmp_path):
    custody._signer.cache_clear()
    settings.PRODUCTION = True
    settings.VESTIGE_LEDGER_KEY = ""
    with pytest.raises(ConfigurationError, match="neither VESTIGE_LEDGER_KEY"):
        custody.signer()
    inside = settings.VESTIGE_HOME / "keys" / "ledger.key"
    settings.VESTIGE_LEDGER_KEY = str(inside)
    with pytest.raises(ConfigurationError, match="inside VESTIGE_HOME"):
        custody.signer()
    outside = tmp_path / "secrets" / "ledger.key"
    from vestige.ledger import Signer
    Signer.load_or_create(outside)
    settings.VESTIGE_LEDGER_KEY = str(outside)
    assert custody.signer().fingerprint() == Signer.load(outside).fingerprint()


# --- bags ------------------------------------------------------------------------------------

@pytest.fixture
def exported(inv, held, tmp_path):
    out = bag.export(inv, held[:2], tmp_path / "bag")
    assert bag.verify(out) == []
    return out


def _run_verify(out, *extra):
    return subprocess.run([sys.executable, "-I", str(out / "data" / "verify.py"), str(out), *extra],
                          capture_output=True, text=True)


def _remanifest(out):
    bagit.Bag(str(out)).save(manifests=True)  # the attacker recomputes both manifests and Payload-Oxum


def _edit_metadata(out):
    path = next((out / "data" / "metadata").glob("*.json"))
    meta = json.loads(path.read_text())
    meta["facts"]["provenance"][0]["collected_by"] = "field team B"
    path.write_text(json.dumps(meta))


def _edit_link(out):
    path = next((out / "data" / "metadata").glob("*.json"))
    meta = json.loads(path.read_text())
    meta["facts"]["links"] = ["site:ELSEWHERE"]
    path.write_text(json.dumps(meta))


def _drop_event(out):
    events = out / "data" / "custody" / "events.jsonl"
    lines = events.read_text().splitlines()
    events.write_text("\n".join(lines[:1] + lines[2:]) + "\n")


def _empty_events(out):
    (out / "data" / "custody" / "events.jsonl").write_text("")


def _edit_head(out):
    path = out / "data" / "custody" / "tree-head.json"
    head = json.loads(path.read_text())
    head["time"] = "2030-01-01T00:00:00.000000Z"
    path.write_text(json.dumps(head))


def _edit_payload(out):
    original = next((out / "data" / "originals").iterdir())
    original.write_bytes(b"something else")


@pytest.mark.parametrize("attack, remanifest, named", [
    (_edit_metadata, True, "collected_by"),
    (_edit_metadata, False, "data/metadata/"),
    (_edit_link, True, "links differs"),
    (_drop_event, True, "custody events of"),
    (_empty_events, True, "custody events of"),  # the bag lists each item's events in its signed metadata
    (_edit_head, True, "tree-head.json"),
    (_edit_payload, True, "data/originals/"),
    (lambda out: (out / "bag-info.txt").write_text((out / "bag-info.txt").read_text() + "Note: edited\n"), False,
     "bag-info.txt"),
    (lambda out: (out / "manifest-sha256.txt").write_text((out / "manifest-sha256.txt").read_text() + "\n\n"), False,
     "manifest-sha256.txt"),
    (lambda out: (out / "tagmanifest-sha256.txt").write_text((out / "tagmanifest-sha256.txt").read_text() + "\n"),
     False, "tagmanifest-sha256.txt"),
    (lambda out: (out / "bag-signature.json").write_text('{"signature": "AAAA"}'), False, "bag signature"),
])
def test_every_bag_edit_fails_and_names_the_file(exported, attack, remanifest, named):
    attack(exported)
    if remanifest:
        _remanifest(exported)
    run = _run_verify(exported)
    assert run.returncode == 1, run.stdout
    assert named in run.stdout, run.stdout
    assert bag.verify(exported)


def test_a_bag_resigned_with_another_key_fails_the_fingerprint(exported, inv):
    from vestige.ledger import Signer
    fp = custody.fingerprint()
    assert f"Vestige-Ledger-Key-Fingerprint: {fp}" in (exported / "bag-info.txt").read_text()
    assert _run_verify(exported, "--fingerprint", fp).returncode == 0
    forger = Signer.generate()
    (exported / "data" / "custody" / "public-key.pem").write_bytes(forger.public_pem())
    _remanifest(exported)
    run = _run_verify(exported, "--fingerprint", fp)
    assert run.returncode == 1 and "fingerprint" in run.stdout


def test_export_refuses_rows_that_differ_from_the_custody_record(inv, held, tmp_path):
    Provenance.objects.filter(item=held[0]).update(collected_by="field team B")
    with pytest.raises(IntegrityFailure, match="differs from the custody record"):
        bag.export(inv, [held[0]], tmp_path / "bag")
    assert not (tmp_path / "bag").exists() or not any((tmp_path / "bag").iterdir())


def test_head_and_verify_since_head_from_the_command_line(inv, held, capsys, tmp_path):
    from vestige.cli import main
    assert main(["evidence", "head"]) == 0
    printed = capsys.readouterr().out
    head = json.loads(printed)
    assert head["key_fingerprint"] == custody.fingerprint() and head["size"] == CustodyEvent.objects.count()
    kept = tmp_path / "head.json"
    kept.write_text(printed)
    services.ingest(inv, io.BytesIO(b"later"), "later.txt")
    assert main(["evidence", "verify", "--since-head", str(kept), "--as", inv.username]) == 0
    assert "without rewriting" in capsys.readouterr().out
    _sql("DELETE FROM evidence_custodyevent WHERE INDEX = %s", CustodyEvent.objects.order_by("-index").first().index)
    _rechain()
    _key_holder_resigns()  # a key holder re-signs a log that lost its last entry
    assert main(["evidence", "verify", "--since-head", str(kept), "--as", inv.username]) == 0  # still a prefix
    ev = CustodyEvent.objects.get(index=1)
    CustodyEvent.objects.filter(pk=ev.pk).update(data=ev.data.replace("stored", "STORED"))
    _rechain()
    _key_holder_resigns()
    assert main(["evidence", "verify", "--since-head", str(kept), "--as", inv.username]) == 6
    assert "history was rewritten" in capsys.readouterr().out
    (tmp_path / "bad.json").write_text("{not json")
    assert main(["evidence", "verify", "--since-head", str(tmp_path / "bad.json"), "--as", inv.username]) != 0
    assert "not a signed tree head" in capsys.readouterr().err


# --- issue 24: a forgery is never re-signed; the head journal names what changed --------------

def _forge_collector_and_roll_back_heads(item, keep_number: int) -> None:
    """Issue 24's attack, by someone with the database but not the key: the item's collector
    changed in its custody events and its provenance row, every hash recomputed, the heads above
    ``keep_number`` deleted and the ledger state pointed at that older, validly signed head."""
    for ev in CustodyEvent.objects.filter(item=item):
        if "field team A" in ev.data:
            CustodyEvent.objects.filter(pk=ev.pk).update(data=ev.data.replace("field team A", "field team B"))
    Provenance.objects.filter(item=item).update(collected_by="field team B")
    _rechain()
    TreeHeadRecord.objects.filter(number__gt=keep_number).delete()
    h = TreeHeadRecord.objects.get(number=keep_number)
    LedgerState.objects.filter(pk=1).update(head_number=h.number, head_size=h.size, head_root=h.root,
                                            head_time=h.time, head_signature=h.signature)


def _log_shape():
    return (CustodyEvent.objects.count(), TreeHeadRecord.objects.count(),
            custody.journal().path.read_bytes() if custody.journal().exists() else b"")


def test_a_forged_log_is_reported_never_re_signed(inv, held, capsys):
    from vestige.cli import main

    _forge_collector_and_roll_back_heads(held[2], keep_number=2)
    before = _log_shape()
    for _ in range(2):  # the first verify used to sign the forgery; the second then said OK
        assert main(["evidence", "verify", "--all", "--as", inv.username]) == 6
        out = capsys.readouterr().out
        assert "FAIL" in out and "OK" not in out
        assert _log_shape() == before  # nothing appended, nothing signed, the journal untouched
    # verify names the item, the event and the field that changed
    received = CustodyEvent.objects.get(item=held[2], kind="received").index
    assert (f"custody event {received} (item {held[2].ref}, received): rewritten after it was signed; "
            "changed: details.collected_by") in out, out
    assert "tree head 3 (size" in out and "missing from the database" in out
    # `evidence head` refuses to print (or sign) a head of the forged log
    assert main(["evidence", "head"]) == 6
    assert "heads were deleted or the database rolled back" in capsys.readouterr().err
    assert _log_shape() == before
    # and intake is refused rather than extending the forgery under a fresh signature
    with pytest.raises(IntegrityFailure, match="nothing is signed"):
        services.ingest(inv, io.BytesIO(b"after the forgery"), "after.txt")
    assert _log_shape() == before


def test_deleting_every_head_stays_caught(inv, held, capsys):
    from vestige.cli import main

    TreeHeadRecord.objects.all().delete()
    for _ in range(2):  # used to exit 6, then 0
        assert main(["evidence", "verify", "--all", "--as", inv.username]) == 6
        assert "tree head 1 (size" in capsys.readouterr().out
    assert TreeHeadRecord.objects.count() == 0


def test_a_database_rolled_back_to_an_older_copy_is_caught(inv, held):
    # The newest item and its events vanish, with every hash recomputed and the state rewound:
    # the database alone now looks like an honest, shorter log.
    last_item = held[2]
    first = CustodyEvent.objects.filter(item=last_item).order_by("index").first().index
    _sql("DELETE FROM evidence_custodyevent WHERE INDEX >= %s", first)
    _sql("DELETE FROM evidence_evidencelink WHERE item_id = %s", last_item.pk)
    _sql("DELETE FROM evidence_provenance WHERE item_id = %s", last_item.pk)
    _sql("DELETE FROM evidence_evidenceitem WHERE id = %s", last_item.pk)
    _rechain()
    TreeHeadRecord.objects.filter(number=3).delete()
    h = TreeHeadRecord.objects.get(number=2)
    LedgerState.objects.filter(pk=1).update(head_number=2, head_size=h.size, head_root=h.root, head_time=h.time,
                                            head_signature=h.signature)
    problems = ledger_check.verify_ledger()
    assert any("tree head 3" in p and "rolled back" in p for p in problems), problems
    assert any(f"custody event {first} (item {last_item.ref}, received): signed in the head journal, now deleted"
               in p for p in problems), problems


def test_a_deleted_event_in_the_middle_is_named(inv, held):
    ev = CustodyEvent.objects.get(item=held[1], kind="stored")
    _sql("DELETE FROM evidence_custodyevent WHERE INDEX = %s", ev.index)
    _rechain()
    problems = ledger_check.verify_ledger()
    assert any(f"custody event {ev.index} (item {held[1].ref}, stored): deleted" in p for p in problems), problems


def test_verify_since_head_rehashes_the_entries_and_writes_nothing(inv, held, tmp_path, capsys):
    from vestige.cli import main

    kept = tmp_path / "head.json"
    assert main(["evidence", "head"]) == 0
    kept.write_text(capsys.readouterr().out)
    ev = CustodyEvent.objects.get(item=held[0], kind="received")
    # the entry edited, its leaf-hash column left as it was (the old check read only the column)
    CustodyEvent.objects.filter(pk=ev.pk).update(data=ev.data.replace("field team A", "field team B"))
    before = _log_shape()
    assert main(["evidence", "verify", "--since-head", str(kept), "--as", inv.username]) == 6
    assert "no longer give the newest head's root" in capsys.readouterr().out
    assert _log_shape() == before


def test_a_missing_key_is_never_recreated_under_a_used_ledger(inv, held, settings):
    custody._signer.cache_clear()
    key = settings.VESTIGE_HOME / "keys" / "ledger.key"
    assert key.exists()
    key.unlink()
    with pytest.raises(ConfigurationError, match="is missing, but the custody ledger already holds"):
        custody.signer()
    assert not key.exists()


def test_the_journal_missing_under_kept_heads_stops_signing(inv, held):
    custody.journal().path.unlink()
    with pytest.raises(IntegrityFailure, match="head journal .* is missing or empty"):
        custody.keep_head()
    assert any("head journal" in p and "missing or empty" in p for p in ledger_check.verify_ledger())


def test_the_journal_chain_and_heads_verify_on_an_honest_log(inv, held):
    lines = custody.journal().lines()
    assert [ln.head.number for ln in lines] == [1, 2, 3]
    # the held fixture's last verify appended three events after head 3, not yet kept
    assert lines[-1].head.size == TreeHeadRecord.objects.get(number=3).size == CustodyEvent.objects.count() - 3
    assert sum(len(ln.events) for ln in lines) == lines[-1].head.size
    custody.keep_head()
    assert custody.journal().last().head.size == CustodyEvent.objects.count()
    # editing one byte of an earlier journal line breaks its chain
    raw = custody.journal().path.read_bytes().split(b"\n")
    raw[0] = raw[0].replace(b'"number":1', b'"number":1 ')
    custody.journal().path.write_bytes(b"\n".join(raw))
    assert any("head journal line 2 (head 2): does not follow" in p for p in ledger_check.verify_ledger())


def test_a_log_kept_before_journals_is_adopted_only_when_it_verifies(inv, held, capsys):
    from vestige.cli import main

    custody.keep_head()
    journal = custody.journal()
    honest = journal.path.read_bytes()
    journal.path.unlink()
    assert main(["evidence", "journal", "adopt"]) == 0
    assert journal.path.read_bytes() == honest  # the same lines, byte for byte
    assert ledger_check.verify_ledger() == []
    assert main(["evidence", "journal", "adopt"]) == 6  # never rewritten
    journal.path.unlink()
    ev = CustodyEvent.objects.get(item=held[0], kind="received")
    CustodyEvent.objects.filter(pk=ev.pk).update(data=ev.data.replace("field team A", "field team B"))
    assert main(["evidence", "journal", "adopt"]) == 6
    assert "does not verify" in capsys.readouterr().err and not journal.exists()


# --- issue 24, part 9: an independent verifier ------------------------------------------------

def _independent_verifier(tmp_path):
    """The vestige-verify package as pip builds it (verifier/: its module plus the repository's
    bag_verify.py), laid out without building, for a subprocess to import."""
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pkg = tmp_path / "site" / "vestige_verify"
    pkg.mkdir(parents=True)
    for name in ("__init__.py", "__main__.py"):
        shutil.copyfile(root / "verifier" / "vestige_verify" / name, pkg / name)
    shutil.copyfile(root / "src" / "vestige" / "evidence" / "bag_verify.py", pkg / "bag_verify.py")
    return tmp_path / "site"


def _run_independent(site, out, *extra):
    import os
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-m", "vestige_verify", str(out), *extra], capture_output=True, text=True,
                          env=env)


def test_the_bag_names_its_verifier_and_an_independent_one_catches_a_replaced_copy(exported, tmp_path):
    import hashlib

    info = (exported / "bag-info.txt").read_text()
    named = hashlib.sha256((exported / "data" / "verify.py").read_bytes()).hexdigest()
    assert f"Vestige-Verifier-SHA256: {named}" in info and "vestige-verify" in info
    site = _independent_verifier(tmp_path)
    fp = custody.fingerprint()
    ok = _run_independent(site, exported, "--fingerprint", fp)
    assert ok.returncode == 0 and "OK" in ok.stdout, ok.stdout + ok.stderr
    # without the out-of-band fingerprint the independent verifier refuses to say OK
    bare = _run_independent(site, exported)
    assert bare.returncode == 2 and "--fingerprint" in bare.stderr
    # the attack: data/verify.py replaced by one that always says OK, the manifests recomputed
    (exported / "data" / "verify.py").write_text("print('OK: everything verifies')\n")
    _remanifest(exported)
    assert "OK" in _run_verify(exported).stdout  # the bag's own copy is fooled, by construction
    forged = _run_independent(site, exported, "--fingerprint", fp)
    assert forged.returncode == 1
    assert "data/verify.py: SHA-256" in forged.stdout and "replaced" in forged.stdout, forged.stdout


def test_bags_are_bagit_1_0_with_the_signature_under_the_tag_manifest(exported):
    """Issue 28, part 4: RFC 8493 BagIt 1.0, every file of the bag under a manifest (bagit-utils
    rejected the signature outside them), bagit-python validating it."""
    assert (exported / "bagit.txt").read_text() == "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    listed = dict(reversed(line.split(" ", 1)) for line in (exported / "tagmanifest-sha256.txt").read_text().splitlines())
    assert set(listed) == {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "bag-signature.json"}
    bag_ = bagit.Bag(str(exported))
    assert bag_.version_info == (1, 0) and bag_.is_valid()
    sig = json.loads((exported / "bag-signature.json").read_text())
    assert sig["signs"] == ["bagit.txt", "bag-info.txt", "manifest-sha256.txt"]
    # the signature file edited: the tag manifest and the signature both say so
    (exported / "bag-signature.json").write_text(json.dumps({**sig, "key_fingerprint": "SHA256:forged"}))
    run = _run_verify(exported)
    assert run.returncode == 1 and "bag-signature.json: SHA-256 differs from the tag manifest" in run.stdout
