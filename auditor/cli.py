"""The `auditor` command: serve, db upgrade, checklists list|validate, demo, report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="auditor", description="Audit the psychosocial work environment (ISO 45003, Arbejdstilsynet).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web app (upgrades a fresh database first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=cmd_serve)

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db.add_parser("upgrade", help="apply every migration not yet applied").set_defaults(run=cmd_db_upgrade)

    checklists = commands.add_parser("checklists", help="the checklist library").add_subparsers(dest="checklists_command", required=True, metavar="ACTION")
    checklists.add_parser("list", help="id, version, title and item count of every checklist").set_defaults(run=cmd_checklists_list)
    validate = checklists.add_parser("validate", help="check checklist files; exits 1 if any is broken")
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    validate.set_defaults(run=cmd_checklists_validate)

    commands.add_parser("demo", help="add a demo organisation and a half-conducted audit (safe to run twice)").set_defaults(run=cmd_demo)

    report = commands.add_parser("report", help="write an audit's Word report")
    report.add_argument("audit_id", type=int)
    report.add_argument("--output", "-o", type=Path, required=True)
    report.add_argument("--lang", choices=["da", "en"])
    report.set_defaults(run=cmd_report)

    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    except ValidationError as exc:  # bad AUDITOR_* settings
        for error in exc.errors():
            print(f"auditor: setting {'.'.join(map(str, error['loc'])) or 'AUDITOR_*'}: {error['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2


def _settings():
    from auditor.config import Settings

    return Settings()


def _engine(settings):
    from auditor.db import make_engine

    return make_engine(settings.database_url)


def cmd_serve(args) -> int:
    import uvicorn

    from auditor.app import create_app
    from auditor.db import schema_state, upgrade

    settings = _settings()
    engine = _engine(settings)
    current, head = schema_state(engine)
    if current is None:
        print("auditor: new database; creating the schema", file=sys.stderr)
        upgrade(settings.database_url)
    elif current != head:
        print(f"auditor: the database schema is at {current}, the code needs {head}. Run: auditor db upgrade", file=sys.stderr)
        return 1
    uvicorn.run(create_app(settings, engine=engine), host=args.host, port=args.port, proxy_headers=True)
    return 0


def cmd_db_upgrade(args) -> int:
    from auditor.db import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    print("auditor: database schema is up to date")
    return 0


def cmd_checklists_list(args) -> int:
    from auditor.checklists import load_library

    library = load_library(_settings().checklist_paths())
    rows = [(c.id, c.checklist.version, c.checklist.title.en, str(c.checklist.item_count)) for c in library]
    headers = ("ID", "VERSION", "TITLE", "ITEMS")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(4)]
    for row in [headers, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    for error in library.errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if library.errors else 0


def cmd_checklists_validate(args) -> int:
    from auditor.checklists import load_library

    library = load_library(args.paths)
    for loaded in library:
        print(f"ok: {loaded.path}: {loaded.id} v{loaded.checklist.version}, {loaded.checklist.item_count} items")
    for error in library.errors:
        print(f"error: {error}", file=sys.stderr)
    if library.errors:
        print(f"{len(library.errors)} problem(s) found", file=sys.stderr)
        return 1
    return 0


def cmd_demo(args) -> int:
    from sqlmodel import Session

    from auditor.checklists import load_library
    from auditor.db import upgrade
    from auditor.demo import create_demo

    settings = _settings()
    upgrade(settings.database_url)
    with Session(_engine(settings), expire_on_commit=False) as session:
        audit, created = create_demo(session=session, library=load_library(settings.checklist_paths()))
    print(f"auditor: demo audit {'created' if created else 'already there'}: id {audit.id}, \"{audit.title}\"")
    return 0


def cmd_report(args) -> int:
    from sqlmodel import Session

    from auditor.errors import NotFound
    from auditor.services.audits import get_audit
    from auditor.services.reports import audit_report

    settings = _settings()
    with Session(_engine(settings)) as session:
        try:
            audit = get_audit(session=session, audit_id=args.audit_id)
        except NotFound:
            print(f"auditor: there is no audit with id {args.audit_id}", file=sys.stderr)
            return 1
        _, content = audit_report(session=session, audit=audit, lang=args.lang)
    args.output.write_bytes(content)
    print(f"auditor: wrote {args.output} ({len(content) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
