"""A witness for Vestige's custody ledger (``c2sp.org/tlog-witness``), for another organisation to run.

A prosecutor's office or a partner NGO runs ``vestige witness serve`` with its own key and state
file: it cosigns each checkpoint the ledger sends only if it extends the last one it cosigned, so
a ledger rewritten in the database, rolled back, or re-signed with a stolen key is refused by every
witness and the cosignatures already given no longer match. Needs neither Django nor a database:
:mod:`vestige.ledger.witness` decides, :mod:`vestige.witness.server` keeps the state and answers HTTP.
"""
