"""Schema fuzzing (schemathesis) over /openapi.json, as two roles (the lead auditor of an audit and the quality manager
of the organisation audited): every operation with a bounded number of generated requests, each of which must get an
answer the document promises: not a 5xx, a status code it lists for the operation, the content type it lists, and a
body its schema allows (our own error body for every refusal). About half the requests name records that exist, so
the answers are not all 404s. Derandomized, so it runs the same every time and on every worker. (Driven through
Hypothesis directly: schemathesis's pytest fixture integration does not run under pytest 9.)"""

from __future__ import annotations

import io
from datetime import date, time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from PIL import Image
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from auditor.schemas import DeclarationIn, EvidenceIn, FindingIn, PlanEntryIn
from auditor.services import accounts, audits, cases, evidence, findings, photos, reviews, staffing

EXAMPLES = 6  # generated requests per operation and role
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def world(session, make_organisation, make_audit, make_user, lead, first_item_id, settings):
    """Records for the generated requests to name: an audit that `lead` leads, with a plan entry, an answer's evidence
    and photo, a nonconformity whose case has an action, a management review and a tie `lead` declared; {path
    parameter: id}, and the organisation's quality manager."""
    organisation = make_organisation()
    quality_manager = make_user("quality_manager", organisation=organisation)
    audit = make_audit(organisation=organisation)
    entry = audits.add_plan_entry(
        session=session,
        actor=lead,
        audit=audit,
        data=PlanEntryIn(day=date(2026, 12, 1), start_time=time(9), activity="HR"),
    )
    entry_evidence = evidence.add_evidence(
        session=session,
        actor=lead,
        audit=audit,
        item_id=first_item_id,
        data=EvidenceIn(method="document", summary="APV"),
    )
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(picture, "JPEG")
    photo = photos.add_photo(
        session=session, actor=lead, audit=audit, item_id=first_item_id, content=picture.getvalue(), caption="Lager"
    )
    finding = findings.create_finding(
        session=session, actor=lead, audit=audit, data=FindingIn(item_id=first_item_id, kind="minor_nc", statement="X")
    )
    case = cases.case_for_finding(session=session, finding_id=finding.id)
    cases.record_correction(session=session, actor=quality_manager, case=case, correction="Talt med holdet")
    cases.record_root_cause(session=session, actor=quality_manager, case=case, method="free_text", cause="Ingen rutine")
    action = cases.add_action(
        session=session,
        actor=quality_manager,
        case=case,
        description="En rutine",
        owner_id=quality_manager.id,
        due_date=date(2027, 2, 1),
        prevention_level="primary",
        scope="collective",
    )
    review = reviews.create_review(
        session=session,
        actor=quality_manager,
        organisation_id=organisation.id,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        policy=settings.deadline_policy,
    )
    declaration = staffing.add_declaration(
        session=session,
        actor=lead,
        auditor=lead,
        data=DeclarationIn(organisation_id=organisation.id, kind="consultancy", ends_on=date(2020, 1, 1)),
    )
    ids = {
        "organisation_id": organisation.id,
        "auditor_id": lead.id,
        "declaration_id": declaration.id,
        "audit_id": audit.id,
        "entry_id": entry.id,
        "item_id": first_item_id,
        "evidence_id": entry_evidence.id,
        "photo_id": photo.id,
        "finding_id": finding.id,
        "case_id": case.id,
        "action_id": action.id,
        "review_id": review.id,
        "checklist_id": "iso45003-clauses",
    }
    return ids, quality_manager


def violations(app, token: str, ids: dict) -> list[str]:
    """Every operation of the app's own OpenAPI document, EXAMPLES generated requests each: the ones whose answer
    breaks the document (the first falsifying example of each operation, shrunk by Hypothesis). A DELETE never names
    a record that exists (it would take it from the operations after it)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(), existing=st.booleans())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case, existing):
            if existing and case.method != "DELETE":
                case.path_parameters = {
                    name: ids.get(name, value) for name, value in (case.path_parameters or {}).items()
                }
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except FailureGroup as group:
            failures += [
                f"{operation.method.upper()} {operation.path}: {failure}"[:800] for failure in group.exceptions
            ]
        except Exception as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:800]}")
    return failures


@pytest.mark.parametrize("role", ["lead_auditor", "quality_manager"])
def test_every_answer_is_one_the_openapi_document_promises(app, lead, world, session, role):
    ids, quality_manager = world
    token = accounts.create_token(
        session=session, user=lead if role == "lead_auditor" else quality_manager, name="fuzz"
    )[1]
    failures = violations(app, token, ids)
    assert not failures, "\n\n".join(failures)


def test_the_document_names_our_error_body_the_vocabularies_and_the_date_rules(anonymous):
    document = anonymous.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's own 422 body, which we never send
    assert set(schemas["ErrorOut"]["required"]) == {"code", "detail"}
    assert {"invalid", "not_found", "version_conflict", "audit_closed", "csrf_failed", "busy"} <= set(
        schemas["ErrorCode"]["enum"]
    )
    operations = [operation for path in document["paths"].values() for operation in path.values()]
    for operation in operations:
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")) and "content" in answer:
                assert answer["content"]["application/json"]["schema"]["$ref"].endswith(
                    ("/ErrorOut", "/VersionConflictOut")
                )
    list_cases = document["paths"]["/api/v1/cases"]["get"]
    assert {"401", "403", "422", "503"} <= set(list_cases["responses"]) and "404" not in list_cases["responses"]
    assert {"404", "409"} <= set(document["paths"]["/api/v1/cases/{case_id}/close"]["post"]["responses"])
    filters = {parameter["name"]: parameter["schema"] for parameter in list_cases["parameters"]}
    assert filters["status"]["anyOf"][0]["$ref"].endswith("/CaseStatus")
    assert "raised" in schemas["CaseStatus"]["enum"] and "major_nc" in schemas["FindingKind"]["enum"]
    assert "start_date" in schemas["AuditIn"]["properties"]["end_date"]["description"]
    assert (
        "future" in schemas["VerificationIn"]["properties"]["verified_on"]["description"]
        or "earlier" in (schemas["VerificationIn"]["properties"]["verified_on"]["description"])
    )
    assert "format" not in schemas["PlanEntryOut"]["properties"]["start_time"]  # RFC 3339 time needs an offset


def test_a_plan_time_with_a_utc_offset_is_refused_not_a_server_error(client, make_audit):
    audit = make_audit()
    response = client.post(
        f"/api/v1/audits/{audit.id}/plan",
        json={"day": "2026-12-01", "start_time": "08:30+02:00", "end_time": "09:00", "activity": "Rundgang"},
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert response.json()["errors"][0]["field"] == "start_time"
