"""``vestige demo``: migrate, load the Izium scenario, create one user per role."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from vestige.accounts.models import Case, CaseMembership, User
from vestige.accounts.roles import Role
from vestige.demo.claims import load_izium_claims
from vestige.demo.dvi import load_dvi
from vestige.demo.evidence import load_evidence
from vestige.demo.identification import load_identification
from vestige.demo.izium import load_izium
from vestige.demo.lineage import load_lineage
from vestige.demo.lists import load_list
from vestige.demo.snp import load_snps

# user name → role: one per role, a second DNA analyst, so that the two-person rule (one
# proposes an identification, another confirms it) can be tried, and a second examiner (an
# odontologist) who verifies the first one's dental conclusions.
DEMO_USERS = {
    "admin": Role.ADMINISTRATOR,
    "investigator": Role.INVESTIGATOR,
    "examiner": Role.FORENSIC_EXAMINER,
    "odontologist": Role.FORENSIC_EXAMINER,  # a second examiner: ACE-V verification of dental conclusions
    "dna": Role.DNA_ANALYST,
    "dna2": Role.DNA_ANALYST,
    "liaison": Role.FAMILY_LIAISON,
    "analyst": Role.ANALYST,
    "auditor": Role.AUDITOR,
}


def _passwords_file() -> Path:
    return Path(settings.VESTIGE_HOME) / "demo-accounts.txt"


# Invented people (the demo's synthetic staff), with the positions their reports print.
DEMO_NAMES = {"admin": ("Оксана", "Гребенюк"), "investigator": ("Тарас", "Мельничук"), "examiner": ("Ірина", "Савчук"),
              "odontologist": ("Марта", "Левицька"), "dna": ("Андрій", "Коваль"), "dna2": ("Наталія", "Бойко"),
              "liaison": ("Олег", "Ткаченко"), "analyst": ("Юлія", "Кравець"), "auditor": ("Богдан", "Руденко")}
DEMO_POSITIONS = {Role.ADMINISTRATOR: "адміністратор системи", Role.INVESTIGATOR: "слідчий",
                  Role.FORENSIC_EXAMINER: "судово-медичний експерт", Role.DNA_ANALYST: "експерт-генетик",
                  Role.FAMILY_LIAISON: "координатор з роботи з родинами", Role.ANALYST: "аналітик",
                  Role.AUDITOR: "аудитор"}


def ensure_demo_users() -> dict[str, tuple[str, str]]:
    """Create the demo users (username → (role, password)); reuse saved passwords on re-runs.

    Passwords are random per installation and kept in ``$VESTIGE_HOME/demo-accounts.txt``
    (mode 600), so a demo is never reachable with a password printed in the source code.
    """
    path = _passwords_file()
    saved: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line and not line.startswith("#"):
                name, _role, pw = line.split("\t")
                saved[name] = pw
    accounts = {}
    for name, role in DEMO_USERS.items():
        pw = saved.get(name) or secrets.token_urlsafe(9)
        user = User.objects.filter(username=name).first() or User(username=name, role=role)
        user.role = role
        user.first_name, user.last_name = DEMO_NAMES.get(name, ("Demo", Role(role).label))
        user.position = user.position or DEMO_POSITIONS.get(role, "")
        if not user.check_password(pw):
            user.set_password(pw)
        user.save()
        main, _created = Case.objects.get_or_create(code="MAIN", defaults={"name": "Main case"})
        CaseMembership.objects.get_or_create(case=main, user=user)  # the demo is one case, MAIN
        accounts[name] = (Role(role).label, pw)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# Vestige demo accounts: user<TAB>role<TAB>password\n")
        for name, (role, pw) in accounts.items():
            f.write(f"{name}\t{role}\t{pw}\n")
    return accounts


def run_demo(verbosity: int = 1, say=None) -> tuple[dict, dict]:
    """Load the demo; ``say(text)`` is told each step as it starts (the CLI prints them)."""
    say = say or (lambda _text: None)
    Path(settings.VESTIGE_HOME).mkdir(parents=True, exist_ok=True)
    say("Preparing the database")
    call_command("migrate", interactive=False, verbosity=0)
    accounts = ensure_demo_users()
    admin = User.objects.get(username="admin")
    say("Loading the Izium registry (sites, 446 graves, 447 remains)")
    created = load_izium(admin)

    say("Loading the public claims about Izium")
    created["claims"] = load_izium_claims(User.objects.get(username="investigator"), User.objects.get(username="analyst"))

    say("Recording the demo evidence in the custody ledger")
    created["evidence items"] = load_evidence(User.objects.get(username="investigator"))
    say("Simulating families, references and DNA of the remains (synthetic people)")
    report: dict = {}
    created["remains DNA samples"] = load_identification(User.objects.get(username="liaison"),
                                                          User.objects.get(username="dna"), report)
    if report:  # a fresh load (a re-run finds the families there and adds nothing)

        say("Typing Y-STR and mtDNA, with synthetic population databases (families with only an uncle or an aunt)")
        created.update(load_lineage(User.objects.get(username="dna"), report["lineage"]))
        say("Typing a synthetic SNP panel for the same families' uncles and aunts and for the bodies")
        created.update(load_snps(User.objects.get(username="dna"), report["lineage"]))
        say("Charting teeth and effects: ante-mortem from dentists, post-mortem from the examiners")
        created.update(load_dvi({k: User.objects.get(username=k) for k in ("liaison", "examiner", "odontologist",
                                                                           "dna2")},
                                report["truth"], report["no_dna"]))
        say("Importing a list from another organisation and linking it with the register (synthetic people)")
        created["list rows to reconcile"] = load_list(User.objects.get(username="liaison"))
    return accounts, created
