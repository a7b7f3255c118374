"""The corrective-action chain, end to end through the API, with its refusals; deadlines, the board,
carry-over, the register exports, comments, attachments and history."""

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from auditor import vocabulary as v
from auditor.errors import Invalid
from auditor.models import Blob, Case, CaseAttachment, PlanEntry, utcnow
from auditor.services import cases


@pytest.fixture
def chain(session, make_audit, make_user, login, lead, first_item_id):
    """An audit with a minor nonconformity; the client's quality manager and two action owners."""
    audit = make_audit()
    from auditor.models import Organisation

    organisation = session.get(Organisation, audit.organisation_id)
    people = {
        "lead": login(lead),
        "quality_manager": login(make_user("quality_manager", organisation=organisation, name="Kvalitetschef")),
        "viewer": login(make_user("viewer", organisation=organisation)),
    }
    owner = make_user("action_owner", organisation=organisation, name="Driftschef")
    people["owner"] = login(owner)
    finding = (
        people["lead"]
        .post(
            f"/api/v1/audits/{audit.id}/findings",
            json={"item_id": first_item_id, "kind": "minor_nc", "statement": "Vikarer er ikke med i APV'en"},
        )
        .json()
    )
    return audit, finding, owner, people


def post(client, path, body=None):
    return client.post(f"/api/v1{path}", json=body or {})


def test_a_nonconformity_opens_a_case_and_other_findings_do_not(chain, session):
    audit, finding, owner, people = chain
    assert finding["case_id"] is not None
    case = people["quality_manager"].get(f"/api/v1/cases/{finding['case_id']}").json()
    assert (case["reference"], case["status"], case["grade"], case["audit_id"]) == (
        "NC-0001",
        "raised",
        "minor_nc",
        audit.id,
    )
    assert case["statement"] == "Vikarer er ikke med i APV'en" and case["clauses"]
    observation = (
        people["lead"]
        .post(f"/api/v1/audits/{audit.id}/findings", json={"kind": "observation", "statement": "x"})
        .json()
    )
    assert observation["case_id"] is None


def test_the_whole_chain_with_its_refusals(chain, session):
    audit, finding, owner, people = chain
    qm, lead, own = people["quality_manager"], people["lead"], people["owner"]
    case_id = finding["case_id"]
    path = f"/cases/{case_id}"

    # steps out of order are refused, nothing changes
    assert post(qm, f"{path}/submit").status_code == 409
    assert post(qm, f"{path}/root-cause", {"method": "five_whys", "cause": "x"}).status_code == 409
    # the auditor does not write the client's correction
    assert post(lead, f"{path}/correction", {"correction": "x"}).status_code == 403
    assert (
        post(qm, f"{path}/correction", {"correction": "Vikarer fra uge 48 spurgt og med i APV'en"}).json()["status"]
        == "corrected"
    )
    assert post(qm, f"{path}/root-cause", {"method": "tarot", "cause": "x"}).status_code == 422
    assert (
        post(
            qm, f"{path}/root-cause", {"method": "five_whys", "cause": "APV-proceduren nævner kun fastansatte"}
        ).json()["status"]
        == "cause_found"
    )
    assert post(qm, f"{path}/submit").status_code == 409  # no action yet
    due = (date.today() + timedelta(days=20)).isoformat()
    action = post(
        qm,
        f"{path}/actions",
        {
            "description": "Samtale med hver af de berørte vikarer",
            "owner_id": owner.id,
            "due_date": due,
            "prevention_level": "secondary",
            "scope": "individual",
        },
    )
    assert action.status_code == 201
    assert [(a["prevention_level"], a["scope"]) for a in action.json()["actions"]] == [("secondary", "individual")]
    unsaid = post(
        qm,
        f"{path}/actions",
        {
            "description": "Kursus",
            "owner_id": owner.id,
            "due_date": due,
            "prevention_level": "secondary",
        },
    )
    assert unsaid.status_code == 422 and "scope" in unsaid.text
    page = qm.get(f"/cases/{finding['case_id']}").text
    assert "Individual measure" in page and "Anticipate: organise, plan and carry out the work" in page
    assert post(qm, f"{path}/submit").json()["status"] == "plan_submitted"
    # only individual measures: the auditor sees the hint, returns the plan with a reason, and marks it
    assert qm.get(f"/api/v1{path}").json()["only_individual_measures_planned"] is True
    assert post(qm, f"{path}/review", {"accept": True}).status_code == 403  # the client does not accept its own plan
    assert post(lead, f"{path}/review", {"accept": False}).status_code == 422  # a reason is required
    returned = post(
        lead,
        f"{path}/review",
        {
            "accept": False,
            "reason": "Kun individuelle tiltag; årsagen er organisatorisk",
            "individual_measures_only": True,
        },
    ).json()
    assert (returned["status"], returned["individual_measures_only"]) == ("cause_found", True)
    # resubmitted with a collective measure, accepted
    post(
        qm,
        f"{path}/actions",
        {
            "description": "Bemanding i højsæson aftales før sæsonstart",
            "owner_id": owner.id,
            "due_date": due,
            "prevention_level": "primary",
            "scope": "collective",
        },
    )
    assert post(qm, f"{path}/submit").json()["plan_return_reason"] == ""
    assert post(lead, f"{path}/review", {"accept": True}).json()["status"] == "plan_accepted"
    actions = qm.get(f"/api/v1{path}").json()["actions"]
    # the close gate: actions open
    assert post(qm, f"{path}/close").status_code == 409
    assert (
        post(own, f"{path}/actions/{actions[0]['id']}/implement", {"note": "Ny procedure v3 godkendt i AMO"}).json()[
            "status"
        ]
        == "plan_accepted"
    )
    assert post(own, f"{path}/actions/{actions[0]['id']}/implement", {"note": "igen"}).status_code == 409
    assert (
        post(own, f"{path}/actions/{actions[1]['id']}/implement", {"note": "Aftale med bureau underskrevet"}).json()[
            "status"
        ]
        == "implemented"
    )
    # the owner cannot verify their own action; a viewer cannot either
    assert (
        post(
            own, f"{path}/verify", {"method": "x", "verified_on": date.today().isoformat(), "result": "effective"}
        ).status_code
        == 403
    )
    assert (
        post(
            people["viewer"],
            f"{path}/verify",
            {"method": "x", "verified_on": date.today().isoformat(), "result": "effective"},
        ).status_code
        == 403
    )
    # not effective: back to root cause, the history kept
    ineffective = post(
        lead,
        f"{path}/verify",
        {"method": "Interview med vikarer", "verified_on": date.today().isoformat(), "result": "ineffective"},
    ).json()
    assert (ineffective["status"], ineffective["verification_result"]) == ("cause_found", "ineffective")
    assert post(qm, f"{path}/close").status_code == 409  # effectiveness not verified
    post(
        qm,
        f"{path}/actions",
        {
            "description": "Introduktion for vikarer på første dag",
            "owner_id": owner.id,
            "due_date": due,
            "prevention_level": "primary",
            "scope": "collective",
        },
    )
    post(qm, f"{path}/submit")
    post(lead, f"{path}/review", {"accept": True})
    third = next(a for a in qm.get(f"/api/v1{path}").json()["actions"] if a["status"] == "open")
    post(own, f"{path}/actions/{third['id']}/implement", {"note": "Introduktionsprogram i brug fra uge 2"})
    assert (
        post(
            lead,
            f"{path}/verify",
            {
                "method": "Stikprøve af tre vikarer",
                "verified_on": (date.today() + timedelta(days=1)).isoformat(),
                "result": "effective",
            },
        ).status_code
        == 422
    )
    assert (
        post(
            lead,
            f"{path}/verify",
            {"method": "Stikprøve af tre vikarer", "verified_on": date.today().isoformat(), "result": "effective"},
        ).json()["status"]
        == "verified"
    )
    closed = post(qm, f"{path}/close").json()
    assert closed["status"] == "closed" and closed["closed_at"]
    # every step is in the history, with who did it
    history = qm.get(f"/api/v1{path}/history").json()
    steps = [e["action"] for e in history if e["entity"] == "case"]
    assert steps == [
        "create",
        "correction",
        "root_cause",
        "submit_plan",
        "return_plan",
        "submit_plan",
        "accept_plan",
        "implemented",
        "verify",
        "submit_plan",
        "accept_plan",
        "implemented",
        "verify",
        "close",
    ]
    assert sum(e["entity"] == "case_action" and e["action"] == "implement" for e in history) == 3
    assert {e["actor"] for e in history if e["action"] == "verify"} == {"lead@test.example"}


def test_the_individual_measures_hint_reads_the_scope_not_the_prevention_level(
    session, make_organisation, make_user, admin
):
    organisation = make_organisation()
    owner = make_user("action_owner", organisation=organisation)

    def plan(*actions):
        case = cases.open_case(
            session=session,
            actor=admin,
            organisation_id=organisation.id,
            source="worker_report",
            grade="observation",
            statement="Travlhed i kundeservice",
        )
        cases.record_correction(session=session, actor=admin, case=case, correction="Ekstra bemanding i denne uge")
        cases.record_root_cause(
            session=session, actor=admin, case=case, method="free_text", cause="Bemandingen følger ikke sæsonen"
        )
        for level, scope in actions:
            cases.add_action(
                session=session,
                actor=admin,
                case=case,
                description=f"{level} {scope}",
                owner_id=owner.id,
                due_date=date.today() + timedelta(days=30),
                prevention_level=level,
                scope=scope,
            )
        return cases.only_individual_measures(session=session, case=case)

    assert plan(("secondary", "collective")) is False  # training for every manager: secondary, and collective
    assert plan(("tertiary", "collective"), ("secondary", "collective")) is False
    assert plan(("primary", "individual")) is True  # a primary measure can reach one person only
    assert plan(("secondary", "individual"), ("tertiary", "individual")) is True
    with pytest.raises(Invalid):
        plan(("primary", "everyone"))


def test_deadlines_follow_the_policy_and_overdue_is_computed(session, chain, settings):
    audit, finding, owner, people = chain
    case = session.get(Case, finding["case_id"])
    policy = settings.deadline_policy
    case.grade = "major_nc"
    case.opened_at = utcnow() - timedelta(days=40)
    row = cases.case_row(session=session, case=case, policy=policy)
    assert row.due == case.opened_at.date() + timedelta(days=30) and row.overdue
    case.opened_at = utcnow() - timedelta(days=5)
    assert not cases.case_row(session=session, case=case, policy=policy).overdue
    # a minor nonconformity is verified at the next audit of the organisation
    case.grade, case.status = "minor_nc", "plan_accepted"
    assert cases.case_row(session=session, case=case, policy=policy).due is None
    next_audit = audit.start_date + timedelta(days=200)
    from auditor.models import Audit

    session.add(
        Audit(
            title="Next",
            audit_type="surveillance",
            organisation_id=audit.organisation_id,
            start_date=next_audit,
            end_date=next_audit,
        )
    )
    session.flush()
    assert cases.case_row(session=session, case=case, policy=policy).due == next_audit
    # observations have no deadline
    case.grade = "observation"
    assert cases.case_row(session=session, case=case, policy={**policy, "observation": {}}).due is None


def test_the_board_filters_and_counts(chain, make_audit, session, first_item_id):
    audit, finding, owner, people = chain
    qm = people["quality_manager"]
    people["lead"].post(
        f"/api/v1/audits/{audit.id}/findings",
        json={
            "kind": "major_nc",
            "statement": "Ingen risikovurdering",
            "clauses": ["45003:6.1.2"],
            "tags": {"bek1406": ["workload"]},
        },
    )
    assert len(qm.get("/api/v1/cases").json()) == 2
    assert [c["grade"] for c in qm.get("/api/v1/cases", params={"grade": "major_nc"}).json()] == ["major_nc"]
    assert [c["statement"] for c in qm.get("/api/v1/cases", params={"clause": "6.1"}).json()] == [
        "Ingen risikovurdering"
    ]
    assert [c["statement"] for c in qm.get("/api/v1/cases", params={"bek": "workload"}).json()] == [
        "Ingen risikovurdering"
    ]
    assert len(qm.get("/api/v1/cases", params={"audit_id": audit.id, "status": "raised"}).json()) == 2
    assert qm.get("/api/v1/cases", params={"overdue": "true"}).json() == []
    page = qm.get("/cases").text
    assert "NC-0001" in page and "NC-0002" in page


def test_another_organisations_quality_manager_sees_nothing(chain, make_user, make_organisation, login):
    audit, finding, owner, people = chain
    stranger = login(make_user("quality_manager", organisation=make_organisation(name="Andet A/S")))
    assert stranger.get("/api/v1/cases").json() == []
    assert stranger.get(f"/api/v1/cases/{finding['case_id']}").status_code == 404
    assert stranger.post(f"/api/v1/cases/{finding['case_id']}/correction", json={"correction": "x"}).status_code == 404


def test_an_action_owner_sees_only_the_cases_of_their_actions(chain, session, settings):
    audit, finding, owner, people = chain
    assert people["owner"].get("/api/v1/cases").json() == []
    qm = people["quality_manager"]
    post(qm, f"/cases/{finding['case_id']}/correction", {"correction": "x"})
    post(qm, f"/cases/{finding['case_id']}/root-cause", {"method": "free_text", "cause": "y"})
    post(
        qm,
        f"/cases/{finding['case_id']}/actions",
        {
            "description": "z",
            "owner_id": owner.id,
            "due_date": date.today().isoformat(),
            "prevention_level": "primary",
            "scope": "collective",
        },
    )
    assert [c["id"] for c in people["owner"].get("/api/v1/cases").json()] == [finding["case_id"]]
    assert "z" in people["owner"].get("/cases/mine").text


def test_open_a_case_by_hand(chain, session):
    audit, finding, owner, people = chain
    qm = people["quality_manager"]
    response = qm.post(
        "/api/v1/cases",
        json={
            "organisation_id": audit.organisation_id,
            "source": "worker_report",
            "grade": "nc",
            "statement": "Anonym henvendelse om mobning på nattehold",
        },
    )
    assert (
        response.status_code == 201
        and response.json()["reference"] == "WR-0002"
        and response.json()["audit_id"] is None
    )
    assert (
        people["lead"]
        .post("/api/v1/cases", json={"organisation_id": audit.organisation_id, "grade": "nc", "statement": "x"})
        .status_code
        == 403
    )
    assert (
        qm.post(
            "/api/v1/cases", json={"organisation_id": audit.organisation_id, "grade": "conform", "statement": "x"}
        ).status_code
        == 422
    )


def test_deleting_a_finding_takes_an_unstarted_case_and_refuses_a_started_one(chain, session):
    audit, finding, owner, people = chain
    lead, qm = people["lead"], people["quality_manager"]
    second = lead.post(f"/api/v1/audits/{audit.id}/findings", json={"kind": "minor_nc", "statement": "Fejl"}).json()
    assert lead.delete(f"/api/v1/audits/{audit.id}/findings/{second['id']}").status_code == 204
    assert session.get(Case, second["case_id"]) is None
    post(qm, f"/cases/{finding['case_id']}/correction", {"correction": "x"})
    refused = lead.delete(f"/api/v1/audits/{audit.id}/findings/{finding['id']}")
    assert refused.status_code == 409 and "NC-0001" in refused.json()["detail"]


def _next_audit_and_its_follow_ups(session, make_audit, audit):
    """Next year's audit of the same organisation, and the case follow-ups planning it put into its plan."""
    from auditor.models import Organisation

    following = make_audit(
        organisation=session.get(Organisation, audit.organisation_id),
        title="Overvågningsaudit 2027",
        start_date=date(2027, 12, 1),
        end_date=date(2027, 12, 1),
    )
    entries = session.exec(
        select(PlanEntry).where(PlanEntry.audit_id == following.id, PlanEntry.kind == "case_follow_up")
    ).all()
    return following, entries


def test_the_next_audit_carries_open_cases_into_its_plan(chain, make_audit, session):
    audit, finding, owner, people = chain
    following, entries = _next_audit_and_its_follow_ups(session, make_audit, audit)
    assert [e.activity for e in entries] == ["NC-0001: Vikarer er ikke med i APV'en"]
    assert session.get(Case, finding["case_id"]).verify_in_audit_id == following.id


def test_the_register_exports(chain):
    audit, finding, owner, people = chain
    qm = people["quality_manager"]
    rows = list(csv.reader(io.StringIO(qm.get("/api/v1/cases.csv", params={"lang": "en"}).text)))
    assert (
        rows[0][:3] == ["Case", "Organisation", "Source"]
        and rows[1][0] == "NC-0001"
        and rows[1][6] == "Vikarer er ikke med i APV'en"
    )
    danish = list(csv.reader(io.StringIO(qm.get("/api/v1/cases.csv", params={"lang": "da"}).text)))
    assert danish[0][0] != "Case"
    workbook = load_workbook(io.BytesIO(qm.get("/api/v1/cases.xlsx").content))
    sheet = workbook.active
    assert sheet["A2"].value == "NC-0001" and sheet.freeze_panes == "A2"


def test_comments_and_attachments(chain, session, tmp_path):
    audit, finding, owner, people = chain
    qm = people["quality_manager"]
    path = f"/api/v1/cases/{finding['case_id']}"
    assert qm.post(f"{path}/comments", json={"text": "Drøftet på AMO-mødet"}).status_code == 201
    assert [c["text"] for c in qm.get(f"{path}/comments").json()] == ["Drøftet på AMO-mødet"]
    pdf = b"%PDF-1.4\n% test\n"
    uploaded = qm.post(f"{path}/attachments", files={"file": ("procedure v3.pdf", pdf, "application/pdf")})
    assert uploaded.status_code == 201
    download = qm.get(f"{path}/attachments/{uploaded.json()['id']}")
    assert download.content == pdf and download.headers["content-type"] == "application/pdf"
    fake = qm.post(
        f"{path}/attachments", files={"file": ("not-really.pdf", b"<script>alert(1)</script>", "application/pdf")}
    )
    assert fake.status_code == 422 and "really" in fake.json()["detail"]
    assert (
        qm.post(f"{path}/attachments", files={"file": ("x.exe", b"MZ...", "application/octet-stream")}).status_code
        == 422
    )
    assert (
        people["viewer"].post(f"{path}/attachments", files={"file": ("a.pdf", pdf, "application/pdf")}).status_code
        == 403
    )


def test_deleting_a_finding_takes_its_raised_cases_attachments_and_their_files(chain, session):
    audit, finding, owner, people = chain
    pdf = b"%PDF-1.4\n% APV for vikarer\n"
    assert (
        people["quality_manager"]
        .post(f"/api/v1/cases/{finding['case_id']}/attachments", files={"file": ("apv.pdf", pdf, "application/pdf")})
        .status_code
        == 201
    )
    assert session.exec(select(Blob.content)).all() == [pdf]
    assert people["lead"].delete(f"/api/v1/audits/{audit.id}/findings/{finding['id']}").status_code == 204
    assert session.exec(select(CaseAttachment)).all() == [] and session.exec(select(Blob)).all() == []


def test_tracking_an_observation_as_a_case(chain, session):
    audit, finding, owner, people = chain
    observation = (
        people["lead"]
        .post(
            f"/api/v1/audits/{audit.id}/findings",
            json={"kind": "observation", "statement": "Trivselsmålingen er tre år gammel"},
        )
        .json()
    )
    response = people["lead"].post(f"/api/v1/audits/{audit.id}/findings/{observation['id']}/track")
    assert response.status_code == 201 and response.json()["grade"] == "observation"
    assert (
        people["lead"].post(f"/api/v1/audits/{audit.id}/findings/{observation['id']}/track").json()["id"]
        == response.json()["id"]
    )
    page = people["lead"].get(f"/audits/{audit.id}/findings").text
    assert f'href="/cases/{response.json()["id"]}"' in page and "Follow up as a case" not in page
    other = (
        people["lead"]
        .post(f"/api/v1/audits/{audit.id}/findings", json={"kind": "ofi", "statement": "Overvej fælles møder"})
        .json()
    )
    assert "Follow up as a case" in people["lead"].get(f"/audits/{audit.id}/findings").text
    via_page = people["lead"].post(f"/audits/{audit.id}/findings/{other['id']}/track", follow_redirects=False)
    assert via_page.status_code == 303 and via_page.headers["location"].startswith("/cases/")


def test_the_case_page_takes_steps_and_keeps_the_text_when_one_is_refused(chain, session):
    audit, finding, owner, people = chain
    qm, lead = people["quality_manager"], people["lead"]
    page = qm.get(f"/cases/{finding['case_id']}").text
    assert f'action="/cases/{finding["case_id"]}/step/correction"' in page
    assert "step/review" not in page  # not a step for the client
    assert "step/correction" not in lead.get(f"/cases/{finding['case_id']}").text
    done = qm.post(
        f"/cases/{finding['case_id']}/step/correction", data={"correction": "Vikarer spurgt"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"].endswith("#correction")
    refused = qm.post(f"/cases/{finding['case_id']}/step/submit", data={})
    assert refused.status_code == 409 and "not possible while the case is corrected" in refused.text
    typed = qm.post(f"/cases/{finding['case_id']}/step/root_cause", data={"method": "five_whys", "cause": ""})
    assert typed.status_code == 422 and "Record the root cause." in typed.text
    assert session.get(Case, finding["case_id"]).status == "corrected"
    qm.post(
        f"/cases/{finding['case_id']}/step/root_cause",
        data={"method": "five_whys", "cause": "Proceduren nævner kun fastansatte"},
    )
    kept = qm.post(
        f"/cases/{finding['case_id']}/step/add_action",
        data={
            "description": "Min plan",
            "owner_id": str(owner.id),
            "due_date": "not a date",
            "prevention_level": "primary",
            "scope": "collective",
        },
    )
    assert kept.status_code == 422 and 'value="Min plan"' in kept.text and "Enter a valid date." in kept.text
    opened = qm.post(
        "/cases",
        data={"source": "incident", "grade": "nc", "statement": "Trussel mod chauffør ved levering"},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    assert "Trussel mod chauffør" in qm.get(opened.headers["location"]).text


def test_whoever_owns_an_action_does_not_verify_its_effectiveness(chain, make_user, login, session):
    """Separation of duties: on a case raised outside an audit the quality manager both manages and reviews; owning
    one of its actions, they cannot verify the effect, and another quality manager of the organisation can."""
    audit, _, _, people = chain
    from auditor.models import Organisation, User

    organisation = session.get(Organisation, audit.organisation_id)
    qm = people["quality_manager"]
    own_id = session.exec(select(User.id).where(User.name == "Kvalitetschef")).one()
    other = login(make_user("quality_manager", organisation=organisation, name="Arbejdsmiljøleder"))
    case = qm.post(
        "/api/v1/cases",
        json={"organisation_id": organisation.id, "source": "incident", "grade": "nc", "statement": "Trussel"},
    ).json()
    path = f"/cases/{case['id']}"
    post(qm, f"{path}/correction", {"correction": "Chaufføren fik følgeskab resten af ugen"})
    post(qm, f"{path}/root-cause", {"method": "five_whys", "cause": "Ingen aftale om levering til kunden alene"})
    action = post(
        qm,
        f"{path}/actions",
        {
            "description": "Aftale om levering to og to",
            "owner_id": own_id,
            "due_date": (date.today() + timedelta(days=20)).isoformat(),
            "prevention_level": "primary",
            "scope": "collective",
        },
    ).json()["actions"][0]
    post(qm, f"{path}/submit")
    assert post(qm, f"{path}/review", {"accept": True}).json()["status"] == "plan_accepted"
    assert post(qm, f"{path}/actions/{action['id']}/implement", {"note": "Aftalen gælder"}).json()["status"] == (
        "implemented"
    )
    verification = {
        "method": "Interview med chauffører",
        "verified_on": date.today().isoformat(),
        "result": "effective",
    }
    assert post(qm, f"{path}/verify", verification).status_code == 403
    assert post(other, f"{path}/verify", verification).json()["status"] == "verified"


@pytest.fixture
def board_cases(session, make_organisation, admin):
    """Cases of every kind of deadline, on a fixed day (2027-06-01): {label: case}."""
    from datetime import UTC, datetime

    from auditor.models import Audit, CaseAction

    first, second = make_organisation(name="Første A/S"), make_organisation(name="Anden A/S", cvr="87654321")
    own = Audit(
        title="Kilde",
        audit_type="surveillance",
        organisation_id=first.id,
        start_date=date(2027, 2, 10),
        end_date=date(2027, 2, 10),
    )
    later = Audit(
        title="Næste",
        audit_type="surveillance",
        organisation_id=first.id,
        start_date=date(2027, 7, 1),
        end_date=date(2027, 7, 1),
    )
    session.add_all([own, later])
    session.flush()
    made = {}
    for label, organisation, grade, status, opened, audit in [
        (
            "major raised",
            first,
            "major_nc",
            "raised",
            datetime(2027, 4, 1, 8, tzinfo=UTC),
            None,
        ),  # correction due 05-01: late
        (
            "major corrected",
            first,
            "major_nc",
            "corrected",
            datetime(2027, 5, 20, 23, 30, tzinfo=UTC),
            None,
        ),  # plan due 06-19
        (
            "major accepted",
            first,
            "major_nc",
            "plan_accepted",
            datetime(2027, 1, 1, 12, tzinfo=UTC),
            None,
        ),  # verification due 04-01: late
        (
            "minor submitted",
            first,
            "minor_nc",
            "plan_submitted",
            datetime(2027, 2, 1, tzinfo=UTC),
            own,
        ),  # the next audit, not its own: 07-01
        (
            "minor implemented",
            first,
            "minor_nc",
            "implemented",
            datetime(2027, 3, 1, tzinfo=UTC),
            None,
        ),  # the next audit: 07-01
        (
            "observation late action",
            first,
            "observation",
            "cause_found",
            datetime(2027, 1, 1, tzinfo=UTC),
            None,
        ),  # no deadline, a late action
        ("major closed", first, "major_nc", "closed", datetime(2026, 1, 1, tzinfo=UTC), None),  # closed: nothing due
        (
            "minor cause found",
            first,
            "minor_nc",
            "cause_found",
            datetime(2027, 5, 15, tzinfo=UTC),
            None,
        ),  # plan due 06-14
        (
            "minor no next audit",
            second,
            "minor_nc",
            "plan_accepted",
            datetime(2027, 1, 1, tzinfo=UTC),
            None,
        ),  # no audit to verify at
    ]:
        case = cases.open_case(
            session=session,
            actor=None,
            organisation_id=organisation.id,
            statement=label,
            grade=grade,
            audit_id=audit.id if audit else None,
            clauses=["45003:6.1.2"] if grade == "major_nc" else ["45003:7.2"],
            tags={"bek1406": ["workload"] if grade == "minor_nc" else []},
        )
        case.status, case.opened_at = v.CaseStatus(status), opened
        made[label] = case
    session.add(
        CaseAction(
            case_id=made["observation late action"].id,
            description="x",
            owner_id=admin.id,
            due_date=date(2027, 5, 1),
            prevention_level="primary",
            scope="collective",
        )
    )
    session.add(
        CaseAction(
            case_id=made["major closed"].id,
            description="x",
            owner_id=admin.id,
            due_date=date(2026, 2, 1),
            prevention_level="primary",
            scope="collective",
        )
    )
    session.flush()
    return made


SOONEST_FIRST = [
    ("major accepted", date(2027, 4, 1), True),
    ("major raised", date(2027, 5, 1), True),
    ("minor cause found", date(2027, 6, 14), False),
    ("major corrected", date(2027, 6, 19), False),
    ("minor submitted", date(2027, 7, 1), False),
    ("minor implemented", date(2027, 7, 1), False),
    ("observation late action", None, True),
    ("major closed", None, False),
    ("minor no next audit", None, False),
]


def test_the_board_orders_by_due_date_and_computes_overdue(board_cases, session, admin, settings):
    """What the board computed in Python before it moved into SQL: soonest due first, then no due date, by organisation and number."""

    def board(**filters):
        found = cases.board(
            session=session,
            actor=admin,
            policy=settings.deadline_policy,
            filters=cases.BoardFilters(**filters),
            today=date(2027, 6, 1),
        )
        return found, [(row.case.statement, row.due, row.overdue) for row in found.rows]

    found, rows = board()
    assert rows == SOONEST_FIRST
    assert (found.counts["total"], found.counts["open"], found.counts["overdue"], found.counts["plan_accepted"]) == (
        9,
        8,
        3,
        2,
    )
    assert board(overdue=True)[1] == [row for row in SOONEST_FIRST if row[2]]
    assert board(overdue=False)[1] == [row for row in SOONEST_FIRST if not row[2]]
    assert board(overdue=True, grade="major_nc")[1] == SOONEST_FIRST[:2]
    assert [row[0] for row in board(clause="6.1")[1]] == [
        "major accepted",
        "major raised",
        "major corrected",
        "major closed",
    ]
    assert [row[0] for row in board(clause="45001:6.1")[1]] == []
    assert [row[0] for row in board(bek="workload", include_closed=False)[1]] == [
        "minor cause found",
        "minor submitted",
        "minor implemented",
        "minor no next audit",
    ]
    for label, due, overdue in SOONEST_FIRST:  # one case alone gets the same answer
        row = cases.case_row(
            session=session, case=board_cases[label], policy=settings.deadline_policy, today=date(2027, 6, 1)
        )
        assert (row.due, row.overdue) == (due, overdue), label


def test_every_page_of_the_board_is_a_slice_of_the_whole_board(board_cases, session, admin, settings):
    """A page is first sought among the cases that can have a due date (a shortcut past the closed cases); pages
    that reach the undated cases, or straddle them, are still the same slice of the whole board."""
    from auditor.paging import PageRequest

    def page(limit, offset):
        found = cases.board(
            session=session,
            actor=admin,
            policy=settings.deadline_policy,
            today=date(2027, 6, 1),
            page=PageRequest(limit=limit, offset=offset),
        )
        return [(row.case.statement, row.due, row.overdue) for row in found.rows]

    for limit in range(1, 11):
        for offset in range(0, 11):
            assert page(limit, offset) == SOONEST_FIRST[offset : offset + limit], (limit, offset)


def test_the_board_pages(board_cases, client):
    everything = [c["id"] for c in client.get("/api/v1/cases", params={"limit": 200}).json()]
    assert len(everything) == 9
    pages = [client.get("/api/v1/cases", params={"limit": 4, "offset": offset}) for offset in (0, 4, 8)]
    assert [c["id"] for page in pages for c in page.json()] == everything
    assert [page.headers["X-Total-Count"] for page in pages] == ["9", "9", "9"]
    assert 'offset=4>; rel="next"' in pages[0].headers["Link"] and 'rel="next"' not in pages[2].headers["Link"]
    majors = client.get("/api/v1/cases", params={"grade": "major_nc", "limit": 2})
    assert len(majors.json()) == 2 and majors.headers["X-Total-Count"] == "4"
    assert 'grade=major_nc&limit=2&offset=2>; rel="next"' in majors.headers["Link"]
    assert client.get("/api/v1/cases", params={"limit": 201}).status_code == 422
    page = client.get("/cases", params={"grade": "major_nc", "limit": 2}).text
    assert page.count('<tr class="') == 2 and "1–2 of 4" in page
    assert 'href="http://testserver/cases?grade=major_nc&amp;limit=2&amp;offset=2"' in page
    last = client.get("/cases", params={"grade": "major_nc", "limit": 2, "offset": 2}).text
    assert last.count('<tr class="') == 2 and "3–4 of 4" in last and 'rel="next"' not in last


def test_the_board_names_only_owners_of_cases_you_may_see(chain, make_user, login):
    """The owner filter lists the people who own an action of a visible case: another organisation's people stay
    unknown to an auditor who is not on its audits."""
    audit, finding, owner, people = chain
    path = f"/cases/{finding['case_id']}"
    post(people["quality_manager"], f"{path}/correction", {"correction": "Spurgt"})
    post(people["quality_manager"], f"{path}/root-cause", {"method": "free_text", "cause": "Procedure"})
    post(
        people["quality_manager"],
        f"{path}/actions",
        {
            "description": "Ny procedure",
            "owner_id": owner.id,
            "due_date": (date.today() + timedelta(days=9)).isoformat(),
            "prevention_level": "primary",
            "scope": "collective",
        },
    )
    assert "Driftschef" in people["lead"].get("/cases").text
    outsider = login(make_user("auditor", name="Udenforstående"))
    assert "Driftschef" not in outsider.get("/cases").text


def test_the_case_page_offers_each_owner_only_their_own_actions(chain, make_user, login, session):
    """An action is implemented by its owner (or a manager): the page offers an owner the form for their own open
    actions only, a manager for every open one."""
    from auditor.models import Organisation

    audit, finding, owner, people = chain
    other = make_user("action_owner", organisation=session.get(Organisation, audit.organisation_id), name="Lagerchef")
    qm, path = people["quality_manager"], f"/cases/{finding['case_id']}"
    post(qm, f"{path}/correction", {"correction": "Spurgt"})
    post(qm, f"{path}/root-cause", {"method": "free_text", "cause": "Procedure"})
    due = (date.today() + timedelta(days=9)).isoformat()
    for who in (owner, other):
        post(
            qm,
            f"{path}/actions",
            {
                "description": f"Handling for {who.name}",
                "owner_id": who.id,
                "due_date": due,
                "prevention_level": "primary",
                "scope": "collective",
            },
        )
    post(qm, f"{path}/submit")
    assert post(people["lead"], f"{path}/review", {"accept": True}).json()["status"] == "plan_accepted"
    forms = lambda client: client.get(path).text.count('action="/cases/' + str(finding["case_id"]) + '/step/implement"')  # noqa: E731
    assert (forms(people["owner"]), forms(login(other)), forms(qm), forms(people["viewer"])) == (1, 1, 2, 0)


def test_a_carried_over_case_reads_in_the_reader_s_language(chain, make_audit, session, login, lead):
    """The plan row stores which step the audit takes (a key), and every view shows it in its reader's language."""
    audit, finding, owner, people = chain
    from docx import Document

    following, (entry,) = _next_audit_and_its_follow_ups(session, make_audit, audit)
    assert entry.auditee_role == "follow_up"
    danish, english = login(lead, language="da"), login(lead, language="en")
    assert (
        "Følg op" in danish.get(f"/audits/{following.id}").text
        and "Follow up" not in danish.get(f"/audits/{following.id}").text
    )
    assert "Follow up" in english.get(f"/audits/{following.id}").text
    report = danish.get(f"/api/v1/audits/{following.id}/report.docx", params={"lang": "da"})
    cells = [
        cell.text for table in Document(io.BytesIO(report.content)).tables for row in table.rows for cell in row.cells
    ]
    assert "Følg op" in cells and "Follow up" not in cells
