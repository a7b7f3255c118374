"""The domain: plain functions with a keyword-only `session`. Routes (HTML and JSON) and the CLI call these.

Services flush (when they need ids) and never commit: the caller's unit of work commits once (db.transaction).
Their imports run one way, from the top of this list down (tests/test_imports.py refuses a circle):
reports, reviews, history, reminders -> programmes, responses -> findings -> photos, evidence, audit_time, sampling
-> audits -> staffing, cases -> accounts, organisations, library, checklists, filters, numbering, blobs, trail, access.
"""
