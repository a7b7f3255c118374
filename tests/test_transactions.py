"""One transaction per request, CLI command and demo: the work of a step is committed whole or not at all, and a
commit that fails is the client's error response, never a 2xx for work that was not stored."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.app import create_app
from auditor.cli import main
from auditor.config import Settings
from auditor.db import make_engine, unit_of_work
from auditor.demo import ORGANISATION
from auditor.models import AuditEvent, Case, CaseAction, Organisation, User
from auditor.schemas import OrganisationIn
from auditor.security import SESSION_COOKIE
from auditor.services import accounts, cases, organisations
from tests.conftest import PASSWORD, seed_audit


def accepted_plan(session: Session) -> tuple[Case, CaseAction, User]:
    """A case opened by hand whose plan of one action is accepted; (the case, its action, the quality manager)."""
    organisation = organisations.create_organisation(
        session=session, actor=None, data=OrganisationIn(name="Nordlys Logistik A/S")
    )
    manager, _ = accounts.create_user(
        session=session,
        actor=None,
        email="qm@test.example",
        name="Kvalitetschef",
        role="quality_manager",
        organisation_id=organisation.id,
        password=PASSWORD,
    )
    case = cases.open_case(
        session=session,
        actor=manager,
        organisation_id=organisation.id,
        statement="Vold og trusler fra kunder",
        grade="minor_nc",
        source="incident",
    )
    cases.record_correction(session=session, actor=manager, case=case, correction="Samtale med de berørte")
    cases.record_root_cause(
        session=session, actor=manager, case=case, method="five_whys", cause="Ingen procedure for alenearbejde"
    )
    action = cases.add_action(
        session=session,
        actor=manager,
        case=case,
        description="Procedure for alenearbejde",
        owner_id=manager.id,
        due_date=date.today() + timedelta(days=30),
        prevention_level="primary",
        scope="collective",
    )
    cases.submit_plan(session=session, actor=manager, case=case)
    cases.review_plan(session=session, actor=manager, case=case, accept=True)
    return case, action, manager


def crash(*args, **kwargs):
    raise RuntimeError("the process died here")


def test_a_step_that_fails_halfway_over_http_leaves_nothing_half_done(session, login, monkeypatch):
    case, action, manager = accepted_plan(session)
    client = login(manager)
    # implementing the last open action writes the action, then moves the case on: fail between the two
    monkeypatch.setattr(cases, "_change", crash)
    failed = client.post(f"/api/v1/cases/{case.id}/actions/{action.id}/implement", json={"note": "Procedure v1 i brug"})
    assert failed.status_code == 500
    session.refresh(action)
    session.refresh(case)
    assert (action.status, case.status) == (v.ActionStatus.OPEN, v.CaseStatus.PLAN_ACCEPTED)
    assert (
        session.exec(
            select(AuditEvent).where(AuditEvent.entity == "case_action", AuditEvent.action == "implement")
        ).first()
        is None
    )
    monkeypatch.undo()
    done = client.post(f"/api/v1/cases/{case.id}/actions/{action.id}/implement", json={"note": "Procedure v1 i brug"})
    assert (done.status_code, done.json()["status"], done.json()["actions"][0]["status"]) == (
        200,
        "implemented",
        "implemented",
    )


def test_a_commit_that_fails_is_an_error_response_and_stores_nothing(fresh_database_url, library, tmp_path):
    engine = make_engine(fresh_database_url)
    with unit_of_work(engine) as session:
        case, action, manager = accepted_plan(session)
        _, token = accounts.create_token(session=session, user=manager)
    app = create_app(Settings(database_url=fresh_database_url, data_dir=tmp_path), engine=engine, library=library)
    step_written = []

    def note_the_step(session, _context):
        step_written.extend(o for o in session.dirty if isinstance(o, Case) and o.status == v.CaseStatus.IMPLEMENTED)

    def refuse_the_commit(_connection):
        if step_written:  # the database refuses the commit that carries the case's step
            raise RuntimeError("the database refused the commit")

    event.listen(OrmSession, "after_flush", note_the_step)
    event.listen(engine, "commit", refuse_the_commit)
    try:
        with TestClient(
            app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"}
        ) as client:
            response = client.post(
                f"/api/v1/cases/{case.id}/actions/{action.id}/implement", json={"note": "Procedure v1 i brug"}
            )
    finally:
        event.remove(OrmSession, "after_flush", note_the_step)
        event.remove(engine, "commit", refuse_the_commit)
    assert response.status_code == 500 and "Something went wrong" in response.json()["detail"]
    with unit_of_work(engine) as session:
        assert session.get(CaseAction, action.id).status == v.ActionStatus.OPEN
        assert session.get(Case, case.id).status == v.CaseStatus.PLAN_ACCEPTED
    engine.dispose()


def test_a_cli_command_that_fails_halfway_leaves_nothing_half_done(fresh_database_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AUDITOR_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("AUDITOR_DATA_DIR", str(tmp_path))
    with monkeypatch.context() as patched:
        patched.setattr(
            cases, "submit_plan", crash
        )  # late in the demo: after its organisation, users, audit and findings
        with pytest.raises(RuntimeError):
            main(["demo"])
    engine = make_engine(fresh_database_url)
    with unit_of_work(engine) as session:
        assert session.exec(select(Organisation).where(Organisation.name == ORGANISATION)).first() is None
        assert session.exec(select(User)).first() is None
    engine.dispose()
    assert main(["demo"]) == 0  # so running it again makes the whole demo, not "already there"
    assert "demo audit created" in capsys.readouterr().out


def test_after_a_rollback_the_error_answer_still_shows_what_it_shows(fresh_database_url, library, tmp_path):
    """A failed request's transaction is rolled back before its error is answered: the error page still names the
    user, and a refused save still sends the stored answer."""
    engine = make_engine(fresh_database_url)
    with unit_of_work(engine) as session:
        audit, lead, token = seed_audit(session, library)
        cookie = accounts.log_in(
            session=session, email=lead.email, password=PASSWORD, address="test", lifetime=timedelta(hours=1)
        ).token
    item_id = next(library.get("iso45003-clauses").checklist.items()).id
    settings = Settings(database_url=fresh_database_url, data_dir=tmp_path, report_processes=0)  # none to render
    app = create_app(settings, engine=engine, library=library)
    with TestClient(app, raise_server_exceptions=False, headers={"Accept-Language": "en"}) as client:
        client.cookies.set(SESSION_COOKIE, cookie)
        page = client.get("/audits/999")
        assert page.status_code == 404 and "Lead" in page.text
        bearer = {"Authorization": f"Bearer {token}"}
        assert (
            client.put(
                f"/api/v1/audits/{audit.id}/responses/{item_id}",
                json={"verdict": "conform", "version": 0},
                headers=bearer,
            ).status_code
            == 200
        )
        stale = client.put(
            f"/api/v1/audits/{audit.id}/responses/{item_id}", json={"verdict": "minor_nc", "version": 0}, headers=bearer
        )
        assert stale.status_code == 409 and stale.json()["current"]["verdict"] == "conform"
    engine.dispose()
