"""Bad input gets a clear 4xx, never a 500, and nothing half-stored; what is already stored never breaks an export."""

import io
import typing

import pytest
from docx import Document
from openpyxl import load_workbook
from pydantic import BaseModel, ValidationError
from sqlmodel import select

from auditor import schemas
from auditor.models import Case, Finding, ReviewDecision
from auditor.text import CONTROL_CHARACTER


def input_schemas() -> list[type[BaseModel]]:
    return sorted(
        (
            value
            for value in vars(schemas).values()
            if isinstance(value, type) and issubclass(value, schemas.Input) and value is not schemas.Input
        ),
        key=lambda schema: schema.__name__,
    )


@pytest.mark.parametrize("schema", input_schemas(), ids=lambda schema: schema.__name__)
def test_every_text_field_of_every_input_refuses_what_xml_and_postgresql_cannot_carry(schema):
    """One rule for every body the API and the forms take in: NUL (PostgreSQL cannot keep it) and the other control
    characters XML cannot carry (a Word report or a spreadsheet would break) are refused with a clear message."""
    for name, field in schema.model_fields.items():
        for character in ("\x00", "\x01", "\x0b"):
            value = f"Opslag{character}ved stempeluret"
            if typing.get_origin(field.annotation) is list or "list[" in str(field.annotation):
                value = [value]
            with pytest.raises(ValidationError) as refused:
                schema.model_validate({name: value})
            messages = {error["loc"][0]: error["msg"] for error in refused.value.errors()}
            assert CONTROL_CHARACTER in messages[name], (name, messages)


def test_tabs_and_line_breaks_are_kept():
    assert schemas.CommentIn(text="Første linje\r\n\tanden linje").text == "Første linje\r\n\tanden linje"


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x0b"], ids=["nul", "soh", "vt"])
def test_the_api_and_the_pages_refuse_a_control_character_with_422_and_store_nothing(
    client, session, make_audit, first_item_id, character
):
    audit = make_audit()
    api = client.post(
        f"/api/v1/audits/{audit.id}/findings", json={"kind": "ofi", "statement": f"Skilt{character}bag døren"}
    )
    assert api.status_code == 422 and api.json()["errors"][0] == {"field": "statement", "message": CONTROL_CHARACTER}
    renamed = client.patch(f"/api/v1/audits/{audit.id}", json={"title": f"Audit{character}"})
    assert renamed.status_code == 422
    page = client.post(f"/audits/{audit.id}/findings", data={"kind": "ofi", "statement": f"Skilt{character}bag døren"})
    assert page.status_code == 422 and "control character" in page.text
    caption = client.post(
        f"/api/v1/audits/{audit.id}/responses/{first_item_id}/photos",
        data={"caption": f"Opslag{character}"},
        files={"file": ("photo.jpg", b"not read", "image/jpeg")},
    )
    assert caption.status_code == 422
    assert session.exec(select(Finding)).all() == []
    session.refresh(audit)
    assert character not in audit.title


# Text stored before the rule still makes every deliverable

PASTED = "Trivsel\x01 og\x0b arbejdsmiljø\x02"


def test_the_exports_write_what_was_stored_before_the_rule(client, session, make_audit, world_case):
    audit = make_audit()
    audit.title = PASTED
    session.add(audit)
    session.flush()
    report = client.get(f"/api/v1/audits/{audit.id}/report.docx")
    assert report.status_code == 200, report.text
    assert "Trivsel og arbejdsmiljø" in Document(io.BytesIO(report.content)).paragraphs[1].text

    case = world_case(statement=PASTED)
    register = client.get("/api/v1/cases.xlsx")
    assert register.status_code == 200, register.text
    cells = [cell.value for row in load_workbook(io.BytesIO(register.content)).active.iter_rows() for cell in row]
    assert "Trivsel og arbejdsmiljø" in cells
    assert "Trivsel og arbejdsmiljø" in client.get("/api/v1/cases.csv").text

    review = client.post(
        "/api/v1/management-reviews",
        json={"organisation_id": case.organisation_id, "period_start": "2025-01-01", "period_end": "2025-12-31"},
    ).json()
    session.add(ReviewDecision(review_id=review["id"], text=PASTED))
    session.flush()
    minutes = client.get(f"/api/v1/management-reviews/{review['id']}.docx")
    assert minutes.status_code == 200, minutes.text
    assert any(
        "Trivsel og arbejdsmiljø" in cell.text
        for table in Document(io.BytesIO(minutes.content)).tables
        for row in table.rows
        for cell in row.cells
    )


@pytest.fixture
def world_case(client, make_organisation, session):
    organisation = make_organisation()

    def make(statement: str) -> Case:
        body = client.post(
            "/api/v1/cases", json={"organisation_id": organisation.id, "grade": "minor_nc", "statement": "Opslag"}
        ).json()
        case = session.get(Case, body["id"])
        case.statement = statement
        session.add(case)
        session.flush()
        return case

    return make


def test_every_cell_of_a_csv_export_is_defused(client, session, make_audit, make_user, login):
    """A user named like a formula acts in an audit: the history's actor column (and every other) is defused."""
    attacker = make_user(
        "lead_auditor", name='=HYPERLINK("http://evil.example","klik")', email="=HYPERLINK(1)@test.example"
    )
    audit = make_audit(lead_auditor_id=attacker.id)
    assert (
        login(attacker)
        .post(f"/api/v1/audits/{audit.id}/findings", json={"kind": "ofi", "statement": "@SUM(1+1)"})
        .status_code
        == 201
    )
    exported = client.get(f"/api/v1/audits/{audit.id}/history.csv").text
    import csv

    cells = [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    assert any("hyperlink" in cell.lower() for cell in cells), exported
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


# Ids out of range name nothing: 404, never a 500 (PostgreSQL's integer ends at 2^31-1, SQLite's at 2^63-1)


def routes_with_ids(app) -> list[tuple[str, str]]:
    """(method, path) of every route with a row id in its path (FastAPI 0.165 keeps included routers nested)."""
    routes = [
        context
        for router in app.routes
        if hasattr(router, "effective_route_contexts")
        for context in router.effective_route_contexts()
    ]
    return sorted(
        (method, route.path) for route in routes if "_id}" in route.path for method in route.methods if method != "HEAD"
    )


@pytest.mark.parametrize("number", [2**31, 2**63, -1, 0], ids=["2^31", "2^63", "negative", "zero"])
def test_an_id_out_of_range_is_404_on_every_route(app, client, number, first_item_id):
    routes = routes_with_ids(app)
    assert len(routes) > 50
    for method, path in routes:
        url = path.replace("{item_id}", first_item_id).replace("{step}", "correction").replace("{kind}", "audit")
        for name in {part.split("}")[0] for part in url.split("{")[1:]}:
            url = url.replace("{" + name + "}", str(number))
        response = client.request(
            method, url, json={}, headers={"HX-Request": "true"} if not url.startswith("/api") else {}
        )
        assert response.status_code == 404, (method, url, response.status_code, response.text[:200])


def test_an_id_out_of_range_in_a_body_or_a_query_is_422(client):
    assert (
        client.post("/api/v1/cases", json={"organisation_id": 2**63, "grade": "minor_nc", "statement": "x"}).status_code
        == 422
    )
    assert client.get("/api/v1/cases", params={"owner_id": 2**31}).status_code == 422


@pytest.mark.parametrize("path", ["/api/v1/cases", "/cases", "/api/v1/audits"])
def test_a_control_character_in_a_query_is_422_on_every_route(client, path):
    """Query parameters obey the bodies' text rule: PostgreSQL cannot compare a NUL (schemathesis found
    `GET /api/v1/cases?grade=...%00` a 500)."""
    response = client.get(path, params={"grade": "minor_nc\x00", "q": "x"})
    assert response.status_code == 422
    if path.startswith("/api/"):
        assert response.json()["code"] == "invalid"


# The 500s of ordinary work


def test_null_for_a_date_of_an_audit_keeps_the_date(client, make_audit):
    audit = make_audit()
    for body in ({"start_date": None}, {"end_date": None}, {"start_date": None, "end_date": None, "title": None}):
        response = client.patch(f"/api/v1/audits/{audit.id}", json=body)
        assert response.status_code == 200, response.text
        assert (response.json()["start_date"], response.json()["end_date"]) == (
            audit.start_date.isoformat(),
            audit.end_date.isoformat(),
        )


def test_an_unexpected_error_on_a_page_shows_our_page_even_when_the_page_fails_too(login, admin, monkeypatch, caplog):
    import auditor.routes.errors as errors
    from auditor.services import audits

    def broken(**_):
        raise RuntimeError("the database went away")

    def page_that_fails(*_, **__):
        raise RuntimeError("the error page cannot read the user either")

    monkeypatch.setattr(audits, "list_audits", broken)
    danish = login(admin, language="da")
    response = danish.get("/")
    assert (
        response.status_code == 500
        and "Der gik noget galt hos os" in response.text
        and '<html lang="da">' in response.text
    )
    monkeypatch.setattr(errors, "error_page", page_that_fails)
    response = danish.get("/")
    assert response.status_code == 500 and response.headers["content-type"].startswith("text/html")
    assert "Der gik noget galt hos os" in response.text and '<html lang="da">' in response.text
    assert "the error page failed" in caplog.text


# How much a request may send: a limit per route, 413 with a clear message over it


def test_a_body_over_the_limit_is_413_with_a_clear_message_and_nothing_is_stored(
    client, session, make_audit, first_item_id, settings
):
    audit = make_audit()
    huge = "x" * (1024 * 1024 + 1)
    api = client.post(f"/api/v1/audits/{audit.id}/findings", json={"kind": "ofi", "statement": huge})
    assert (
        api.status_code == 413
        and api.json()["detail"] == "What was sent is larger than this accepts (1 MB at most). Nothing was saved."
    )
    page = client.post(f"/audits/{audit.id}/findings", data={"kind": "ofi", "statement": huge})
    assert page.status_code == 413 and "larger than this accepts" in page.text and "<html" in page.text
    assert session.exec(select(Finding)).all() == []
    settings.photo_max_mb = 1
    too_big = client.post(
        f"/api/v1/audits/{audit.id}/responses/{first_item_id}/photos",
        files={"file": ("p.jpg", b"\xff" * (2 * 1024 * 1024 + 1), "image/jpeg")},
    )
    assert too_big.status_code == 413 and "2 MB at most" in too_big.json()["detail"]
    # an upload may be larger than a form: a photo within its own limit gets as far as the photo check
    within = client.post(
        f"/api/v1/audits/{audit.id}/responses/{first_item_id}/photos",
        files={"file": ("p.jpg", b"\xff" * (1024 * 1024 + 10), "image/jpeg")},
    )
    assert within.status_code == 422 and "larger than 1 MB" in within.json()["detail"]


def test_the_pages_keep_the_apis_length_limits(client, session, make_organisation):
    """One set of limits: a form over the API's limit for the same field is refused (422) and nothing is stored."""
    from auditor.models import CaseComment, ManagementReview, User

    organisation = make_organisation()
    case = client.post(
        "/api/v1/cases", json={"organisation_id": organisation.id, "grade": "minor_nc", "statement": "Opslag"}
    ).json()
    comment = client.post(f"/cases/{case['id']}/step/comment", data={"text": "x" * 5_001})
    assert comment.status_code == 422 and "too long" in comment.text
    assert (
        client.post(f"/cases/{case['id']}/step/comment", data={"text": "x" * 5_000}, follow_redirects=False).status_code
        == 303
    )
    assert [len(c.text) for c in session.exec(select(CaseComment)).all()] == [5_000]
    opened = client.post(
        "/cases", data={"organisation_id": organisation.id, "grade": "minor_nc", "statement": "x" * 20_001}
    )
    assert opened.status_code == 422 and len(session.exec(select(Case)).all()) == 1

    review = client.post(
        "/api/v1/management-reviews",
        json={"organisation_id": organisation.id, "period_start": "2025-01-01", "period_end": "2025-12-31"},
    ).json()
    section = client.post(f"/management-reviews/{review['id']}/sections", data={"resources": "x" * 20_001})
    assert section.status_code == 422 and "too long" in section.text
    assert session.get(ManagementReview, review["id"]).manual.get("resources", "") == ""

    named = client.post("/users", data={"email": "lang@test.example", "name": "x" * 201, "role": "auditor"})
    assert (
        named.status_code == 422 and session.exec(select(User).where(User.email == "lang@test.example")).first() is None
    )
    token = client.post("/account/tokens", data={"name": "x" * 101})
    assert token.status_code == 422


def test_an_id_out_of_range_in_a_page_form_or_query_names_nothing(client, session, make_organisation):
    from auditor.models import User

    organisation = make_organisation()
    assert client.get("/audits/new", params={"organisation_id": 2**31}).status_code == 422
    assert client.get("/cases", params={"owner_id": 2**31, "audit_id": 2**63}).status_code == 200
    assert (
        client.post("/cases", data={"organisation_id": 2**31, "grade": "minor_nc", "statement": "Opslag"}).status_code
        == 422
    )
    created = client.post(
        "/users", data={"email": "ny@test.example", "name": "Ny", "role": "viewer", "organisation_id": 2**31}
    )
    assert created.status_code in (200, 422) and all(
        user.organisation_id != 2**31 for user in session.exec(select(User))
    )
    case = client.post(
        "/api/v1/cases", json={"organisation_id": organisation.id, "grade": "minor_nc", "statement": "Opslag"}
    ).json()
    implemented = client.post(f"/cases/{case['id']}/step/implement", data={"action_id": 2**31, "note": "Gjort"})
    assert implemented.status_code in (404, 409, 422)


# Digits that str.isdigit() accepts and int() does not ("²"), and a number too long for int() (4,300 digits at most)
NOT_A_ROW_ID = ["²", "1" * 5000]


@pytest.mark.parametrize("value", NOT_A_ROW_ID, ids=["superscript", "5000-digits"])
def test_an_id_in_a_form_that_is_not_a_number_names_nothing(client, make_audit, value):
    from tests.test_photos import jpeg_with_exif

    audit = make_audit()
    photo = client.post(
        f"/audits/{audit.id}/photos",
        data={"finding_id": value, "caption": "Skilt"},
        files={"file": ("IMG_0001.JPG", jpeg_with_exif(300, 200), "image/jpeg")},
    )
    assert photo.status_code == 422 and "A photo belongs to a checklist item or a finding." in photo.text


@pytest.mark.parametrize("value", NOT_A_ROW_ID, ids=["superscript", "5000-digits"])
def test_a_row_of_a_review_table_with_an_index_that_is_not_a_number_is_left_out(
    login, make_user, make_organisation, value
):
    own = make_organisation()
    client = login(make_user("quality_manager", organisation=own))
    review_id = client.post(
        "/api/v1/management-reviews",
        json={"organisation_id": own.id, "period_start": "2025-01-01", "period_end": "2025-12-31"},
    ).json()["id"]
    saved = client.post(
        f"/management-reviews/{review_id}/monitoring",
        data={"period-0": "2025", "absence_percent-0": "4.1", f"period-{value}": "2024"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert [row["period"] for row in client.get(f"/api/v1/management-reviews/{review_id}").json()["monitoring"]] == [
        "2025"
    ]
