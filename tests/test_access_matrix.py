"""Every route the app registers x every persona: allowed, 403, 404 (not revealed) or sent to log in.

The table RULES classifies each route. test_every_route_is_in_the_matrix fails when a route is added
without a rule (or a rule outlives its route), so no route can slip past the matrix.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pytest
from PIL import Image
from fastapi.routing import APIRoute, iter_route_contexts

from auditor.app import create_app
from auditor.config import Settings
from auditor.schemas import AuditIn, EvidenceIn, FindingIn, PlanEntryIn
from auditor.reports.starters import starter_template
from auditor.services import accounts, audits, cases, evidence, findings, photos, reviews
from auditor.services import reports as report_templates
from tests.conftest import CSRF_VALUE

PUBLIC, USER, VIEW, PLAN, CONDUCT, PLAN_NEW, ORG_MANAGE, ORG_VIEW, USER_ADMIN = (
    "public", "user", "view", "plan", "conduct", "plan_new", "org_manage", "org_view", "user_admin")
# Cases: CASE_VIEW, seeing the case; CASE_STEP, a step of its chain: hidden (404) from those who may not see the
# case, and otherwise answered by the step itself (403, 409 or 422 as its role and state rules say; test_cases.py
# covers those); CASE_NEW, opening a case by hand.
CASE_VIEW, CASE_STEP, CASE_NEW = "case_view", "case_step", "case_new"
# Management reviews: REVIEW_VIEW, reading the world's review; REVIEW_MANAGE, changing it; REVIEW_NEW, compiling one.
REVIEW_VIEW, REVIEW_MANAGE, REVIEW_NEW = "review_view", "review_manage", "review_new"
# Report templates: only administrators manage them (none of the other personas is one).
TEMPLATE_ADMIN = "template_admin"
# Metrics: by address, not by login (AUDITOR_METRICS_ALLOW_IPS); the test client's address is not among them.
MONITORING = "monitoring"

RULES = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): MONITORING,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/language/{locale}"): PUBLIC,
    ("GET", "/api/v1/checklists"): USER,
    ("GET", "/api/v1/checklists/{checklist_id}"): USER,
    ("GET", "/api/v1/organisations"): USER,
    ("POST", "/api/v1/organisations"): ORG_MANAGE,
    ("GET", "/api/v1/organisations/{organisation_id}"): ORG_VIEW,
    ("POST", "/api/v1/organisations/{organisation_id}/sites"): ORG_MANAGE,
    ("GET", "/api/v1/audits"): USER,
    ("POST", "/api/v1/audits"): PLAN_NEW,
    ("GET", "/api/v1/audits/{audit_id}"): VIEW,
    ("PATCH", "/api/v1/audits/{audit_id}"): PLAN,
    ("POST", "/api/v1/audits/{audit_id}/status"): PLAN,
    ("GET", "/api/v1/audits/{audit_id}/plan"): VIEW,
    ("POST", "/api/v1/audits/{audit_id}/plan"): PLAN,
    ("DELETE", "/api/v1/audits/{audit_id}/plan/{entry_id}"): PLAN,
    ("GET", "/api/v1/audits/{audit_id}/responses"): VIEW,
    ("GET", "/api/v1/audits/{audit_id}/responses/{item_id}"): VIEW,
    ("PUT", "/api/v1/audits/{audit_id}/responses/{item_id}"): CONDUCT,
    ("GET", "/api/v1/audits/{audit_id}/responses/{item_id}/evidence"): VIEW,
    ("POST", "/api/v1/audits/{audit_id}/responses/{item_id}/evidence"): CONDUCT,
    ("DELETE", "/api/v1/audits/{audit_id}/evidence/{evidence_id}"): CONDUCT,
    ("GET", "/api/v1/audits/{audit_id}/findings"): VIEW,
    ("POST", "/api/v1/audits/{audit_id}/findings"): CONDUCT,
    ("GET", "/api/v1/audits/{audit_id}/findings/{finding_id}"): VIEW,
    ("PUT", "/api/v1/audits/{audit_id}/findings/{finding_id}"): CONDUCT,
    ("DELETE", "/api/v1/audits/{audit_id}/findings/{finding_id}"): CONDUCT,
    ("GET", "/api/v1/audits/{audit_id}/report.docx"): VIEW,
    ("GET", "/api/v1/audits/{audit_id}/nonconformity-report.docx"): VIEW,
    ("GET", "/api/v1/audits/{audit_id}/checklist.docx"): VIEW,
    ("GET", "/audits/{audit_id}/reports/{kind}.docx"): VIEW,
    ("GET", "/api/v1/audits/{audit_id}/report-details"): VIEW,
    ("PATCH", "/api/v1/audits/{audit_id}/report-details"): PLAN,
    ("GET", "/api/v1/report-templates"): TEMPLATE_ADMIN,
    ("POST", "/api/v1/report-templates"): TEMPLATE_ADMIN,
    ("GET", "/api/v1/report-templates/{template_id}.docx"): TEMPLATE_ADMIN,
    ("DELETE", "/api/v1/report-templates/{template_id}"): TEMPLATE_ADMIN,
    ("GET", "/api/v1/report-templates/starters/{kind}.docx"): USER,
    ("GET", "/api/v1/report-templates/variables"): USER,
    ("GET", "/api/v1/audits/{audit_id}/history"): VIEW,
    ("GET", "/api/v1/audits/{audit_id}/history.csv"): VIEW,
    ("GET", "/account"): USER,
    ("POST", "/account/password"): USER,
    ("POST", "/account/tokens"): USER,
    ("POST", "/account/tokens/{token_id}/revoke"): USER,
    ("GET", "/users"): USER_ADMIN,
    ("POST", "/users"): USER_ADMIN,
    ("GET", "/users/{user_id}"): USER_ADMIN,
    ("POST", "/users/{user_id}"): USER_ADMIN,
    ("POST", "/users/{user_id}/reset-password"): USER_ADMIN,
    ("GET", "/"): USER,
    ("GET", "/audits/new"): PLAN_NEW,
    ("POST", "/audits"): PLAN_NEW,
    ("GET", "/audits/{audit_id}"): VIEW,
    ("GET", "/audits/{audit_id}/edit"): PLAN,
    ("POST", "/audits/{audit_id}"): PLAN,
    ("POST", "/audits/{audit_id}/status"): PLAN,
    ("POST", "/audits/{audit_id}/plan"): PLAN,
    ("POST", "/audits/{audit_id}/plan/{entry_id}/delete"): PLAN,
    ("GET", "/audits/{audit_id}/conduct"): VIEW,
    ("POST", "/audits/{audit_id}/evidence"): CONDUCT,
    ("POST", "/audits/{audit_id}/evidence/{evidence_id}/delete"): CONDUCT,
    ("GET", "/audits/{audit_id}/findings"): VIEW,
    ("GET", "/audits/{audit_id}/findings/new"): CONDUCT,
    ("POST", "/audits/{audit_id}/findings"): CONDUCT,
    ("GET", "/audits/{audit_id}/findings/{finding_id}/edit"): CONDUCT,
    ("POST", "/audits/{audit_id}/findings/{finding_id}"): CONDUCT,
    ("POST", "/audits/{audit_id}/findings/{finding_id}/delete"): CONDUCT,
    ("GET", "/audits/{audit_id}/history"): VIEW,
    ("GET", "/audits/{audit_id}/report"): VIEW,
    ("POST", "/audits/{audit_id}/report"): PLAN,
    ("GET", "/report-templates"): TEMPLATE_ADMIN,
    ("POST", "/report-templates"): TEMPLATE_ADMIN,
    ("POST", "/report-templates/{template_id}/delete"): TEMPLATE_ADMIN,
    ("GET", "/organisations"): USER,
    ("POST", "/organisations"): ORG_MANAGE,
    ("POST", "/organisations/{organisation_id}/sites"): ORG_MANAGE,
    # Photo evidence
    ("POST", "/api/v1/audits/{audit_id}/responses/{item_id}/photos"): CONDUCT,
    ("GET", "/api/v1/audits/{audit_id}/responses/{item_id}/photos"): VIEW,
    ("POST", "/api/v1/audits/{audit_id}/findings/{finding_id}/photos"): CONDUCT,
    ("GET", "/api/v1/audits/{audit_id}/findings/{finding_id}/photos"): VIEW,
    ("GET", "/api/v1/audits/{audit_id}/photos/{photo_id}.jpg"): VIEW,
    ("GET", "/api/v1/audits/{audit_id}/photos/{photo_id}/thumbnail.jpg"): VIEW,
    ("DELETE", "/api/v1/audits/{audit_id}/photos/{photo_id}"): CONDUCT,
    ("POST", "/audits/{audit_id}/photos"): CONDUCT,
    ("POST", "/audits/{audit_id}/photos/{photo_id}/delete"): CONDUCT,
    # Corrective-action cases
    ("POST", "/api/v1/audits/{audit_id}/findings/{finding_id}/track"): CONDUCT,
    ("POST", "/audits/{audit_id}/findings/{finding_id}/track"): CONDUCT,
    ("GET", "/api/v1/cases"): USER,
    ("POST", "/api/v1/cases"): CASE_NEW,
    ("GET", "/api/v1/cases.csv"): USER,
    ("GET", "/api/v1/cases.xlsx"): USER,
    ("GET", "/api/v1/cases/{case_id}"): CASE_VIEW,
    ("POST", "/api/v1/cases/{case_id}/correction"): CASE_STEP,
    ("POST", "/api/v1/cases/{case_id}/root-cause"): CASE_STEP,
    ("POST", "/api/v1/cases/{case_id}/actions"): CASE_STEP,
    ("POST", "/api/v1/cases/{case_id}/submit"): CASE_STEP,
    ("POST", "/api/v1/cases/{case_id}/review"): CASE_STEP,
    ("POST", "/api/v1/cases/{case_id}/actions/{action_id}/implement"): CASE_STEP,
    ("POST", "/api/v1/cases/{case_id}/verify"): CASE_STEP,
    ("POST", "/api/v1/cases/{case_id}/close"): CASE_STEP,
    ("POST", "/api/v1/cases/{case_id}/comments"): CASE_STEP,
    ("GET", "/api/v1/cases/{case_id}/comments"): CASE_VIEW,
    ("GET", "/api/v1/cases/{case_id}/history"): CASE_VIEW,
    ("POST", "/api/v1/cases/{case_id}/attachments"): CASE_STEP,
    ("GET", "/api/v1/cases/{case_id}/attachments/{attachment_id}"): CASE_VIEW,
    ("GET", "/cases"): USER,
    ("GET", "/cases/mine"): USER,
    ("GET", "/cases/new"): CASE_NEW,
    ("POST", "/cases"): CASE_NEW,
    ("GET", "/cases/{case_id}"): CASE_VIEW,
    ("POST", "/cases/{case_id}/step/{step}"): CASE_STEP,
    # Management reviews
    ("GET", "/api/v1/management-reviews"): USER,
    ("POST", "/api/v1/management-reviews"): REVIEW_NEW,
    ("GET", "/api/v1/management-reviews/{review_id}"): REVIEW_VIEW,
    ("GET", "/api/v1/management-reviews/{review_id}.docx"): REVIEW_VIEW,
    ("PATCH", "/api/v1/management-reviews/{review_id}"): REVIEW_MANAGE,
    ("POST", "/api/v1/management-reviews/{review_id}/recompile"): REVIEW_MANAGE,
    ("POST", "/api/v1/management-reviews/{review_id}/decisions"): REVIEW_MANAGE,
    ("GET", "/management-reviews"): USER,
    ("POST", "/management-reviews"): REVIEW_NEW,
    ("GET", "/management-reviews/{review_id}"): REVIEW_VIEW,
    ("POST", "/management-reviews/{review_id}/sections"): REVIEW_MANAGE,
    ("POST", "/management-reviews/{review_id}/recompile"): REVIEW_MANAGE,
    ("POST", "/management-reviews/{review_id}/decisions"): REVIEW_MANAGE,
}

ALLOW, LOGIN, SEEN = "allow", "login", "seen"
# persona -> (role, member of: "own" = the audited organisation, "foreign" = another one, None = provider staff)
PERSONAS = {
    "admin": ("admin", None),
    "lead_on_team": ("lead_auditor", None),
    "auditor_on_team": ("auditor", None),
    "lead_not_on_team": ("lead_auditor", None),
    "quality_manager_own": ("quality_manager", "own"),
    "action_owner_own": ("action_owner", "own"),
    "viewer_own": ("viewer", "own"),
    "quality_manager_foreign": ("quality_manager", "foreign"),
    "anonymous": (None, None),
}
ON_TEAM = {"lead_on_team", "auditor_on_team"}
CLIENTS_OWN = {"quality_manager_own", "action_owner_own", "viewer_own"}


def expected(rule: str, persona: str) -> str | int:
    if rule == PUBLIC:
        return ALLOW
    if rule == MONITORING:
        return 403
    if persona == "anonymous":
        return LOGIN
    if persona == "admin" or rule == USER:
        return ALLOW
    role, member = PERSONAS[persona]
    if rule in {VIEW, PLAN, CONDUCT}:
        if persona not in ON_TEAM | CLIENTS_OWN:
            return 404  # the audit is not theirs to know about
        allowed = {VIEW: ON_TEAM | CLIENTS_OWN, PLAN: {"lead_on_team"}, CONDUCT: ON_TEAM}[rule]
        return ALLOW if persona in allowed else 403
    if rule == PLAN_NEW:
        return ALLOW if role == "lead_auditor" else 403
    if rule == ORG_MANAGE:
        return ALLOW if role == "lead_auditor" and member is None else 403
    if rule == ORG_VIEW:
        return 404 if member == "foreign" else ALLOW
    if rule in {USER_ADMIN, TEMPLATE_ADMIN}:
        return 403
    if rule in {CASE_VIEW, CASE_STEP}:
        # the case came from the audit: its team, the organisation's people, and the owner of its action see it
        if persona in ON_TEAM | CLIENTS_OWN:
            return ALLOW if rule == CASE_VIEW else SEEN
        return 404
    if rule == CASE_NEW:
        return ALLOW if role == "quality_manager" else 403
    if rule == REVIEW_NEW:
        # the role is checked before the body; the other organisation's quality manager may compile one of their own
        return ALLOW if role == "quality_manager" else 403
    if rule in {REVIEW_VIEW, REVIEW_MANAGE}:
        # the world's review is the own organisation's: its quality manager edits it, its viewer reads it
        if persona not in {"quality_manager_own", "viewer_own"}:
            return 404
        return ALLOW if persona == "quality_manager_own" or rule == REVIEW_VIEW else 403
    raise AssertionError(rule)


def registered_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            routes.update((method, context.path_format) for method in context.original_route.methods)
    return routes


def test_every_route_is_in_the_matrix():
    app = create_app(Settings())
    routes = registered_routes(app)
    assert sorted(routes - RULES.keys()) == [], "routes without an authorization rule in RULES"
    assert sorted(RULES.keys() - routes) == [], "rules for routes that no longer exist"


@dataclass
class World:
    ids: dict[str, object]
    users: dict[str, object]


@pytest.fixture
def world(session, library, make_user, make_organisation, admin, settings) -> World:
    own, foreign = make_organisation(name="Own A/S"), make_organisation(name="Foreign A/S")
    users = {"admin": admin}
    for persona, (role, member) in PERSONAS.items():
        if role is not None and persona != "admin":
            users[persona] = make_user(role, organisation={"own": own, "foreign": foreign, None: None}[member])
    audit = audits.create_audit(session=session, actor=admin, library=library, data=AuditIn(
        title="Matrix", audit_type="surveillance", organisation_id=own.id, start_date=date(2026, 1, 5), end_date=date(2026, 1, 6),
        checklists=["iso45003-clauses"], lead_auditor_id=users["lead_on_team"].id, team_ids=[users["auditor_on_team"].id]))
    item_id = next(library.get("iso45003-clauses").checklist.items()).id
    lead = users["lead_on_team"]
    entry = audits.add_plan_entry(session=session, actor=lead, audit=audit, data=PlanEntryIn(day=date(2026, 1, 5), start_time="10:00", activity="Interview"))
    proof = evidence.add_evidence(session=session, actor=lead, audit=audit, item_id=item_id, data=EvidenceIn(method="document", summary="APV"))
    finding = findings.create_finding(session=session, actor=lead, audit=audit, data=FindingIn(item_id=item_id, kind="ofi", statement="x"))
    case = cases.open_case(session=session, actor=admin, organisation_id=own.id, statement="Matrix case", grade="minor_nc", source="audit", audit_id=audit.id)
    cases.record_correction(session=session, actor=admin, case=case, correction="x")
    cases.record_root_cause(session=session, actor=admin, case=case, method="free_text", cause="y")
    action = cases.add_action(session=session, actor=admin, case=case, description="z", owner_id=users["action_owner_own"].id,
                              due_date=date(2026, 2, 1), prevention_level="primary")
    attachment = cases.add_attachment(session=session, actor=admin, case=case, filename="a.pdf", content=b"%PDF-1.4 x")
    review = reviews.create_review(session=session, actor=admin, organisation_id=own.id, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
                                   policy=settings.deadline_policy)
    template = report_templates.upload_template(session=session, actor=admin, filename="mine.docx", content=starter_template("checklist", "en"),
                                                scope=report_templates.TemplateScope(None, "checklist", "en", None))
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 10)).save(picture, "JPEG")
    photo = photos.add_photo(session=session, actor=lead, audit=audit, item_id=item_id, content=picture.getvalue())
    ids = {"photo_id": photo.id, "audit_id": audit.id, "entry_id": entry.id, "item_id": item_id, "evidence_id": proof.id, "finding_id": finding.id,
           "organisation_id": own.id, "checklist_id": "iso45003-clauses", "user_id": users["viewer_own"].id, "locale": "en",
           "case_id": case.id, "action_id": action.id, "attachment_id": attachment.id, "step": "comment", "review_id": review.id,
           "template_id": template.id, "kind": "checklist"}
    return World(ids, users)


CASES = [(method, path, persona) for (method, path) in RULES for persona in PERSONAS]


@pytest.mark.parametrize(("method", "path", "persona"), CASES, ids=[f"{m} {p} as {who}" for m, p, who in CASES])
def test_route_access(method, path, persona, world, login, anonymous, session, settings):
    from auditor.security import CSRF_COOKIE, CSRF_HEADER, _sign

    if persona == "anonymous":
        client = anonymous  # a browser that loaded a page: it has the CSRF cookie and token, but no login
        client.cookies.set(CSRF_COOKIE, CSRF_VALUE)
        client.headers[CSRF_HEADER] = _sign(settings.secret_key, CSRF_VALUE)
    else:
        user = world.users[persona]
        client = login(user)
        if "{token_id}" in path:
            world.ids["token_id"] = accounts.create_token(session=session, user=user)[0].id
    world.ids.setdefault("token_id", 0)
    url = path.format(**world.ids)
    kwargs = {"json": {}} if path.startswith("/api/") and method in {"POST", "PUT", "PATCH"} else ({"data": {}} if method == "POST" else {})
    response = client.request(method, url, follow_redirects=False, **kwargs)

    want = expected(RULES[(method, path)], persona)
    status = response.status_code
    assert status < 500, response.text
    if want == ALLOW:
        # a public route may answer 401 on its own terms (POST /login without credentials); none refuses
        refused = {403, 404} if RULES[(method, path)] == PUBLIC else {401, 403, 404}
        assert status not in refused, f"{status}: {response.text[:200]}"
        assert not response.headers.get("location", "").startswith("/login?"), "sent to log in"
    elif want == SEEN:
        assert status not in {401, 404}, f"{status}: {response.text[:200]}"
    elif want == LOGIN:
        if path.startswith("/api/"):
            assert status == 401
        else:
            assert status == 303 and response.headers["location"].startswith("/login?next=")
    else:
        assert status == want, f"{status}: {response.text[:200]}"
