"""The `auditor` command: serve, db upgrade, checklists list|validate|reload, demo, report."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from pydantic import ValidationError

from auditor import vocabulary as v
from auditor.i18n import reset_locale, set_locale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="auditor", description="Audit the psychosocial work environment (ISO 45003, Arbejdstilsynet)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web app (creates the schema of a fresh database first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0: any free port (the log says which)")
    serve.add_argument("--workers", type=int, help="worker processes (default: AUDITOR_WORKERS, else 1)")
    serve.add_argument(
        "--upgrade",
        action="store_true",
        help="apply pending migrations first, instead of refusing to start on an outdated schema",
    )
    serve.set_defaults(run=cmd_serve)

    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    db.add_parser("upgrade", help="apply every migration not yet applied").set_defaults(run=cmd_db_upgrade)

    checklists = commands.add_parser("checklists", help="the checklist library").add_subparsers(
        dest="checklists_command", required=True, metavar="ACTION"
    )
    checklists.add_parser("list", help="id, version, title and item count of every checklist").set_defaults(
        run=cmd_checklists_list
    )
    validate = checklists.add_parser("validate", help="check checklist files; exits 1 if any is broken")
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    validate.set_defaults(run=cmd_checklists_validate)
    checklists.add_parser(
        "reload", help="publish this machine's checklist files to every process; refuses broken files"
    ).set_defaults(run=cmd_checklists_reload)

    users = commands.add_parser("users", help="accounts").add_subparsers(
        dest="users_command", required=True, metavar="ACTION"
    )
    create = users.add_parser("create", help="create a user (the first one should be an admin)")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument(
        "--role", required=True, help="admin, lead_auditor, auditor, quality_manager, action_owner or viewer"
    )
    create.add_argument(
        "--organisation", help="name or id of the client organisation (leave out for the audit provider's staff)"
    )
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input; otherwise a temporary one is printed",
    )
    create.set_defaults(run=cmd_users_create)
    users.add_parser("list", help="every user with role and organisation").set_defaults(run=cmd_users_list)
    reset = users.add_parser("reset-password", help="print a new temporary password for a user")
    reset.add_argument("--email", required=True)
    reset.set_defaults(run=cmd_users_reset_password)

    tokens = commands.add_parser("tokens", help="personal API tokens").add_subparsers(
        dest="tokens_command", required=True, metavar="ACTION"
    )
    token_create = tokens.add_parser("create", help="create an API token for a user and print it (shown once)")
    token_create.add_argument("--email", required=True)
    token_create.add_argument("--name", default="API")
    token_create.set_defaults(run=cmd_tokens_create)
    token_revoke = tokens.add_parser("revoke", help="revoke an API token")
    token_revoke.add_argument("token", help="the token, or its first 12 characters as shown in the app")
    token_revoke.set_defaults(run=cmd_tokens_revoke)

    reminders = commands.add_parser("reminders", help="e-mail reminders (AUDITOR_SMTP_*)").add_subparsers(
        dest="reminders_command", required=True, metavar="ACTION"
    )
    reminders.add_parser(
        "run",
        help="queue today's reminders and send what is waiting (for cron or a systemd timer); exits 1 on a failure",
    ).set_defaults(run=cmd_reminders_run)

    commands.add_parser(
        "demo", help="add a demo organisation, demo users and a half-conducted audit (safe to run twice)"
    ).set_defaults(run=cmd_demo)

    report = commands.add_parser("report", help="write an audit's Word report")
    report.add_argument("audit_id", type=int)
    report.add_argument("--output", "-o", type=Path, required=True)
    report.add_argument("--lang", choices=list(v.Language))
    report.add_argument("--kind", choices=list(v.ReportKind), default=v.ReportKind.AUDIT_REPORT)
    report.set_defaults(run=cmd_report)

    args = parser.parse_args(argv)
    # The operator's terminal: messages in English, like the rest of the CLI; the caller's locale given back after
    # (a program that calls main(), a test for one, goes on in its own language).
    locale = set_locale(v.Language.EN)
    try:
        return args.run(args) or 0
    except ValidationError as exc:  # bad AUDITOR_* settings
        for error in exc.errors():
            print(
                f"auditor: setting {'.'.join(map(str, error['loc'])) or 'AUDITOR_*'}: {error['msg'].removeprefix('Value error, ')}",
                file=sys.stderr,
            )
        return 2
    finally:
        reset_locale(locale)


def _settings():
    from auditor.config import Settings

    return Settings()


def _engine(settings):
    return settings.make_engine()


def cmd_serve(args) -> int:
    settings = _settings()
    workers = args.workers or settings.workers
    if workers < 1:
        print("auditor: --workers must be 1 or more", file=sys.stderr)
        return 2
    from auditor.logs import configure_logging, logging_config

    configure_logging(settings)
    log = logging.getLogger("auditor")
    metrics_dir = _metrics_dir(workers)
    try:
        import uvicorn

        from auditor.db import schema_state, upgrade

        engine = _engine(settings)
        current, head = schema_state(engine)
        if current is None or (args.upgrade and current != head):
            log.info(
                "new database; creating the schema"
                if current is None
                else f"upgrading the database schema from {current} to {head}"
            )
            upgrade(settings.database_url)
        elif current != head:
            log.error(
                f"the database schema is at revision {current}, this code needs {head}. Back up the database and run "
                "`auditor db upgrade`, or start with `auditor serve --upgrade`"
            )
            return 1
        _hint_first_admin(engine)
        engine.dispose()
        sock = listening_socket(args.host, args.port)
        host, port = sock.getsockname()[:2]
        log.info(
            f"serving http://{f'[{host}]' if ':' in host else host}:{port} with {workers} worker process{'es' if workers > 1 else ''}"
        )
        uvicorn.run(
            "auditor.app:create_server_app",
            factory=True,
            fd=sock.fileno(),
            workers=workers,
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            timeout_graceful_shutdown=settings.graceful_timeout,
            access_log=False,
            log_config=logging_config(settings),
        )
        return 0
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket every worker serves from, bound here so that it can carry TCP_NODELAY: asyncio sets that only on
    connections of sockets it created itself, and without it each back-to-back request on a kept-alive connection
    waits ~40 ms for a delayed ACK (bench/keep_alive.py). Linux gives accepted connections the listener's option."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _metrics_dir(workers: int) -> Path | None:
    """prometheus-client's multiprocess folder, set before prometheus_client is imported: the operator's
    PROMETHEUS_MULTIPROC_DIR emptied, or, with several workers, a new temporary one (returned, to be removed at exit)."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):  # figures of processes that are gone would be added in forever
            stale.unlink()
        return None
    if workers == 1:
        return None  # one process: its own figures are all there is
    created = Path(tempfile.mkdtemp(prefix="auditor-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(created)  # the workers inherit it
    return created


def _hint_first_admin(engine) -> None:
    from auditor.db import reading, unit_of_work
    from auditor.services.accounts import has_users

    with unit_of_work(reading(engine)) as session:
        if not has_users(session=session):
            logging.getLogger("auditor").warning(
                "there are no users yet. Create the first administrator with: "
                'auditor users create --email you@example.org --name "Your Name" --role admin --password-stdin'
            )


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
    return 1 if _print_problems(library) else 0


def _print_problems(library) -> bool:
    """Print each file/item/field problem as `validate` does; True if there was any."""
    for error in library.errors:
        print(f"error: {error}", file=sys.stderr)
    if library.errors:
        print(f"{len(library.errors)} problem(s) found", file=sys.stderr)
    return bool(library.errors)


def cmd_checklists_reload(args) -> int:
    from auditor.checklists import load_library
    from auditor.services.library import OlderVersion, publish

    settings = _settings()
    files = load_library(settings.checklist_paths())
    if _print_problems(files):
        print("auditor: nothing published; the published library is unchanged", file=sys.stderr)
        return 1
    try:
        outcome = publish(engine=_engine(settings), files=files, reload=True, command="auditor checklists reload")
    except OlderVersion as error:
        print(f"error: {error}\nauditor: nothing published; the published library is unchanged", file=sys.stderr)
        return 1
    for change in outcome.changes:
        print(f"published: {change}")
    if outcome.revision_id is None:
        print("auditor: the published library already matches these files; nothing to do")
    else:
        print(
            f"auditor: published library revision {outcome.revision_id}; every process serves it from its next request"
        )
    return 0


def cmd_demo(args) -> int:
    from auditor.db import unit_of_work, upgrade
    from auditor.demo import create_demo
    from auditor.services.library import publish_at_start, published_library

    settings = _settings()
    upgrade(settings.database_url)
    engine = _engine(settings)
    publish_at_start(engine=engine, paths=settings.checklist_paths())
    with unit_of_work(engine) as session:  # all of the demo or none of it
        demo = create_demo(session=session, library=published_library(session=session))
    print(
        f'auditor: demo audit {"created" if demo.created else "already there"}: id {demo.audit.id}, "{demo.audit.title}"'
    )
    if demo.passwords:
        print("auditor: demo users (the passwords are shown only now):")
        for email, role, password in demo.passwords:
            print(f"  {email:<34} {role:<16} {password}")
    else:
        print(
            "auditor: the demo users exist already; give one a new password with: auditor users reset-password --email EMAIL"
        )
    return 0


def _session(settings):
    """A command's unit of work: it commits once at the end, or changes nothing if the command fails."""
    from auditor.db import unit_of_work

    return unit_of_work(_engine(settings))


def _find_organisation(session, reference: str | None):
    from sqlmodel import select

    from auditor.models import Organisation

    if reference is None:
        return None
    query = (
        select(Organisation).where(Organisation.id == int(reference))
        if reference.isdigit()
        else select(Organisation).where(Organisation.name == reference)
    )
    organisation = session.exec(query).first()
    if organisation is None:
        raise SystemExit(f"auditor: there is no organisation {reference!r}")
    return organisation


def cmd_users_create(args) -> int:
    from auditor.errors import Invalid
    from auditor.routes.errors import message_of
    from auditor.services import accounts

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    with _session(_settings()) as session:
        organisation = _find_organisation(session, args.organisation)
        try:
            user, temporary = accounts.create_user(
                session=session,
                actor=None,
                email=args.email,
                name=args.name,
                role=args.role,
                organisation_id=organisation.id if organisation else None,
                password=password,
            )
        except Invalid as error:
            print(f"auditor: {error.field}: {message_of(error)}", file=sys.stderr)
            return 1
    print(f"auditor: created {user.email} ({user.role})")
    if temporary:
        print(f"auditor: temporary password (shown once; to be changed at first login): {temporary}")
    return 0


def cmd_users_list(args) -> int:
    from sqlmodel import select

    from auditor.models import Organisation, User

    with _session(_settings()) as session:
        names = {o.id: o.name for o in session.exec(select(Organisation))}
        for user in session.exec(select(User).order_by(User.email)):
            status = "active" if user.is_active else "deactivated"
            print(
                f"{user.id:>4}  {user.email:<34} {user.role:<16} {status:<12} {names.get(user.organisation_id, 'audit provider')}"
            )
    return 0


def cmd_users_reset_password(args) -> int:
    from auditor.services import accounts

    with _session(_settings()) as session:
        user = accounts.find_user(session=session, email=args.email)
        if user is None:
            print(f"auditor: there is no user {args.email}", file=sys.stderr)
            return 1
        password = accounts.reset_password(session=session, actor=None, user=user)
    print(f"auditor: temporary password for {user.email} (shown once): {password}")
    return 0


def cmd_tokens_create(args) -> int:
    from auditor.services import accounts

    with _session(_settings()) as session:
        user = accounts.find_user(session=session, email=args.email)
        if user is None or not user.is_active:
            print(f"auditor: there is no active user {args.email}", file=sys.stderr)
            return 1
        _, token = accounts.create_token(session=session, user=user, name=args.name)
    print(f"auditor: API token for {user.email} (shown once): {token}")
    return 0


def cmd_reminders_run(args) -> int:
    from auditor.services import reminders

    settings = _settings()
    try:
        result = reminders.run(engine=_engine(settings), settings=settings)
    except reminders.NotConfigured as error:
        print(f"auditor: {error}", file=sys.stderr)
        return 1
    print(f"auditor: reminders queued {result.queued}, sent {result.sent}, failed {result.failed}")
    return 1 if result.failed else 0


def cmd_tokens_revoke(args) -> int:
    from sqlmodel import select

    from auditor.models import ApiToken
    from auditor.services import accounts

    with _session(_settings()) as session:
        query = (
            select(ApiToken).where(ApiToken.token_hash == accounts.hash_token(args.token))
            if len(args.token) > 12
            else select(ApiToken).where(ApiToken.prefix == args.token)
        )
        rows = list(session.exec(query))
        if len(rows) != 1:
            print(
                "auditor: no single token matches; give the whole token" if rows else "auditor: no such token",
                file=sys.stderr,
            )
            return 1
        revoked = accounts.revoke_token(session=session, actor=None, token_id=rows[0].id)
    print(f"auditor: revoked {revoked.prefix}…")
    return 0


def cmd_report(args) -> int:
    from auditor.db import reading, unit_of_work
    from auditor.models import Audit
    from auditor.reports.context import ReportSettings
    from auditor.services.reports import render_report

    settings = _settings()
    with unit_of_work(reading(_engine(settings))) as session:  # reads only: never holds SQLite's write lock
        audit = session.get(Audit, args.audit_id)
        if audit is None:
            print(f"auditor: there is no audit with id {args.audit_id}", file=sys.stderr)
            return 1
        _, content = render_report(
            session=session,
            audit=audit,
            kind=args.kind,
            policy=settings.deadline_policy,
            lang=args.lang,
            settings=ReportSettings.of(settings),
        )
    args.output.write_bytes(content)
    print(f"auditor: wrote {args.output} ({len(content) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
