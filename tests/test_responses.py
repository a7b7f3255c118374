"""Answers (verdict + note) with optimistic versions, the conduct page, and evidence on items."""

import pytest
from sqlalchemy import event
from sqlmodel import select

from auditor import vocabulary as v
from auditor.errors import StaleVersion
from auditor.models import Evidence, Response
from auditor.schemas import ResponseIn
from auditor.services import accounts, responses
from tests.conftest import item_ids


def put(client, audit, item_id, **body):
    return client.put(f"/api/v1/audits/{audit.id}/responses/{item_id}", json=body)


def test_first_save_creates_version_1_and_starts_the_audit(client, make_audit, first_item_id):
    audit = make_audit()
    response = put(client, audit, first_item_id, verdict="conform", note="APV 2026 gennemgået", version=0)
    assert response.status_code == 200
    assert response.json() | {"updated_at": None} == {
        "item_id": first_item_id,
        "verdict": "conform",
        "note": "APV 2026 gennemgået",
        "weighing": None,
        "version": 1,
        "updated_at": None,
        "updated_by": "Admin",
        "photos": [],
    }
    body = client.get(f"/api/v1/audits/{audit.id}").json()
    assert body["progress"]["answered"] == 1 and body["status"] == "in_progress"


VAP_ITEM, NOT_WEIGHED = "at-external.vap.workload", "at-external.vap.conclusion"


def test_a_vap_assessment_records_arbejdstilsynets_weighing_part_by_part(client, make_audit):
    audit = make_audit(checklists=["at-external-audit"])
    first = put(client, audit, VAP_ITEM, weighing={"occurrence": "Dagligt i højsæson, alle chauffører"}, version=0)
    assert first.status_code == 200, first.text
    assert first.json()["weighing"] == {
        "occurrence": "Dagligt i højsæson, alle chauffører",
        "prevention": "",
        "aggravating_factors": "",
        "health_effects": "",
        "conclusion": "",
    }
    # parts left out keep what they had; the answer's version moves on as for a note
    second = put(client, audit, VAP_ITEM, weighing={"health_effects": "Sygefravær steget 40 %"}, version=1).json()
    assert second["version"] == 2
    assert (second["weighing"]["occurrence"], second["weighing"]["health_effects"]) == (
        "Dagligt i højsæson, alle chauffører",
        "Sygefravær steget 40 %",
    )
    assert client.get(f"/api/v1/audits/{audit.id}/responses/{VAP_ITEM}").json()["weighing"] == second["weighing"]
    # limits and refusals: a clear 422, never a 500, and nothing stored
    assert put(client, audit, VAP_ITEM, weighing={"conclusion": "x" * 5_001}, version=2).status_code == 422
    assert put(client, audit, VAP_ITEM, weighing={"severity": "høj"}, version=2).status_code == 422
    refused = put(client, audit, NOT_WEIGHED, weighing={"conclusion": "Intet væsentligt problem"}, version=0)
    assert refused.status_code == 422 and "weighing" in refused.text
    assert client.get(f"/api/v1/audits/{audit.id}/responses/{NOT_WEIGHED}").json()["version"] == 0
    # null clears it
    assert put(client, audit, VAP_ITEM, weighing=None, version=2).json()["weighing"] is None
    openapi = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(openapi["Weighing"]["properties"]) == set(v.WEIGHING_PARTS.values)


def test_the_conduct_page_asks_for_the_weighing_only_where_the_checklist_does(client, make_audit, library):
    audit = make_audit(checklists=["at-external-audit"])
    put(client, audit, VAP_ITEM, weighing={"aggravating_factors": "Nyt ruteplanlægningssystem"}, version=0)
    page = client.get(f"/audits/{audit.id}/conduct").text
    weighed = [item.id for item in library.get("at-external-audit").checklist.items() if item.weighing]
    assert len(weighed) == 5 and VAP_ITEM in weighed and NOT_WEIGHED not in weighed
    assert page.count('class="weighing"') == len(weighed)
    for item_id in weighed:
        assert f'id="weighing-{item_id}-occurrence"' in page
    assert f'id="weighing-{NOT_WEIGHED}-occurrence"' not in page
    assert ">Nyt ruteplanlægningssystem</textarea>" in page
    assert "How often and how strongly the influence occurs" in page


def test_the_offline_copy_carries_the_weighing(client, make_audit):
    audit = make_audit(checklists=["at-external-audit"])
    put(client, audit, VAP_ITEM, weighing={"conclusion": "Væsentligt problem på lageret"}, version=0)
    copy = client.get(f"/api/v1/audits/{audit.id}/offline").json()
    (answer,) = [a for a in copy["answers"] if a["item_id"] == VAP_ITEM]
    assert answer["weighing"]["conclusion"] == "Væsentligt problem på lageret"
    items = [i for c in copy["checklists"] for s in c["sections"] for i in s["items"] if i["id"] == VAP_ITEM]
    assert items and items[0]["weighing"] is True


STEP_ITEM, QUESTION_ITEM = "at-internal.prepare.background", "at-internal.conduct.hr.data"


def test_a_step_is_done_or_not_done_and_a_question_takes_a_verdict(client, make_audit):
    audit = make_audit(audit_type="internal", checklists=["at-internal-audit"])
    assert put(client, audit, STEP_ITEM, verdict="done", version=0).json()["verdict"] == "done"
    assert put(client, audit, STEP_ITEM, verdict="not_done", version=1).json()["verdict"] == "not_done"
    for verdict in ("nc", "conform", "good_practice"):
        refused = put(client, audit, STEP_ITEM, verdict=verdict, version=2)
        assert refused.status_code == 422 and "done or not done" in refused.text
    refused = put(client, audit, QUESTION_ITEM, verdict="done", version=0)
    assert refused.status_code == 422 and "a question takes a verdict" in refused.text
    assert put(client, audit, QUESTION_ITEM, verdict="nc", version=0).status_code == 200
    page = client.get(f"/audits/{audit.id}/conduct").text
    step_card = page.split(f'id="item-{STEP_ITEM}"', 1)[1].split("</article>", 1)[0]
    question_card = page.split(f'id="item-{QUESTION_ITEM}"', 1)[1].split("</article>", 1)[0]
    assert (
        'data-verdict="done"' in step_card and 'data-verdict="nc"' not in step_card and "findings/new" not in step_card
    )
    assert (
        'data-verdict="nc"' in question_card
        and 'data-verdict="done"' not in question_card
        and "findings/new" in question_card
    )


def test_fields_left_out_keep_their_value(client, make_audit, first_item_id):
    audit = make_audit()
    put(client, audit, first_item_id, verdict="minor_nc", version=0)
    response = put(client, audit, first_item_id, note="Handleplan mangler for lageret", version=1)
    assert response.json()["verdict"] == "minor_nc" and response.json()["version"] == 2
    cleared = put(client, audit, first_item_id, verdict=None, version=2)
    assert cleared.json()["verdict"] is None and cleared.json()["note"] == "Handleplan mangler for lageret"
    assert client.get(f"/api/v1/audits/{audit.id}").json()["progress"]["answered"] == 0


def test_repeating_a_save_that_landed_is_idempotent(client, make_audit, first_item_id):
    audit = make_audit()
    first = put(client, audit, first_item_id, verdict="conform", note="Set", version=0).json()
    again = put(client, audit, first_item_id, verdict="conform", note="Set", version=0)
    assert again.status_code == 200 and again.json() == first


def statements_of(engine, work) -> list[str]:
    """The first words of each SELECT, INSERT, UPDATE and DELETE the database is asked while `work()` runs."""
    statements = []

    def remember(_connection, _cursor, statement, *_args):
        if statement.split(None, 1)[0] in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
            statements.append(" ".join(statement.split()[:4]))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return statements


def test_a_tablet_save_reads_each_thing_once(anonymous, session, engine, make_audit, make_user, lead, first_item_id):
    """A team member's save with an API token reads the token with its user, the audit with what the user may do
    with it, and the answer once each, then writes the answer and its trail event: a save is the request a tablet
    repeats all day. (The audit's checklists come from the process's cache, by the audit's checklists_key.)"""
    audit = make_audit(team_ids=[(auditor := make_user("auditor")).id])
    _, token = accounts.create_token(session=session, user=auditor)
    anonymous.headers["Authorization"] = f"Bearer {token}"
    assert put(anonymous, audit, first_item_id, verdict="conform", note="Første", version=0).status_code == 200
    replies = []
    statements = statements_of(
        engine,
        lambda: replies.append(put(anonymous, audit, first_item_id, verdict="minor_nc", note="Anden", version=1)),
    )
    assert replies[0].status_code == 200 and replies[0].json()["version"] == 2 and replies[0].json()["note"] == "Anden"
    assert len(statements) == 5, statements  # token and user, the audit and its permissions, answer, UPDATE, trail
    stored = session.exec(
        select(Response)
        .where(Response.audit_id == audit.id, Response.item_id == first_item_id)
        .execution_options(populate_existing=True)
    ).one()
    assert (stored.verdict, stored.note, stored.version) == ("minor_nc", "Anden", 2)


def test_a_first_save_writes_without_reading_the_answer(anonymous, session, engine, make_audit, make_user, library):
    """An item's first save (based on version 0, the save a tablet makes most) tries its INSERT at once: there is no
    answer to read, and the INSERT does nothing if there is one after all. Sent again, it reads the answer it made and
    returns it, as any repeated save does."""
    audit = make_audit(team_ids=[(auditor := make_user("auditor")).id])
    _, token = accounts.create_token(session=session, user=auditor)
    anonymous.headers["Authorization"] = f"Bearer {token}"
    first, second = item_ids(library)[:2]
    assert put(anonymous, audit, first, verdict="conform", version=0).status_code == 200  # stamps the token's use
    replies = []
    statements = statements_of(
        engine, lambda: replies.append(put(anonymous, audit, second, verdict="conform", note="Set", version=0))
    )
    assert replies[0].status_code == 200 and replies[0].json()["version"] == 1, replies[0].text
    assert [statement.split()[0] for statement in statements] == ["SELECT", "SELECT", "INSERT", "INSERT"], statements
    assert statements[2].startswith("INSERT INTO response")
    again = statements_of(
        engine, lambda: replies.append(put(anonymous, audit, second, verdict="conform", note="Set", version=0))
    )
    assert replies[1].status_code == 200 and replies[1].json() == replies[0].json()
    assert [statement.split()[0] for statement in again] == ["SELECT", "SELECT", "INSERT", "SELECT"], again


def test_the_answers_saves_are_matched_first_as_the_apps_own_routes(
    app, anonymous, session, make_audit, make_user, first_item_id
):
    """FastAPI resolves an included router's routes again on every request, at each level of inclusion: the saves a
    tablet repeats all day are routes of the app itself, matched before any included router (bench/count_save.py
    counts the cost). Declared there, they still save through the app's dependency overrides (the tests' session), and
    the middleware's query rule still refuses a control character (422) before the save is looked at."""
    routes = [(getattr(route, "path", None), sorted(getattr(route, "methods", None) or [])) for route in app.routes]
    saves = [
        ("/api/v1/audits/{audit_id}/responses/{item_id}", ["PUT"]),
        ("/api/v1/audits/{audit_id}/responses/batch", ["POST"]),
    ]
    assert saves[0] in routes, routes  # not inside an included router (which has no path of its own)
    first = routes.index(saves[0])
    assert routes[first : first + 2] == saves and None not in [path for path, _ in routes[:first]]
    audit = make_audit(team_ids=[(auditor := make_user("auditor")).id])
    _, token = accounts.create_token(session=session, user=auditor)
    anonymous.headers["Authorization"] = f"Bearer {token}"
    answers = f"/api/v1/audits/{audit.id}/responses"
    body = {"verdict": "conform", "version": 0}
    assert anonymous.put(f"{answers}/{first_item_id}?q=%01", json=body).status_code == 422
    saved = anonymous.put(f"{answers}/{first_item_id}", json=body)
    assert saved.status_code == 200 and saved.json()["version"] == 1, saved.text
    batch = anonymous.post(
        f"{answers}/batch", json={"changes": [{"item_id": first_item_id, "note": "Set", "version": 1}]}
    )
    assert batch.status_code == 200 and batch.json()["results"][0]["body"]["version"] == 2, batch.text
    assert anonymous.put(f"{answers}/x", json=body).status_code == 404  # no such item: 404, never a 500


def test_a_stale_save_is_refused_with_both_versions(client, session, make_audit, first_item_id):
    audit = make_audit()
    put(client, audit, first_item_id, note="Skrevet på tablet A", version=0)
    response = put(client, audit, first_item_id, note="Skrevet på tablet B", version=0)
    assert response.status_code == 409
    body = response.json()
    assert body["current"]["note"] == "Skrevet på tablet A" and body["current"]["version"] == 1
    assert body["submitted"]["note"] == "Skrevet på tablet B"
    stored = session.exec(select(Response).where(Response.item_id == first_item_id)).one()
    assert stored.note == "Skrevet på tablet A"
    # Choosing "keep mine" resends on top of the current version.
    assert put(client, audit, first_item_id, note="Skrevet på tablet B", version=1).json()["version"] == 2


def test_a_save_based_on_a_version_from_the_future_is_stale(client, make_audit, first_item_id):
    audit = make_audit()
    assert put(client, audit, first_item_id, note="x", version=3).status_code == 409


def test_the_service_refuses_a_write_that_lost_a_race(session, make_audit, first_item_id, lead):
    audit = make_audit()
    responses.save_response(
        session=session, actor=lead, audit=audit, item_id=first_item_id, data=ResponseIn(note="one", version=0)
    )
    responses.save_response(
        session=session, actor=lead, audit=audit, item_id=first_item_id, data=ResponseIn(note="two", version=1)
    )
    with pytest.raises(StaleVersion) as raised:
        responses.save_response(
            session=session, actor=lead, audit=audit, item_id=first_item_id, data=ResponseIn(note="three", version=1)
        )
    assert raised.value.current.note == "two"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"verdict": "perfect", "version": 0}, 422),
        ({"verdict": "conform"}, 422),
        ({"verdict": "conform", "version": -1}, 422),
        ({"verdict": "conform", "version": 0, "colour": "red"}, 422),
        ({"note": "x" * 20_001, "version": 0}, 422),
        ({"verdict": "nc", "version": 0}, 422),
    ],
)
def test_bad_saves_get_a_clear_4xx(client, make_audit, first_item_id, body, status):
    audit = make_audit()
    response = client.put(f"/api/v1/audits/{audit.id}/responses/{first_item_id}", json=body)
    assert response.status_code == status
    assert response.json()["detail"]


def test_unknown_item_is_404(client, make_audit):
    audit = make_audit()
    response = put(client, audit, "no.such.item", verdict="conform", version=0)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "This audit has no checklist item with this id."}
    assert client.get(f"/api/v1/audits/{audit.id}/responses/no.such.item").status_code == 404


def test_an_item_of_another_checklist_is_not_part_of_this_audit(client, make_audit, library):
    audit = make_audit(checklists=["iso45003-clauses"])
    other = item_ids(library, "hazard-screening")[0]
    assert put(client, audit, other, verdict="conform", version=0).status_code == 404


def test_ungraded_nc_is_for_internal_audits(client, make_audit, library):
    audit = make_audit(audit_type="internal", checklists=["at-internal-audit"])
    item = next(item.id for item in library.get("at-internal-audit").checklist.items() if not item.is_step)
    assert put(client, audit, item, verdict="nc", version=0).status_code == 200


def test_a_closed_audit_cannot_be_changed(client, make_audit, first_item_id):
    audit = make_audit()
    for status in ("in_progress", "reporting", "closed"):
        client.post(f"/api/v1/audits/{audit.id}/status", json={"status": status})
    response = put(client, audit, first_item_id, verdict="conform", version=0)
    assert response.status_code == 409
    assert "closed" in response.json()["detail"]


def test_an_unanswered_item_reads_as_version_0(client, make_audit, first_item_id):
    audit = make_audit()
    body = client.get(f"/api/v1/audits/{audit.id}/responses/{first_item_id}").json()
    assert (body["version"], body["verdict"], body["note"]) == (0, None, "")
    put(client, audit, first_item_id, verdict="ofi", version=0)
    assert [r["verdict"] for r in client.get(f"/api/v1/audits/{audit.id}/responses").json()] == ["ofi"]


# The conduct page


def test_the_conduct_page_shows_every_item_with_its_state(client, make_audit, library, first_item_id):
    audit = make_audit(report_language="da")
    put(
        client, audit, first_item_id, verdict="major_nc", note="Ingen risikovurdering af <b>forandringer</b>", version=0
    )
    page = client.get(f"/audits/{audit.id}/conduct").text
    checklist = library.get("iso45003-clauses").checklist
    assert page.count('class="item-card"') == checklist.item_count
    first = next(checklist.items())
    assert f'id="item-{first_item_id}"' in page and 'data-version="1"' in page and 'data-verdict="major_nc"' in page
    assert first.question.da in page and first.question.en in page  # the other language is one tap away
    assert "Ingen risikovurdering af &lt;b&gt;forandringer&lt;/b&gt;" in page  # notes are escaped
    assert f'value="1" max="{checklist.item_count}"' in page  # overall progress
    assert 'data-verdict="nc"' not in page  # ungraded NC only in internal audits
    assert f'href="/audits/{audit.id}/findings/new?item_id={first_item_id}' in page


def test_the_conduct_page_progress_per_section(client, make_audit, library):
    audit = make_audit()
    checklist = library.get("iso45003-clauses").checklist
    section_four = [item.id for path, item in checklist.walk() if path[0].code == "4"]
    for item_id in section_four[:2]:
        put(client, audit, item_id, verdict="conform", version=0)
    page = client.get(f"/audits/{audit.id}/conduct").text
    assert f'data-count="iso45003-clauses--4">2/{len(section_four)}<' in page


def test_the_conduct_page_offers_nc_in_internal_audits(client, make_audit):
    audit = make_audit(audit_type="internal", checklists=["at-internal-audit"])
    assert 'data-verdict="nc"' in client.get(f"/audits/{audit.id}/conduct").text


# Evidence


def test_record_interview_evidence_by_role(client, make_audit, first_item_id):
    audit = make_audit()
    response = client.post(
        f"/api/v1/audits/{audit.id}/responses/{first_item_id}/evidence",
        json={
            "method": "interview_group",
            "summary": "Oplever højt tidspres i højsæson",
            "interviewee_role": "employees",
            "interviewee_count": 4,
        },
    )
    assert response.status_code == 201
    assert response.json()["interviewee_role"] == "employees" and response.json()["interviewee_count"] == 4
    listed = client.get(f"/api/v1/audits/{audit.id}/responses/{first_item_id}/evidence").json()
    assert [e["summary"] for e in listed] == ["Oplever højt tidspres i højsæson"]


def test_an_interview_needs_a_role_and_documents_have_none(client, session, make_audit, first_item_id):
    audit = make_audit()
    url = f"/api/v1/audits/{audit.id}/responses/{first_item_id}/evidence"
    refused = client.post(url, json={"method": "interview_individual", "summary": "Talte med en leder"})
    assert refused.status_code == 422 and "role" in refused.json()["detail"]
    assert (
        client.post(
            url, json={"method": "interview_individual", "summary": "x", "interviewee_role": "Hanne Jensen"}
        ).status_code
        == 422
    )
    document = client.post(
        url, json={"method": "document", "summary": "APV 2026", "interviewee_role": "employees", "interviewee_count": 3}
    ).json()
    assert document["interviewee_role"] is None and document["interviewee_count"] is None
    assert client.post(url, json={"method": "gossip", "summary": "x"}).status_code == 422
    assert len(session.exec(select(Evidence)).all()) == 1


def test_evidence_from_a_browser_without_javascript(client, make_audit, first_item_id):
    """The evidence form's own action (the page's script sends evidence through the outbox to the API): saved, back
    to the item; a refused entry comes back in the form with the text kept; removed, back to the item."""
    audit = make_audit()
    saved = client.post(
        f"/audits/{audit.id}/evidence",
        data={"item_id": first_item_id, "method": "observation", "summary": "Opslag om trivselsmåling ved kantinen"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"/audits/{audit.id}/conduct#item-{first_item_id}"
    page = client.get(f"/audits/{audit.id}/conduct").text
    assert "Opslag om trivselsmåling ved kantinen" in page
    refused = client.post(
        f"/audits/{audit.id}/evidence",
        data={"item_id": first_item_id, "method": "interview_individual", "summary": "Det jeg skrev"},
    )
    assert refused.status_code == 422
    assert '<form id="evidence-form"' in refused.text and "Det jeg skrev" in refused.text
    assert "error-summary" in refused.text and "interviewee" in refused.text
    (entry,) = client.get(f"/api/v1/audits/{audit.id}/responses/{first_item_id}/evidence").json()
    removed = client.post(f"/audits/{audit.id}/evidence/{entry['id']}/delete", follow_redirects=False)
    assert removed.status_code == 303 and removed.headers["location"] == saved.headers["location"]
    assert "Opslag om trivselsmåling ved kantinen" not in client.get(f"/audits/{audit.id}/conduct").text


def test_remove_evidence(client, session, make_audit, first_item_id):
    audit = make_audit()
    created = client.post(
        f"/api/v1/audits/{audit.id}/responses/{first_item_id}/evidence",
        json={"method": "document", "summary": "Politik"},
    ).json()
    assert client.delete(f"/api/v1/audits/{audit.id}/evidence/{created['id']}").status_code == 204
    assert client.delete(f"/api/v1/audits/{audit.id}/evidence/{created['id']}").status_code == 404
    assert session.exec(select(Evidence)).all() == []


# Confidential evidence


@pytest.fixture
def confidential_setup(session, make_audit, make_user, login, lead, first_item_id):
    audit = make_audit()
    organisation_id = audit.organisation_id
    from auditor.models import Organisation

    own = session.get(Organisation, organisation_id)
    quality_manager = make_user("quality_manager", organisation=own)
    team = login(lead)
    url = f"/api/v1/audits/{audit.id}/responses/{first_item_id}/evidence"
    team.post(
        url,
        json={
            "method": "interview_individual",
            "summary": "Fortæller om mobning fra en kollega",
            "interviewee_role": "employees",
            "confidential": True,
        },
    )
    team.post(url, json={"method": "document", "summary": "Politik for krænkende handlinger"})
    return audit, url, team, login(quality_manager)


def test_confidential_evidence_is_seen_by_the_team_only(confidential_setup):
    audit, url, team, client_role = confidential_setup
    assert [e["confidential"] for e in team.get(url).json()] == [True, False]
    assert [e["summary"] for e in client_role.get(url).json()] == ["Politik for krænkende handlinger"]
    team_page, client_page = (
        team.get(f"/audits/{audit.id}/conduct").text,
        client_role.get(f"/audits/{audit.id}/conduct").text,
    )
    assert "Fortæller om mobning" in team_page and 'class="badge confidential"' in team_page
    assert "Fortæller om mobning" not in client_page


def test_confidential_evidence_is_blanked_in_the_history_for_the_client(confidential_setup):
    audit, url, team, client_role = confidential_setup
    team_events = [e for e in team.get(f"/api/v1/audits/{audit.id}/history").json() if e["entity"] == "evidence"]
    client_events = [
        e for e in client_role.get(f"/api/v1/audits/{audit.id}/history").json() if e["entity"] == "evidence"
    ]
    assert team_events[0]["after"]["summary"] == "Fortæller om mobning fra en kollega"
    assert client_events[0]["after"]["summary"] == "[confidential]" and client_events[0]["confidential"] is True
    for exporter in (team, client_role):  # an export never carries it, not even the team's
        assert "Fortæller om mobning" not in exporter.get(f"/api/v1/audits/{audit.id}/history.csv").text


def test_confidential_evidence_never_reaches_a_report(confidential_setup):
    import io

    from docx import Document

    audit, url, team, client_role = confidential_setup
    for downloader in (team, client_role):
        document = Document(io.BytesIO(downloader.get(f"/api/v1/audits/{audit.id}/report.docx").content))
        text = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
        assert "Politik for krænkende handlinger" in text
        assert "Fortæller om mobning" not in text


def test_a_client_role_cannot_change_a_verdict(confidential_setup, first_item_id, session):
    audit, url, team, client_role = confidential_setup
    response = client_role.put(
        f"/api/v1/audits/{audit.id}/responses/{first_item_id}", json={"verdict": "conform", "version": 0}
    )
    assert response.status_code == 403 and response.json() == {
        "code": "forbidden",
        "detail": "Your role does not allow this.",
    }
    assert session.exec(select(Response)).all() == []
