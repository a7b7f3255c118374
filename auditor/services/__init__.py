"""The domain: plain functions with a keyword-only `session`. Routes (HTML and JSON) and the CLI call these."""
