"""Roles and what each may do.

A role is a job in an investigation, not a bundle of buttons. Services call
:func:`vestige.accounts.services.require` with one capability; views only hide what a role can't
do, they never decide it.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    INVESTIGATOR = "investigator", _("Investigator")
    FORENSIC_EXAMINER = "forensic_examiner", _("Forensic examiner")
    DNA_ANALYST = "dna_analyst", _("DNA analyst")
    FAMILY_LIAISON = "family_liaison", _("Family liaison")
    ANALYST = "analyst", _("Analyst")
    AUDITOR = "auditor", _("Auditor")


class Cap(StrEnum):
    """Capabilities checked by the service layer."""

    REGISTRY_READ = "registry.read"
    SITE_WRITE = "site.write"
    GRAVE_WRITE = "grave.write"
    EXHUMATION_WRITE = "exhumation.write"
    REMAINS_WRITE = "remains.write"
    HISTORY_READ = "history.read"
    CLAIM_WRITE = "claim.write"  # record claims, issuers and incidents; link evidence and records
    CLAIM_VERIFY = "claim.verify"  # change a claim's verification status
    WITNESS_WRITE = "witness.write"
    WITNESS_IDENTITY = "witness.identity"  # see who a witness is (decrypted identity)
    MISSING_READ = "missing.read"  # the missing-persons register, families and their pedigrees
    MISSING_WRITE = "missing.write"  # missing persons, families, pedigrees, donors and consent
    CONTACT_READ = "contact.read"  # family contact details
    DNA_READ = "dna.read"  # see DNA profiles
    DNA_WRITE = "dna.write"  # import reference profiles and remains samples
    IDENT_READ = "identify.read"  # matching runs, candidates and their reports, worklists, decisions
    RUN_START = "identify.run"
    IDENT_PROPOSE = "identify.propose"
    IDENT_CONFIRM = "identify.confirm"
    DVI_COMPARE = "dvi.compare"  # record and verify dental and fingerprint comparisons (ACE-V)
    BOARD = "identify.board"  # propose and confirm identifications at the board (all identifiers)
    NOTIFY = "identify.notify"  # record notification of the family and return of remains
    EVIDENCE_READ = "evidence.read"  # see evidence items (viewing is recorded)
    EVIDENCE_WRITE = "evidence.write"  # ingest and link evidence
    EVIDENCE_EXPORT = "evidence.export"  # export bags for a court
    AUDIT_READ = "audit.read"
    ACCOUNTS_MANAGE = "accounts.manage"


_READ = {Cap.REGISTRY_READ, Cap.HISTORY_READ, Cap.EVIDENCE_READ}

CAPABILITIES: dict[str, frozenset[Cap]] = {
    Role.ADMINISTRATOR: frozenset(Cap),
    # Investigators open sites and record graves and exhumations found in the field.
    Role.INVESTIGATOR: frozenset(_READ | {Cap.SITE_WRITE, Cap.GRAVE_WRITE, Cap.EXHUMATION_WRITE,
                                          Cap.CLAIM_WRITE, Cap.CLAIM_VERIFY, Cap.WITNESS_WRITE,
                                          Cap.WITNESS_IDENTITY, Cap.EVIDENCE_WRITE,
                                          Cap.EVIDENCE_EXPORT}),
    # Forensic examiners exhume and examine: graves, exhumations and the post-mortem record; they
    # compare it with the missing persons' ante-mortem data and the candidates.
    Role.FORENSIC_EXAMINER: frozenset(
        _READ | {Cap.GRAVE_WRITE, Cap.EXHUMATION_WRITE, Cap.REMAINS_WRITE, Cap.EVIDENCE_WRITE,
                 Cap.MISSING_READ, Cap.IDENT_READ, Cap.DVI_COMPARE, Cap.BOARD}
    ),
    # ... and, with the odontologists and fingerprint examiners, sit on the identification board.
    Role.DNA_ANALYST: frozenset(_READ | {Cap.MISSING_READ, Cap.DNA_READ, Cap.DNA_WRITE, Cap.IDENT_READ,
                                         Cap.RUN_START, Cap.IDENT_PROPOSE, Cap.IDENT_CONFIRM, Cap.BOARD}),
    # Family liaisons register the missing, take donors' consent and tell families.
    Role.FAMILY_LIAISON: frozenset(_READ | {Cap.MISSING_READ, Cap.MISSING_WRITE, Cap.CONTACT_READ, Cap.IDENT_READ,
                                            Cap.NOTIFY}),
    # Analysts never change the case registry; verifying claims is their work (issue 6).
    Role.ANALYST: frozenset(_READ | {Cap.CLAIM_WRITE, Cap.CLAIM_VERIFY}),
    # Auditors read everything that was done, including failed logins and token use.
    Role.AUDITOR: frozenset(_READ | {Cap.AUDIT_READ, Cap.MISSING_READ, Cap.IDENT_READ}),
}


# The roles that reach DNA, families' and witnesses' identities, or everything: a second factor
# is required of them in production (VESTIGE_REQUIRE_2FA).
TWO_FACTOR_ROLES = frozenset({Role.ADMINISTRATOR, Role.DNA_ANALYST, Role.FAMILY_LIAISON, Role.INVESTIGATOR})


def capabilities(role: str) -> frozenset[Cap]:
    return CAPABILITIES.get(role, frozenset())
