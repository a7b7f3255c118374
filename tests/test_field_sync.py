"""Field mode, the server's side: what a tablet's outbox sends when the network comes back.

Creates carry a client-made id and are idempotent (sent again, the first result; never stored twice, not even by two
replays at once); an answer sent again after a lost reply is accepted whatever its version; refusals carry a `code`
the outbox acts on (a closed audit is not a version conflict); the offline copy of an audit; the session endpoint
that renews the CSRF token after signing in again; the replay counter in /metrics.

The concurrent tests run against a live server on a database of their own (SQLite, or PostgreSQL with
AUDITOR_TEST_DATABASE_URL), because the requests must really commit."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from browser_support import LiveServer
from PIL import Image
from prometheus_client import REGISTRY
from sqlalchemy import func, text
from sqlmodel import Session, select

from auditor.app import create_app
from auditor.config import Settings
from auditor.db import make_engine, unit_of_work, upgrade
from auditor.models import AuditEvent, Evidence, Finding, Photo
from auditor.schemas import EvidenceIn, FindingIn
from auditor.security import CSRF_COOKIE, CSRF_HEADER
from auditor.services import evidence, findings
from tests.conftest import item_ids, seed_audit


def jpeg(colour=(10, 120, 10)) -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(picture, "JPEG")
    return picture.getvalue()


def new_id() -> str:
    return str(uuid.uuid4())


# The four creates the outbox sends: (kind, model, how to send it with a client id through a TestClient).
def send_evidence(client, audit, item_id, client_id, finding_id=None):
    return client.post(
        f"/api/v1/audits/{audit.id}/responses/{item_id}/evidence",
        json={"method": "document", "summary": "APV 2026 gennemgået", "client_id": client_id},
    )


def send_item_photo(client, audit, item_id, client_id, finding_id=None):
    return client.post(
        f"/api/v1/audits/{audit.id}/responses/{item_id}/photos",
        files={"file": ("p.jpg", jpeg(), "image/jpeg")},
        data={"caption": "Opslagstavlen", "client_id": client_id},
    )


def send_finding(client, audit, item_id, client_id, finding_id=None):
    return client.post(
        f"/api/v1/audits/{audit.id}/findings",
        json={"item_id": item_id, "kind": "observation", "statement": "Skiltet mangler", "client_id": client_id},
    )


def send_finding_photo(client, audit, item_id, client_id, finding_id=None):
    return client.post(
        f"/api/v1/audits/{audit.id}/findings/{finding_id}/photos",
        files={"file": ("p.jpg", jpeg(), "image/jpeg")},
        data={"caption": "Bag døren", "client_id": client_id},
    )


CREATES = {
    "evidence": (Evidence, send_evidence),
    "item photo": (Photo, send_item_photo),
    "finding": (Finding, send_finding),
    "finding photo": (Photo, send_finding_photo),
}


@pytest.fixture
def team(make_audit, make_user, login, lead):
    """An audit in progress with a lead and an auditor, each on their own tablet (a logged-in client), and a finding."""
    auditor = make_user("auditor", name="Birgitte Auditor")
    audit = make_audit(team_ids=[auditor.id])
    tablet = login(lead)
    other = login(auditor)
    finding = tablet.post(
        f"/api/v1/audits/{audit.id}/findings", json={"kind": "ofi", "statement": "Første fund"}
    ).json()
    return audit, tablet, other, finding["id"]


def count(session, model, audit) -> int:
    return session.exec(select(func.count()).select_from(model).where(model.audit_id == audit.id)).one()


@pytest.mark.parametrize("kind", CREATES)
def test_a_create_sent_again_returns_the_first_result_and_stores_nothing_twice(kind, team, session, first_item_id):
    model, send = CREATES[kind]
    audit, tablet, _, finding_id = team
    before = count(session, model, audit)
    client_id = new_id()
    first = send(tablet, audit, first_item_id, client_id, finding_id)
    again = send(tablet, audit, first_item_id, client_id, finding_id)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() | {"photos": None} == first.json() | {"photos": None}
    assert first.json()["client_id"] == client_id
    assert count(session, model, audit) == before + 1
    entity = model.__tablename__
    assert (
        session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.entity == entity,
                AuditEvent.entity_id == str(first.json()["id"]),
                AuditEvent.action == "create",
            )
        ).one()
        == 1
    )


@pytest.mark.parametrize("kind", CREATES)
def test_a_client_id_someone_else_used_is_refused(kind, team, session, make_audit, first_item_id):
    model, send = CREATES[kind]
    audit, tablet, other, finding_id = team
    client_id = new_id()
    assert send(tablet, audit, first_item_id, client_id, finding_id).status_code == 201
    before = count(session, model, audit)
    refused = send(other, audit, first_item_id, client_id, finding_id)  # another user of the same team
    assert refused.status_code == 409 and refused.json()["code"] == "client_id_taken", refused.text
    assert count(session, model, audit) == before


def test_a_client_id_used_in_another_audit_is_refused(team, session, make_audit, first_item_id, lead, login):
    audit, tablet, _, _ = team
    elsewhere = make_audit(title="Another audit")
    client_id = new_id()
    assert send_evidence(tablet, audit, first_item_id, client_id).status_code == 201
    refused = send_evidence(tablet, elsewhere, first_item_id, client_id)
    assert refused.status_code == 409 and refused.json()["code"] == "client_id_taken"
    assert count(session, Evidence, elsewhere) == 0


def test_a_client_id_must_be_a_uuid(team, first_item_id):
    audit, tablet, _, finding_id = team
    response = send_evidence(tablet, audit, first_item_id, "not-a-uuid")
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert send_item_photo(tablet, audit, first_item_id, "12", finding_id).status_code == 422


def sync_count(entity: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("auditor_sync_replays_total", {"entity": entity, "outcome": outcome}) or 0.0


def test_replays_are_counted_in_the_metrics(team, first_item_id):
    audit, tablet, _, _ = team
    new, replay = sync_count("evidence", "new"), sync_count("evidence", "replay")
    client_id = new_id()
    for _ in range(3):
        send_evidence(tablet, audit, first_item_id, client_id)
    assert (sync_count("evidence", "new") - new, sync_count("evidence", "replay") - replay) == (1, 2)


# Answers


def put(client, audit, item_id, **body):
    return client.put(f"/api/v1/audits/{audit.id}/responses/{item_id}", json=body)


def test_an_answer_sent_again_after_a_lost_reply_is_accepted_with_a_stale_version(team, first_item_id):
    audit, tablet, _, _ = team
    first = put(tablet, audit, first_item_id, verdict="minor_nc", note="Handleplan mangler", version=0).json()
    put(tablet, audit, first_item_id, note="Handleplan mangler for lageret", version=1)
    # the tablet never got the second reply, and sends the same change again on its old base version
    again = put(tablet, audit, first_item_id, note="Handleplan mangler for lageret", version=1)
    assert again.status_code == 200
    assert again.json()["version"] == first["version"] + 1 and again.json()["updated_by"] == "Lead Auditor"


def test_a_real_conflict_says_what_is_stored_and_by_whom(team, first_item_id):
    audit, tablet, other, _ = team
    put(tablet, audit, first_item_id, verdict="conform", note="Tablet A", version=0)
    conflict = put(other, audit, first_item_id, note="Tablet B", version=0)
    assert conflict.status_code == 409
    body = conflict.json()
    assert body["code"] == "version_conflict" and body["detail"]
    assert body["current"] | {"updated_at": None} == {
        "item_id": first_item_id,
        "verdict": "conform",
        "note": "Tablet A",
        "weighing": None,
        "version": 1,
        "updated_at": None,
        "updated_by": "Lead Auditor",
    }
    assert body["submitted"] == {"note": "Tablet B", "version": 0}  # the fields as sent


def test_a_conflict_on_an_item_without_an_answer_offers_a_blank_one(team, first_item_id):
    audit, tablet, _, _ = team
    body = put(tablet, audit, first_item_id, note="x", version=2).json()
    assert body["code"] == "version_conflict"
    assert body["current"] == {
        "item_id": first_item_id,
        "verdict": None,
        "note": "",
        "weighing": None,
        "version": 0,
        "updated_at": None,
        "updated_by": None,
    }


def test_a_tablet_learns_that_its_answer_was_replaced_and_by_whom(team, first_item_id):
    audit, tablet, other, _ = team
    put(tablet, audit, first_item_id, note="Min note", version=0)
    put(other, audit, first_item_id, note="Birgittes note", version=1)
    [answer] = [a for a in tablet.get(f"/api/v1/audits/{audit.id}/responses").json() if a["item_id"] == first_item_id]
    assert (answer["note"], answer["version"], answer["updated_by"]) == ("Birgittes note", 2, "Birgitte Auditor")
    assert tablet.get(f"/api/v1/audits/{audit.id}/responses/{first_item_id}").json()["updated_by"] == "Birgitte Auditor"
    assert "@" not in tablet.get(f"/api/v1/audits/{audit.id}/responses").text  # a name, never an e-mail


def test_the_conduct_view_knows_who_saved_each_answer(team, session, first_item_id, lead):
    from auditor.services import responses

    audit, tablet, other, _ = team
    put(other, audit, first_item_id, note="Birgittes note", version=0)
    view = responses.conduct_view(session=session, actor=lead, audit=audit)
    [card] = [
        item
        for section in view.sections
        for group in section.groups
        for item in group.items
        if item.item.id == first_item_id
    ]
    assert card.updated_by == "Birgitte Auditor"


# A batch of answers: the outbox sends its queued answers in one request, each with its own result


def batch(client, audit, *changes):
    return client.post(f"/api/v1/audits/{audit.id}/responses/batch", json={"changes": list(changes)})


def stored_answers(client, audit) -> dict[str, tuple]:
    return {a["item_id"]: (a["note"], a["version"]) for a in client.get(f"/api/v1/audits/{audit.id}/responses").json()}


def test_a_batch_saves_each_answer_in_order_with_its_own_result(team, library):
    audit, tablet, _, _ = team
    first, second, third = item_ids(library)[:3]
    sent = batch(
        tablet,
        audit,
        {"item_id": first, "verdict": "conform", "note": "Set på lageret", "version": 0},
        {"item_id": second, "note": "APV gennemgået", "version": 0},
        {"item_id": third, "verdict": None, "version": 0},
    )
    assert sent.status_code == 200, sent.text
    results = sent.json()["results"]
    assert [(r["item_id"], r["status"]) for r in results] == [(first, 200), (second, 200), (third, 200)]
    assert results[0]["body"] | {"updated_at": None} == {
        "item_id": first,
        "verdict": "conform",
        "note": "Set på lageret",
        "weighing": None,
        "version": 1,
        "updated_at": None,
        "updated_by": "Lead Auditor",
        "photos": [],
    }
    assert stored_answers(tablet, audit) == {
        first: ("Set på lageret", 1),
        second: ("APV gennemgået", 1),
        third: ("", 1),  # a verdict cleared before there was one: saved, as the PUT saves it
    }


def test_a_batch_sent_again_after_a_lost_reply_answers_as_the_first_time_and_saves_nothing_twice(
    team, library, session
):
    audit, tablet, _, _ = team
    changes = [
        {"item_id": item_id, "note": f"Note {n}", "version": 0} for n, item_id in enumerate(item_ids(library)[:4])
    ]
    first = batch(tablet, audit, *changes).json()["results"]
    again = batch(tablet, audit, *changes).json()["results"]
    assert [(r["status"], r["body"]["version"], r["body"]["note"]) for r in again] == [
        (r["status"], r["body"]["version"], r["body"]["note"]) for r in first
    ]
    assert {version for _, version in stored_answers(tablet, audit).values()} == {1}
    trail = session.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "response")).one()
    assert trail == 4


# Answers sent with the id the outbox made for the change: sent again, the change answers with its first result, even
# after a newer change of the item (without the id that replay is a conflict with the newer answer)


def answer_trail(session, audit, item_id: str) -> int:
    return session.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.audit_id == audit.id, AuditEvent.entity == "response", AuditEvent.entity_id == item_id)
    ).one()


def test_an_answer_replayed_after_a_newer_change_returns_its_first_result(team, session, first_item_id):
    audit, tablet, other, _ = team
    change = {"note": "Min note", "version": 0, "client_id": new_id()}
    first = put(tablet, audit, first_item_id, **change)
    assert first.status_code == 200, first.text
    assert put(other, audit, first_item_id, note="Birgittes note", version=1).status_code == 200
    replays = sync_count("response", "replay")
    again = put(tablet, audit, first_item_id, **change)  # the first reply was lost: the outbox sends it again
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert stored_answers(tablet, audit)[first_item_id] == ("Birgittes note", 2)
    assert answer_trail(session, audit, first_item_id) == 2
    assert sync_count("response", "replay") - replays == 1


def test_a_batch_replayed_after_newer_changes_returns_each_first_result(team, session, library):
    audit, tablet, other, _ = team
    first, second = item_ids(library)[:2]
    changes = [
        {"item_id": first, "verdict": "conform", "version": 0, "client_id": new_id()},
        {"item_id": second, "note": "Min note", "version": 0, "client_id": new_id()},
    ]
    sent = batch(tablet, audit, *changes).json()["results"]
    put(other, audit, first, verdict="minor_nc", version=1)
    put(other, audit, second, note="Birgittes note", version=1)
    again = batch(tablet, audit, *changes).json()["results"]
    assert [(r["status"], r["body"]["version"]) for r in again] == [(200, 1), (200, 1)], again
    assert again == sent
    assert stored_answers(tablet, audit) == {first: ("", 2), second: ("Birgittes note", 2)}
    assert answer_trail(session, audit, first) == answer_trail(session, audit, second) == 2


def test_an_answer_change_id_is_one_user_s_for_one_change(team, library):
    """Sent by another user, or by the same user for another change, the id is refused and nothing is saved."""
    audit, tablet, other, _ = team
    first, second = item_ids(library)[:2]
    client_id = new_id()
    put(tablet, audit, first, note="Min note", version=0, client_id=client_id)
    taken = put(other, audit, first, note="Birgittes note", version=0, client_id=client_id)
    assert taken.status_code == 409 and taken.json()["code"] == "client_id_taken", taken.text
    reused = put(tablet, audit, second, note="En anden ændring", version=0, client_id=client_id)
    assert reused.status_code == 409 and reused.json()["code"] == "client_id_taken", reused.text
    in_batch = batch(tablet, audit, {"item_id": second, "note": "x", "version": 0, "client_id": client_id})
    assert in_batch.json()["results"][0]["status"] == 409
    assert stored_answers(tablet, audit) == {first: ("Min note", 1)}


def test_closing_the_audit_forgets_its_answers_change_ids(team, client, session, first_item_id):
    from auditor.models import AnswerReceipt

    audit, tablet, _, _ = team
    put(tablet, audit, first_item_id, note="Min note", version=0, client_id=new_id())
    assert count(session, AnswerReceipt, audit) == 1
    close(client, audit)
    assert count(session, AnswerReceipt, audit) == 0


def test_a_conflict_or_refusal_in_a_batch_is_that_change_s_only(team, library):
    """A mixed batch: saved, a version conflict with both versions, an item the audit does not have, a bad value;
    the others are saved all the same, in one request."""
    audit, tablet, other, _ = team
    first, second, third = item_ids(library)[:3]
    put(other, audit, second, note="Birgittes note", version=0)
    results = batch(
        tablet,
        audit,
        {"item_id": first, "note": "Min note", "version": 0},
        {"item_id": second, "note": "Min anden note", "version": 0},
        {"item_id": "no-such-item", "note": "x", "version": 0},
        {"item_id": "bad-verdict", "verdict": "perhaps", "version": 0},
        {"item_id": third, "verdict": "conform", "version": 0},
    ).json()["results"]
    assert [r["status"] for r in results] == [200, 409, 404, 422, 200]
    conflict = results[1]["body"]
    assert conflict["code"] == "version_conflict"
    assert (conflict["current"]["note"], conflict["current"]["updated_by"]) == ("Birgittes note", "Birgitte Auditor")
    assert conflict["submitted"]["note"] == "Min anden note"
    assert results[2]["body"]["code"] == "not_found"
    assert results[3]["body"]["code"] == "invalid" and results[3]["body"]["errors"][0]["field"] == "verdict"
    assert stored_answers(tablet, audit) == {first: ("Min note", 1), second: ("Birgittes note", 1), third: ("", 1)}


def test_a_closed_audit_refuses_each_change_of_a_batch_and_confirms_what_landed(team, client, library):
    audit, tablet, _, _ = team
    first, second = item_ids(library)[:2]
    put(tablet, audit, first, note="Landet", version=0)
    close(client, audit)
    results = batch(
        tablet,
        audit,
        {"item_id": first, "note": "Landet", "version": 0},
        {"item_id": second, "note": "Skrevet i kælderen", "version": 0},
    ).json()["results"]
    assert [(r["status"], r["body"].get("code")) for r in results] == [(200, None), (409, "audit_closed")]
    assert results[1]["body"]["detail"] == "The audit is closed; reopen it to make changes."
    assert second not in stored_answers(tablet, audit)


def test_a_batch_for_an_audit_of_another_team_is_refused_whole(make_audit, make_user, login, library):
    audit = make_audit()
    outsider = login(make_user("auditor", name="Udenfor"))
    refused = batch(outsider, audit, {"item_id": item_ids(library)[0], "note": "x", "version": 0})
    assert refused.status_code in (403, 404) and refused.json()["code"] in ("forbidden", "not_found")


def test_a_batch_names_each_item_once_and_is_not_endless(team, library):
    audit, tablet, _, _ = team
    first = item_ids(library)[0]
    twice = batch(
        tablet, audit, {"item_id": first, "note": "a", "version": 0}, {"item_id": first, "note": "b", "version": 1}
    )
    assert twice.status_code == 422 and "once" in twice.json()["detail"]
    too_many = batch(tablet, audit, *({"item_id": f"x{n}", "version": 0} for n in range(101)))
    assert too_many.status_code == 422
    assert stored_answers(tablet, audit) == {}


def test_a_batch_sent_with_the_session_needs_the_csrf_token(team, library, login, lead):
    audit, _, _, _ = team
    refused = batch(login(lead, csrf=False), audit, {"item_id": item_ids(library)[0], "note": "x", "version": 0})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"


# A closed audit


def close(client, audit) -> None:
    steps = ("planned", "in_progress", "reporting", "closed")
    current = client.get(f"/api/v1/audits/{audit.id}").json()["status"]
    for status in steps[steps.index(current) + 1 :]:
        assert client.post(f"/api/v1/audits/{audit.id}/status", json={"status": status}).status_code == 200


CHANGES = {
    "answer": lambda c, a, item, ids: put(c, a, item, note="Skrevet i kælderen", version=0),
    "evidence": lambda c, a, item, ids: send_evidence(c, a, item, new_id()),
    "item photo": lambda c, a, item, ids: send_item_photo(c, a, item, new_id()),
    "finding": lambda c, a, item, ids: send_finding(c, a, item, new_id()),
    "finding photo": lambda c, a, item, ids: send_finding_photo(c, a, item, new_id(), ids["finding"]),
    "evidence delete": lambda c, a, item, ids: c.delete(f"/api/v1/audits/{a.id}/evidence/{ids['evidence']}"),
    "photo delete": lambda c, a, item, ids: c.delete(f"/api/v1/audits/{a.id}/photos/{ids['photo']}"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_closed_audit_refuses_queued_changes_with_its_own_code(change, team, client, first_item_id):
    audit, tablet, _, finding_id = team
    ids = {
        "finding": finding_id,
        "evidence": send_evidence(tablet, audit, first_item_id, new_id()).json()["id"],
        "photo": send_item_photo(tablet, audit, first_item_id, new_id()).json()["id"],
    }
    close(client, audit)
    refused = CHANGES[change](tablet, audit, first_item_id, ids)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "audit_closed"
    assert refused.json()["detail"] == "The audit is closed; reopen it to make changes."


def test_the_closed_message_is_translated(team, client, login, lead, first_item_id):
    audit, _, _, _ = team
    close(client, audit)
    refused = put(login(lead, language="da"), audit, first_item_id, note="x", version=0).json()
    assert refused == {"code": "audit_closed", "detail": "Auditten er lukket. Genåbn den for at foretage ændringer."}


def test_what_already_landed_is_confirmed_even_after_the_audit_closed(team, client, session, first_item_id):
    """A change stored before the audit closed, whose reply was lost, is not refused when sent again: the tablet
    would otherwise keep it for export as if it had never arrived."""
    audit, tablet, _, _ = team
    client_id = new_id()
    stored = send_evidence(tablet, audit, first_item_id, client_id).json()
    put(tablet, audit, first_item_id, note="Landet", version=0)
    close(client, audit)
    again = send_evidence(tablet, audit, first_item_id, client_id)
    assert again.status_code == 201 and again.json()["id"] == stored["id"]
    assert put(tablet, audit, first_item_id, note="Landet", version=0).status_code == 200
    assert count(session, Evidence, audit) == 1


# Deletes the outbox repeats


@pytest.mark.parametrize("what", ["evidence", "photos"])
def test_deleting_what_is_already_gone_is_not_found_with_a_code(what, team, first_item_id):
    audit, tablet, _, _ = team
    created = (send_evidence if what == "evidence" else send_item_photo)(tablet, audit, first_item_id, new_id()).json()
    path = f"/api/v1/audits/{audit.id}/{what}/{created['id']}"
    assert tablet.delete(path).status_code == 204
    again = tablet.delete(path)
    assert again.status_code == 404 and again.json()["code"] == "not_found"


# Codes on the other refusals


def test_every_json_error_carries_a_code(team, anonymous, login, lead, first_item_id):
    audit, tablet, _, _ = team
    assert tablet.get("/api/v1/audits/999999").json()["code"] == "not_found"
    assert tablet.get("/api/v1/no-such-thing").json()["code"] == "not_found"
    assert put(tablet, audit, first_item_id, verdict="perfect", version=0).json()["code"] == "invalid"
    assert anonymous.get(f"/api/v1/audits/{audit.id}/offline").json()["code"] == "unauthenticated"
    stale_form = login(lead, csrf=False)
    refused = put(stale_form, audit, first_item_id, note="x", version=0)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"


# The offline copy


def offline(client, audit, **headers):
    return client.get(f"/api/v1/audits/{audit.id}/offline", headers=headers)


def test_the_offline_copy_holds_what_conducting_the_audit_needs(team, library, first_item_id):
    audit, tablet, other, finding_id = team
    put(other, audit, first_item_id, verdict="minor_nc", note="Ingen handleplan", version=0)
    secret = tablet.post(
        f"/api/v1/audits/{audit.id}/responses/{first_item_id}/evidence",
        json={
            "method": "interview_individual",
            "interviewee_role": "employees",
            "summary": "Fortroligt",
            "confidential": True,
        },
    ).json()
    photo = send_finding_photo(tablet, audit, first_item_id, new_id(), finding_id).json()

    response = offline(tablet, audit)
    assert response.status_code == 200
    copy = response.json()
    assert response.headers["etag"] == f'"{copy["version"]}"' and copy["generated_at"]
    assert (
        copy["audit"]["id"] == audit.id
        and copy["audit"]["title"] == audit.title
        and copy["audit"]["status"] == "in_progress"
    )
    assert {"view", "conduct", "work_offline"} <= set(copy["permissions"])
    [checklist] = copy["checklists"]
    frozen = library.get("iso45003-clauses").checklist
    items = {item["id"]: item for item in walk(checklist["sections"])}
    assert list(items) == [item.id for item in frozen.items()] and checklist["item_count"] == frozen.item_count
    expected = next(frozen.items())
    assert items[first_item_id]["question"] == expected.question.model_dump() and items[first_item_id][
        "clauses"
    ] == list(expected.clauses)
    assert {c["value"] for c in copy["verdicts"]} == {
        "conform",
        "major_nc",
        "minor_nc",
        "observation",
        "ofi",
        "good_practice",
        "not_applicable",
    }
    assert [(c["value"], c["label"]) for c in copy["step_states"]] == [
        ("done", {"da": "Udført", "en": "Done"}),
        ("not_done", {"da": "Ikke udført", "en": "Not done"}),
    ]
    conform = next(c for c in copy["verdicts"] if c["value"] == "conform")
    assert conform["label"] == {"da": "Opfyldt", "en": "Conform"}
    assert [a | {"updated_at": None} for a in copy["answers"]] == [
        {
            "item_id": first_item_id,
            "verdict": "minor_nc",
            "note": "Ingen handleplan",
            "weighing": None,
            "version": 1,
            "updated_at": None,
            "updated_by": "Birgitte Auditor",
        }
    ]
    assert secret["id"] in {e["id"] for e in copy["evidence"]}  # the team sees its confidential evidence
    [finding] = copy["findings"]
    assert finding["id"] == finding_id and [p["id"] for p in finding["photos"]] == [photo["id"]]
    [listed] = copy["photos"]
    assert (
        listed["thumbnail_url"] == f"/api/v1/audits/{audit.id}/photos/{photo['id']}/thumbnail.jpg"
        and listed["size"] > 0
    )
    assert listed["finding_id"] == finding_id and listed["caption"] == "Bag døren"
    assert {m["value"] for m in copy["evidence_methods"]} >= {"document", "interview_individual"}
    assert copy["user_id"] == tablet.get("/api/v1/session").json()["user_id"]


def walk(sections: list[dict]):
    """The items of a checklist's sections, in document order (as Checklist.walk)."""
    for section in sections:
        yield from section["items"]
        yield from walk(section["sections"])


def test_the_offline_copy_answers_304_until_something_changes(team, first_item_id):
    audit, tablet, other, _ = team
    first = offline(tablet, audit)
    etag = first.headers["etag"]
    unchanged = offline(tablet, audit, **{"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == etag and unchanged.content == b""
    assert offline(tablet, audit, **{"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    put(other, audit, first_item_id, note="Nyt", version=0)
    changed = offline(tablet, audit, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_the_offline_copy_is_for_the_audit_team(team, make_user, make_organisation, login, session):
    """The access matrix walks the personas; here the one it lacks: an organisation's admin may conduct the audit
    from the office, but keeps no copy of it on a device."""
    from auditor.models import Organisation

    audit, tablet, _, _ = team
    organisation = session.get(Organisation, audit.organisation_id)
    org_admin = login(make_user("admin", organisation=organisation))
    assert put(org_admin, audit, "no.such.item", note="x", version=0).status_code == 404  # past the conduct check
    refused = offline(org_admin, audit)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


# The session


def test_the_session_tells_a_signed_in_tablet_who_it_is_and_a_valid_csrf_token(app, login, lead, team, first_item_id):
    audit, _, _, _ = team
    tablet = login(lead, csrf=False)
    tablet.cookies.delete(CSRF_COOKIE)
    reply = tablet.get("/api/v1/session")
    assert reply.status_code == 200
    body = reply.json()
    assert (body["user_id"], body["name"]) == (lead.id, "Lead Auditor") and "@" not in reply.text
    assert CSRF_COOKIE in reply.cookies  # a fresh token for a browser that had none
    tablet.cookies.set(CSRF_COOKIE, reply.cookies[CSRF_COOKIE])
    saved = tablet.put(
        f"/api/v1/audits/{audit.id}/responses/{first_item_id}",
        json={"note": "Efter nyt login", "version": 0},
        headers={CSRF_HEADER: body["csrf_token"]},
    )
    assert saved.status_code == 200, saved.text


def test_the_session_is_401_when_signed_out(anonymous):
    reply = anonymous.get("/api/v1/session")
    assert reply.status_code == 401 and reply.json()["code"] == "unauthenticated"


# Two replays at once, against a live server


@dataclass
class Live:
    url: str
    engine: object
    token: str
    audit_id: int
    item_id: str


@pytest.fixture(scope="module")
def live(live_database_url, tmp_path_factory, library):
    url = live_database_url("field_sync")
    upgrade(url)
    engine = make_engine(url)
    with unit_of_work(engine) as session:  # services flush; the unit of work commits
        audit, _, token = seed_audit(session, library)
        audit_id = audit.id
    # no report process (rendering.py): nothing here downloads a report, and one takes seconds of CPU to start
    settings = Settings(database_url=url, data_dir=tmp_path_factory.mktemp("field_sync"), report_processes=0)
    server = LiveServer(create_app(settings, engine=settings.make_engine(), library=library)).start()
    try:
        yield Live(server.url, engine, token, audit_id, next(library.get("iso45003-clauses").checklist.items()).id)
    finally:
        server.stop()
        engine.dispose()


def call(
    live: Live, method: str, path: str, *, body: bytes | None = None, content_type: str = "application/json"
) -> tuple[int, dict]:
    request = urllib.request.Request(
        live.url + path,
        data=body,
        method=method,
        headers={"Content-Type": content_type, "Authorization": f"Bearer {live.token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def multipart(fields: dict[str, str], content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


LIVE_CREATES = {
    "evidence": (
        Evidence,
        lambda live, client_id: (
            "POST",
            f"/api/v1/audits/{live.audit_id}/responses/{live.item_id}/evidence",
            json.dumps({"method": "document", "summary": "APV", "client_id": client_id}).encode(),
            "application/json",
        ),
    ),
    "finding": (
        Finding,
        lambda live, client_id: (
            "POST",
            f"/api/v1/audits/{live.audit_id}/findings",
            json.dumps({"kind": "observation", "statement": "Set", "client_id": client_id}).encode(),
            "application/json",
        ),
    ),
    "photo": (
        Photo,
        lambda live, client_id: (
            "POST",
            f"/api/v1/audits/{live.audit_id}/responses/{live.item_id}/photos",
            *multipart({"caption": "Lager", "client_id": client_id}, jpeg()),
        ),
    ),
}


@pytest.mark.parametrize("kind", LIVE_CREATES)
def test_simultaneous_replays_store_one_and_all_get_it(kind, live):
    model, request = LIVE_CREATES[kind]
    client_id = new_id()
    method, path, body, content_type = request(live, client_id)
    start = threading.Barrier(6)

    def send(_):
        start.wait()
        return call(live, method, path, body=body, content_type=content_type)

    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(pool.map(send, range(6)))
    assert [status for status, _ in replies] == [201] * 6, replies
    assert len({reply["id"] for _, reply in replies}) == 1
    with Session(live.engine) as session:
        assert session.exec(select(func.count()).select_from(model).where(model.client_id == client_id)).one() == 1


def test_a_replay_that_loses_the_race_at_the_insert_gets_the_winners_row(live, library):
    """The path two replays at once take on PostgreSQL: both looked and found nothing, the second insert waits on
    the first's unique index entry and is refused when the first commits; the refused one answers with the first's
    row (on SQLite the second waits for the write lock instead and then finds the row)."""
    from auditor.models import Audit, User

    client_id = new_id()
    with Session(live.engine, expire_on_commit=False) as first:
        audit = first.get(Audit, live.audit_id)
        lead = first.exec(select(User).where(User.email == "lead@test.example")).one()
        held = Evidence(
            audit_id=audit.id,
            item_id=live.item_id,
            method="document",
            summary="Først",
            created_by_id=lead.id,
            client_id=client_id,
        )
        first.add(held)
        first.flush()  # inserted, not committed: holds the unique entry (PostgreSQL) or the write lock (SQLite)
        outcome = {}

        def second() -> None:
            with Session(live.engine, expire_on_commit=False) as session:
                actor = session.get(User, lead.id)
                outcome["entry"] = evidence.add_evidence(
                    session=session,
                    actor=actor,
                    audit=session.get(Audit, live.audit_id),
                    item_id=live.item_id,
                    data=EvidenceIn(method="document", summary="Igen"),
                    client_id=uuid.UUID(client_id),
                )

        replays = sync_count("evidence", "replay")
        racer = threading.Thread(target=second)
        racer.start()
        if live.engine.dialect.name == "postgresql":
            _wait_for_a_lock_wait(live.engine)
        first.commit()
        racer.join(timeout=60)
    assert outcome["entry"].id == held.id and outcome["entry"].summary == "Først"
    assert sync_count("evidence", "replay") - replays == 1
    with Session(live.engine) as session:
        assert (
            session.exec(select(func.count()).select_from(Evidence).where(Evidence.client_id == client_id)).one() == 1
        )


def test_an_answer_change_sent_twice_at_once_is_saved_once_and_both_get_its_result(live):
    """The first save has written the answer and its receipt, not committed; the second waits on the row (PostgreSQL:
    its UPDATE then finds the version moved) or for the write lock (SQLite: it then reads the new version), and
    answers with the first save's result by its receipt."""
    from auditor.models import Audit, User
    from auditor.schemas import ResponseIn
    from auditor.services import responses

    client_id = new_id()
    trail_before = _answer_events(live)
    with Session(live.engine, expire_on_commit=False) as first:
        audit = first.get(Audit, live.audit_id)
        lead = first.exec(select(User).where(User.email == "lead@test.example")).one()
        version = responses.answer_for(session=first, audit=audit, item_id=live.item_id).version
        data = ResponseIn(note=f"Samtidig {client_id}", version=version, client_id=uuid.UUID(client_id))
        saved = responses.save_response(session=first, actor=lead, audit=audit, item_id=live.item_id, data=data)
        outcome = {}

        def second() -> None:
            with Session(live.engine, expire_on_commit=False) as session:
                outcome["answer"] = responses.save_response(
                    session=session,
                    actor=session.get(User, lead.id),
                    audit=session.get(Audit, live.audit_id),
                    item_id=live.item_id,
                    data=data,
                )
                session.commit()

        racer = threading.Thread(target=second)
        racer.start()
        if live.engine.dialect.name == "postgresql":
            _wait_for_a_lock_wait(live.engine)
        first.commit()
        racer.join(timeout=60)
    assert (
        (outcome["answer"].version, outcome["answer"].note) == (saved.version, saved.note) == (version + 1, data.note)
    )
    assert _answer_events(live) == trail_before + 1


def _answer_events(live: Live) -> int:
    with Session(live.engine) as session:
        return session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity == "response", AuditEvent.entity_id == live.item_id)
        ).one()


def _wait_for_a_lock_wait(engine, limit_s: float = 30) -> None:
    """Until some connection waits on a lock (the second insert on the first's unique entry)."""
    deadline = time.monotonic() + limit_s
    with engine.connect() as probe:
        while time.monotonic() < deadline:
            if probe.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar():
                return
            probe.rollback()
            time.sleep(0.02)
    raise AssertionError("the second insert never waited on the first")


def test_findings_raised_by_replay_keep_their_numbers(session, make_audit, lead):
    """A replayed finding takes no number: the next new one follows the first without a gap."""
    audit = make_audit()
    client_id = uuid.uuid4()
    first = findings.create_finding(
        session=session, actor=lead, audit=audit, data=FindingIn(kind="ofi", statement="a"), client_id=client_id
    )
    again = findings.create_finding(
        session=session, actor=lead, audit=audit, data=FindingIn(kind="ofi", statement="a"), client_id=client_id
    )
    following = findings.create_finding(
        session=session, actor=lead, audit=audit, data=FindingIn(kind="ofi", statement="b")
    )
    assert again.id == first.id and (first.number, following.number) == (1, 2)


# A finding raised (offline) from an item takes the item's photos that the server has along


def test_a_finding_raised_from_an_item_carries_its_stored_photos_once(team, first_item_id, session):
    audit, tablet, other, _ = team
    on_item = [send_item_photo(tablet, audit, first_item_id, new_id()).json()["id"] for _ in range(2)]
    gone = send_item_photo(tablet, audit, first_item_id, new_id()).json()["id"]
    assert tablet.delete(f"/api/v1/audits/{audit.id}/photos/{gone}").status_code == 204  # removed on another tablet
    body = {
        "item_id": first_item_id,
        "kind": "minor_nc",
        "statement": "Ingen handleplan",
        "client_id": new_id(),
        "photo_ids": [*on_item, gone],
    }
    first = tablet.post(f"/api/v1/audits/{audit.id}/findings", json=body)
    again = tablet.post(f"/api/v1/audits/{audit.id}/findings", json=body)  # a lost reply: nothing copied twice
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    carried = first.json()["photos"]
    assert len(carried) == 2 and {p["finding_id"] for p in carried} == {first.json()["id"]}
    assert {p["id"] for p in carried}.isdisjoint(on_item)  # copies: the item keeps its own
    item_photos = tablet.get(f"/api/v1/audits/{audit.id}/responses/{first_item_id}").json()["photos"]
    assert sorted(p["id"] for p in item_photos) == on_item
    picture = tablet.get(carried[0]["url"])
    assert picture.status_code == 200 and picture.content == tablet.get(item_photos[0]["url"]).content
    assert session.exec(select(func.count()).select_from(Photo).where(Photo.audit_id == audit.id)).one() == 4
