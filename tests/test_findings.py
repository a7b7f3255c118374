"""Findings: raised from an item (prefilled), listed and filtered by kind and clause, changed, deleted."""

from sqlmodel import select

from auditor.models import Finding


def raise_finding(client, audit, **body):
    return client.post(f"/api/v1/audits/{audit.id}/findings", json=body)


def test_a_finding_on_an_item_takes_its_clauses_and_only_the_tags_confirmed(client, make_audit, library, first_item_id):
    audit = make_audit()
    item = next(library.get("iso45003-clauses").checklist.items())
    response = raise_finding(
        client,
        audit,
        item_id=first_item_id,
        kind="minor_nc",
        statement="Konteksten er ikke vurderet for lageret",
        evidence="Kontekstanalyse 2025 dækker kun kontoret",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["reference"] == "F-001"
    assert body["clauses"] == item.clauses
    assert body["tags"] == {}  # the item's tags are suggestions (REVIEW finding 2): none was confirmed
    second = raise_finding(
        client,
        audit,
        kind="ofi",
        statement="Overvej en fælles trivselsmåling",
        clauses=["45003:9.1"],
        tags={"bek1406": ["workload"]},
    )
    assert (
        second.json()["reference"] == "F-002"
        and second.json()["item_id"] is None
        and second.json()["tags"]["bek1406"] == ["workload"]
    )


def test_bad_findings_get_422_or_404(client, session, make_audit, first_item_id):
    audit = make_audit()
    assert raise_finding(client, audit, kind="conform", statement="x").status_code == 422
    assert raise_finding(client, audit, kind="nc", statement="x").status_code == 422  # not an internal audit
    assert raise_finding(client, audit, kind="minor_nc", statement="   ").status_code == 422
    assert raise_finding(client, audit, kind="minor_nc", statement="x", clauses=["9.3"]).status_code == 422
    assert raise_finding(client, audit, kind="minor_nc", statement="x", tags={"bek1406": ["stress"]}).status_code == 422
    assert raise_finding(client, audit, kind="minor_nc", statement="x", item_id="no.such.item").status_code == 404
    assert session.exec(select(Finding)).all() == []


def test_no_finding_is_raised_on_a_step_of_the_audit(client, session, make_audit):
    audit = make_audit(audit_type="internal", checklists=["at-internal-audit"])
    refused = raise_finding(
        client, audit, item_id="at-internal.prepare.background", kind="nc", statement="Fraværsdata indgår ikke"
    )
    assert refused.status_code == 422 and "no finding is raised on it" in refused.text
    assert (
        client.get(f"/audits/{audit.id}/findings/new", params={"item_id": "at-internal.prepare.background"}).status_code
        == 422
    )
    assert session.exec(select(Finding).where(Finding.audit_id == audit.id)).all() == []
    assert client.get("/api/v1/cases").json() == []
    assert (
        raise_finding(
            client, audit, item_id="at-internal.conduct.hr.data", kind="nc", statement="Fraværsdata indgår ikke"
        ).status_code
        == 201
    )


def test_list_and_filter_by_kind_and_clause(client, make_audit):
    audit = make_audit()
    raise_finding(client, audit, kind="major_nc", statement="A", clauses=["45003:6.1.2", "45001:6.1.2"])
    raise_finding(client, audit, kind="minor_nc", statement="B", clauses=["45003:6.2"])
    raise_finding(client, audit, kind="observation", statement="C", clauses=["45001:9.3"])
    url = f"/api/v1/audits/{audit.id}/findings"
    statements = lambda **params: [f["statement"] for f in client.get(url, params=params).json()]  # noqa: E731
    assert statements() == ["A", "B", "C"]
    assert statements(kind="minor_nc") == ["B"]
    assert statements(clause="6") == ["A", "B"]
    assert statements(clause="6.1") == ["A"]
    assert statements(clause="6.1.2") == ["A"]
    assert statements(clause="45001:9.3") == ["C"]
    assert statements(clause="45003:9.3") == []
    assert statements(kind="major_nc", clause="6.2") == []


def test_change_and_delete_a_finding(client, make_audit):
    audit = make_audit()
    created = raise_finding(client, audit, kind="observation", statement="Første udkast").json()
    url = f"/api/v1/audits/{audit.id}/findings/{created['id']}"
    changed = client.put(
        url, json={"kind": "minor_nc", "statement": "Skærpet efter interview", "clauses": ["45003:8.1.2"]}
    )
    assert (
        changed.status_code == 200 and changed.json()["kind"] == "minor_nc" and changed.json()["reference"] == "F-001"
    )
    assert client.get(url).json()["statement"] == "Skærpet efter interview"
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_a_finding_of_another_audit_is_404(client, make_audit):
    first, second = make_audit(), make_audit()
    created = raise_finding(client, first, kind="ofi", statement="x").json()
    assert client.get(f"/api/v1/audits/{second.id}/findings/{created['id']}").status_code == 404
    assert client.delete(f"/api/v1/audits/{second.id}/findings/{created['id']}").status_code == 404


def test_the_form_is_prefilled_from_the_item(client, make_audit, library, first_item_id):
    audit = make_audit()
    item = next(library.get("iso45003-clauses").checklist.items())
    page = client.get(
        f"/audits/{audit.id}/findings/new",
        params={"item_id": first_item_id, "back": f"/audits/{audit.id}/conduct#item-{first_item_id}"},
    ).text
    assert f'value="{" ".join(item.clauses)}"' in page
    assert item.question.da in page
    assert f'name="back" value="/audits/{audit.id}/conduct#item-{first_item_id}"' in page
    for actor in item.tags.actors:  # the item's tags are suggestions, not ticked: the auditor confirms them
        assert f'value="{actor}" checked' not in page
        assert f'<label class="check suggested"><input type="checkbox" name="tags_actors" value="{actor}"' in page


def test_raise_a_finding_with_the_form_and_go_back_to_the_item(client, session, make_audit, first_item_id):
    audit = make_audit()
    back = f"/audits/{audit.id}/conduct#item-{first_item_id}"
    form = {
        "item_id": first_item_id,
        "kind": "major_nc",
        "clauses": "45003:4.1.1 45001:4.1",
        "statement": "Ingen kontekstanalyse",
        "back": back,
        "tags_bek1406": ["workload", "violence"],
    }
    response = client.post(f"/audits/{audit.id}/findings", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/audits/{audit.id}/conduct?saved=F-001#item-{first_item_id}"
    finding = session.exec(select(Finding)).one()
    assert finding.clauses == ["45003:4.1.1", "45001:4.1"] and finding.tags["bek1406"] == ["workload", "violence"]


def test_the_form_refuses_to_send_you_elsewhere(client, make_audit):
    audit = make_audit()
    response = client.post(
        f"/audits/{audit.id}/findings",
        data={"kind": "ofi", "statement": "x", "back": "https://evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"].startswith(f"/audits/{audit.id}/findings")


def test_the_form_keeps_the_text_on_error(client, make_audit):
    audit = make_audit()
    response = client.post(f"/audits/{audit.id}/findings", data={"statement": "Min tekst", "clauses": "45003:6.1.2"})
    assert response.status_code == 422
    assert "Min tekst" in response.text and "field-error" in response.text


def test_the_list_page_filters_with_htmx(client, make_audit):
    audit = make_audit()
    raise_finding(client, audit, kind="major_nc", statement="Stor", clauses=["45003:6.1.2"])
    raise_finding(client, audit, kind="ofi", statement="Lille", clauses=["45003:7.4"])
    page = client.get(f"/audits/{audit.id}/findings").text
    assert "Stor" in page and "Lille" in page
    fragment = client.get(f"/audits/{audit.id}/findings", params={"kind": "ofi"}, headers={"HX-Request": "true"}).text
    assert fragment.lstrip().startswith('<div id="findings-table">')
    assert "Lille" in fragment and "Stor" not in fragment
    by_clause = client.get(
        f"/audits/{audit.id}/findings", params={"clause": "6.1"}, headers={"HX-Request": "true"}
    ).text
    assert "Stor" in by_clause and "Lille" not in by_clause
