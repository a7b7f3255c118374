"""The audit trail: every change recorded with who, when, before and after; append-only; exportable."""

import csv
import io

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from auditor.models import AuditEvent


def events(session, **where):
    query = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list(session.exec(query))


def test_every_kind_of_change_is_recorded(client, session, make_audit, first_item_id, admin):
    audit = make_audit()
    base = f"/api/v1/audits/{audit.id}"
    client.patch(base, json={"scope": "Lageret"})
    client.post(f"{base}/status", json={"status": "in_progress"})
    entry = client.post(f"{base}/plan", json={"day": "2026-12-01", "start_time": "10:00", "activity": "Rundgang"}).json()
    client.delete(f"{base}/plan/{entry['id']}")
    client.put(f"{base}/responses/{first_item_id}", json={"verdict": "minor_nc", "note": "Før", "version": 0})
    client.put(f"{base}/responses/{first_item_id}", json={"note": "Efter", "version": 1})
    proof = client.post(f"{base}/responses/{first_item_id}/evidence", json={"method": "document", "summary": "APV"}).json()
    client.delete(f"{base}/evidence/{proof['id']}")
    finding = client.post(f"{base}/findings", json={"kind": "ofi", "statement": "Første"}).json()
    client.put(f"{base}/findings/{finding['id']}", json={"kind": "ofi", "statement": "Anden"})
    client.delete(f"{base}/findings/{finding['id']}")

    trail = [(e.entity, e.action) for e in events(session, audit_id=audit.id)]
    assert trail == [
        ("audit", "create"), ("team", "create"),
        ("audit", "update"), ("audit", "update"),
        ("plan_entry", "create"), ("plan_entry", "delete"),
        ("response", "create"), ("response", "update"),
        ("evidence", "create"), ("evidence", "delete"),
        ("finding", "create"), ("finding", "update"), ("finding", "delete"),
    ]
    note_change = events(session, audit_id=audit.id, entity="response")[1]
    assert note_change.before["note"] == "Før" and note_change.after["note"] == "Efter" and note_change.after["verdict"] == "minor_nc"
    assert all(e.actor == admin.email and e.actor_id == admin.id and e.at.tzinfo for e in events(session, audit_id=audit.id)[2:])
    status_change = events(session, audit_id=audit.id, entity="audit")[2]
    assert (status_change.before["status"], status_change.after["status"]) == ("planned", "in_progress")


def test_the_trail_cannot_be_changed_or_deleted_in_the_database(session, make_audit):
    make_audit()
    for statement in ("UPDATE auditevent SET actor = 'someone else'", "DELETE FROM auditevent"):
        with pytest.raises(DBAPIError, match="append-only"):
            with session.begin_nested():
                session.execute(text(statement))
    assert all(e.actor != "someone else" for e in events(session))


def test_history_page_finding_history_and_csv(client, make_audit, first_item_id):
    audit = make_audit(title="=HYPERLINK(\"http://evil\")")
    finding = client.post(f"/api/v1/audits/{audit.id}/findings", json={"kind": "ofi", "statement": "=1+1"}).json()
    client.put(f"/api/v1/audits/{audit.id}/findings/{finding['id']}", json={"kind": "observation", "statement": "Skærpet"})
    page = client.get(f"/audits/{audit.id}/history").text
    assert "finding" in page and "Skærpet" in page
    form = client.get(f"/audits/{audit.id}/findings/{finding['id']}/edit").text
    assert "Skærpet" in form and "observation" in form
    response = client.get(f"/api/v1/audits/{audit.id}/history.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    kinds = [(r["entity"], r["field"], r["before"], r["after"]) for r in rows if r["entity"] == "finding" and r["field"] == "kind"]
    assert kinds[-1] == ("finding", "kind", "ofi", "observation")
    # cells that a spreadsheet would run as formulas are defused
    assert all(not (r["after"] or "").startswith(("=", "+", "-", "@")) for r in rows)
    assert any(r["after"] == "'=1+1" for r in rows)
    api = client.get(f"/api/v1/audits/{audit.id}/history", params={"entity": "finding"}).json()
    assert [e["action"] for e in api] == ["create", "update"]


def test_nothing_in_the_app_edits_the_trail(client):
    """No route writes to the trail directly: it has only GET endpoints."""
    from fastapi.routing import APIRoute, iter_route_contexts

    routes = [(method, c.path_format) for c in iter_route_contexts(client.app.routes) if isinstance(c.original_route, APIRoute) for method in c.original_route.methods]
    assert [r for r in routes if "history" in r[1] and r[0] != "GET"] == []
