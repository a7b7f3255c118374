"""The audit programme: the certification cycle's dates from the certification decision, a decision only by someone
who was not on the audit team, what a cycle leaves uncovered, and planning an audit from the programme."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from auditor import vocabulary as v
from auditor.errors import Conflict, Forbidden, Invalid
from auditor.models import Organisation
from auditor.schemas import DecisionIn, EvidenceIn, ProgrammeIn, ResponseIn
from auditor.services import audits, evidence, organisations, programmes, responses
from auditor.vocabulary import DecisionOutcome
from tests.conftest import item_ids


def reported(session, audit, actor):
    """The audit moved to reporting, where it waits for its decision."""
    for status in ("in_progress", "reporting"):
        audits.change_status(session=session, actor=actor, audit=audit, status=status)
    return audit


def grant(session, audit, actor, decided_on: date, **extra):
    data = DecisionIn(
        outcome="grant",
        decided_on=decided_on,
        reasons="No open major nonconformity; the minor one has an accepted plan.",
        review="The report, the team's competence and the scope checked.",
        certificate_number="DK-45001-7",
        **extra,
    )
    return programmes.decide(session=session, actor=actor, audit=audit, data=data, today=decided_on)


def internal_programme(session, admin, library, organisation, checklist: str, cycle_start: date) -> None:
    """An internal audit programme of one checklist: a 12-month cycle of two audits."""
    programmes.set_programme(
        session=session,
        actor=admin,
        organisation=organisation,
        data=ProgrammeIn(
            kind="internal", checklists=[checklist], cycle_start=cycle_start, cycle_months=12, audits_per_cycle=2
        ),
        library=library,
    )


def covering(session, audit, actor, library, *checklists: str) -> Organisation:
    """The audit's organisation with a certification programme that covers `checklists`."""
    organisation = session.get(Organisation, audit.organisation_id)
    programmes.set_programme(
        session=session,
        actor=actor,
        organisation=organisation,
        data=ProgrammeIn(kind="certification", checklists=list(checklists)),
        library=library,
    )
    return organisation


@pytest.fixture
def stage2(session, make_audit, make_organisation, admin):
    organisation = make_organisation(sites=("Aarhus lager", "Vejle kundeservice"))
    audit = make_audit(
        organisation=organisation,
        audit_type="stage2",
        title="Stage 2",
        start_date=date(2026, 2, 2),
        end_date=date(2026, 2, 3),
        site_ids=[s.id for s in organisations.sites_of(session=session, organisation_id=organisation.id).items],
        scope="Lager og kundeservice",
    )
    return reported(session, audit, admin)


def test_the_cycle_and_the_certificate_follow_from_the_decision(session, stage2, admin, library):
    grant(session, stage2, admin, date(2026, 3, 10))
    organisation = session.get(Organisation, stage2.organisation_id)
    found = programmes.programme(session=session, organisation=organisation, library=library, today=date(2026, 4, 1))

    assert (found.cycle_start, found.cycle_end) == (date(2026, 3, 10), date(2029, 3, 9))
    windows = [(e.window.slot, e.window.opens, e.window.closes) for e in found.audits]
    assert windows == [
        ("surveillance_1", date(2026, 12, 9), date(2027, 3, 9)),  # within 12 months of the decision
        ("surveillance_2", date(2027, 12, 9), date(2028, 3, 9)),
        ("recertification", date(2028, 11, 9), date(2029, 2, 9)),  # a month before expiry for the decision
    ]
    certificate = found.certificate
    assert certificate is not None
    assert (certificate.number, certificate.status, certificate.expiry) == ("DK-45001-7", "valid", date(2029, 3, 9))
    assert certificate.scope == "Lager og kundeservice" and len(certificate.site_ids) == 2
    # the number and expiry are the audit's own certificate facts, which its report prints
    assert (stage2.certificate_number, stage2.certificate_expiry) == ("DK-45001-7", date(2029, 3, 9))


def test_a_decision_on_29_february(session, stage2, admin):
    stage2.end_date = stage2.start_date = date(2028, 2, 28)
    decision = grant(session, stage2, admin, date(2028, 2, 29))

    assert stage2.certificate_expiry == date(2031, 2, 28)
    first, second, recertification = programmes.certification_windows(decision.decided_on, stage2.certificate_expiry)
    assert first.closes == date(2029, 2, 28)  # 2029 has no 29 February: 12 months end on the 28th
    assert first.closes - decision.decided_on <= timedelta(days=365)
    assert second.closes == date(2030, 2, 28)
    assert recertification.closes < stage2.certificate_expiry


def test_a_member_of_the_audit_team_may_not_decide(session, stage2, admin, lead, login):
    with pytest.raises(Forbidden, match="on this audit's team"):
        grant(session, stage2, lead, date(2026, 3, 10))
    response = login(lead).post(
        f"/api/v1/audits/{stage2.id}/certification-decision",
        json={"outcome": "grant", "decided_on": "2026-03-10", "reasons": "x", "review": "y", "certificate_number": "1"},
    )
    assert response.status_code == 403
    assert "on this audit's team" in response.json()["detail"]
    assert programmes.decision_of(session=session, audit=stage2) is None


def test_the_programme_shows_what_the_cycle_leaves_uncovered(session, stage2, admin, library, make_audit, login):
    organisation = covering(session, stage2, admin, library, "iso45003-clauses", "at-external-audit")
    grant(session, stage2, admin, date(2026, 3, 10))
    warehouse, vejle = organisations.sites_of(session=session, organisation_id=organisation.id).items
    held = make_audit(
        organisation=organisation,
        start_date=date(2027, 1, 11),
        end_date=date(2027, 1, 11),
        site_ids=[warehouse.id],
    )
    answered = item_ids(library)[:3]
    for item_id in answered:
        responses.save_response(
            session=session, actor=admin, audit=held, item_id=item_id, data=ResponseIn(verdict="conform", version=0)
        )

    # The actors interviewed: by role; a confidential interview stays out of the programme, which the client sees.
    for role, confidential in (("employees", False), ("cooperation_bodies", True)):
        evidence.add_evidence(
            session=session,
            actor=admin,
            audit=held,
            item_id=answered[0],
            data=EvidenceIn(
                method="interview_group", summary="Samtale", interviewee_role=role, confidential=confidential
            ),
        )
    found = programmes.programme(session=session, organisation=organisation, library=library, today=date(2027, 2, 1))

    def actors_of(*checklist_ids):
        return {actor for c in checklist_ids for item in library.get(c).checklist.items() for actor in item.tags.actors}

    required = actors_of("iso45003-clauses", "at-external-audit")
    assert found.slot("surveillance_1").coverage.actors == {"employees"}
    assert "cooperation_bodies" in required
    assert found.uncovered_actors == [actor for actor in v.ACTORS.values if actor in required - {"employees"}]
    page = login(admin).get(f"/organisations/{organisation.id}/programme")
    assert "Actors interviewed" in page.text and "Actors not interviewed in this cycle" in page.text
    api = login(admin).get(f"/api/v1/organisations/{organisation.id}/programme").json()
    assert api["audits"][0]["actors"] == ["employees"] and api["uncovered_actors"] == found.uncovered_actors

    # A planned audit counts the actors its items name, as it counts their clauses.
    make_audit(
        organisation=organisation,
        start_date=date(2028, 1, 10),
        end_date=date(2028, 1, 10),
        checklists=["at-external-audit"],
    )
    again = programmes.programme(session=session, organisation=organisation, library=library, today=date(2027, 2, 1))
    assert again.slot("surveillance_2").coverage.actors == actors_of("at-external-audit")
    left = required - {"employees"} - actors_of("at-external-audit")
    assert again.uncovered_actors == [actor for actor in v.ACTORS.values if actor in left]

    first = found.slot("surveillance_1")
    assert first is not None and first.audit is not None and first.audit.id == held.id
    clauses_of = {item.id: item.clauses for item in library.get("iso45003-clauses").checklist.items()}
    covered = {clause for item_id in answered for clause in clauses_of[item_id]}
    assert (
        first.coverage is not None and first.coverage.clauses == covered and first.coverage.site_ids == {warehouse.id}
    )
    assert [site.name for site in found.uncovered_sites] == [vejle.name]
    assert found.uncovered_checklists == ["at-external-audit"]
    every = {clause for item in library.get("iso45003-clauses").checklist.items() for clause in item.clauses}
    assert not covered & set(found.uncovered_clauses) and (every - covered) <= set(found.uncovered_clauses)
    assert found.slot("surveillance_2").audit is None


def test_plan_this_audit_opens_the_planning_form_prefilled(session, stage2, admin, library, login):
    organisation = covering(session, stage2, admin, library, "iso45003-clauses")
    grant(session, stage2, admin, date(2026, 3, 10))
    page = login(admin).get(f"/organisations/{organisation.id}/programme")
    assert page.status_code == 200
    assert "9\u00a0Mar\u00a02027" in page.text  # the first surveillance's window closes
    link = f"/audits/new?organisation_id={organisation.id}&amp;slot=surveillance_1"
    assert link in page.text

    form = login(admin).get(link.replace("&amp;", "&"))
    assert form.status_code == 200
    assert '<option value="surveillance" selected>' in form.text
    assert 'value="2026-12-09"' in form.text or f'value="{date.today().isoformat()}"' in form.text
    assert "Lager og kundeservice" in form.text


def test_the_demo_client_is_in_the_second_year_of_its_cycle_with_the_next_surveillance_window_open(session, library):
    from auditor.demo import create_demo

    today = date(2026, 11, 27)
    demo = create_demo(session=session, library=library, today=today)
    organisation = session.get(Organisation, demo.audit.organisation_id)
    found = programmes.programme(session=session, organisation=organisation, library=library, today=today)

    assert found.cycle_start is not None and 365 < (today - found.cycle_start).days < 730  # the second year
    assert found.certificate is not None and found.certificate.status == "valid"
    assert found.certificate.decision.outcome == "maintain"  # after last year's surveillance
    first, second = found.slot("surveillance_1"), found.slot("surveillance_2")
    assert first.audit is not None and first.audit.status == "closed"
    assert first.window.opens <= first.audit.start_date <= first.window.closes
    assert second.window.opens <= today <= second.window.closes  # open now, and this year's audit is in it
    assert second.audit is not None and second.audit.id == demo.audit.id


def test_an_internal_programme_shares_its_cycle_in_equal_windows(
    session, admin, library, make_organisation, make_audit
):
    organisation = make_organisation(sites=("Aarhus lager", "Vejle kundeservice"))
    internal_programme(session, admin, library, organisation, "at-internal-audit", date(2025, 1, 1))
    make_audit(
        organisation=organisation,
        audit_type="internal",
        start_date=date(2026, 9, 1),
        end_date=date(2026, 9, 1),
        checklists=["at-internal-audit"],
    )

    found = programmes.programme(session=session, organisation=organisation, library=library, today=date(2026, 8, 1))

    assert (found.cycle_start, found.cycle_end) == (date(2026, 1, 1), date(2026, 12, 31))  # the second cycle
    windows = [(e.window.slot, e.window.opens, e.window.closes, e.audit is not None) for e in found.audits]
    assert windows == [
        ("internal_1", date(2026, 1, 1), date(2026, 7, 1), False),
        ("internal_2", date(2026, 7, 2), date(2026, 12, 31), True),  # the audit in its window
    ]
    assert found.uncovered_checklists == [] and len(found.uncovered_sites) == 2  # the audit names no site


def test_a_suspension_keeps_the_expiry_and_a_decision_must_fit_the_audit(session, stage2, admin, library, make_audit):
    grant(session, stage2, admin, date(2026, 3, 10))
    surveillance = reported(
        session,
        make_audit(
            organisation=session.get(Organisation, stage2.organisation_id),
            start_date=date(2027, 1, 11),
            end_date=date(2027, 1, 11),
        ),
        admin,
    )
    renewal = DecisionIn(outcome="renew", decided_on=date(2027, 2, 1), reasons="x", review="y")
    with pytest.raises(Invalid, match="cannot follow"):
        programmes.decide(session=session, actor=admin, audit=surveillance, data=renewal, today=date(2027, 2, 1))
    suspension = renewal.model_copy(update={"outcome": DecisionOutcome.SUSPEND})  # a copy is not validated
    programmes.decide(session=session, actor=admin, audit=surveillance, data=suspension, today=date(2027, 2, 1))

    certificate = programmes.certificate(
        session=session, organisation_id=stage2.organisation_id, today=date(2027, 2, 2)
    )
    assert (certificate.number, certificate.status, certificate.expiry) == ("DK-45001-7", "suspended", date(2029, 3, 9))
    with pytest.raises(Conflict, match="already"):
        programmes.decide(session=session, actor=admin, audit=surveillance, data=suspension, today=date(2027, 2, 1))


def test_a_later_audits_report_starts_from_the_certificate_as_it_stands(session, stage2, admin, make_audit, login):
    grant(session, stage2, admin, date(2026, 3, 10))
    surveillance = make_audit(
        organisation=session.get(Organisation, stage2.organisation_id),
        start_date=date(2027, 1, 11),
        end_date=date(2027, 1, 11),
    )
    page = login(admin).get(f"/audits/{surveillance.id}/report")
    assert re.search(r'<input [^>]*name="certificate_number"[^>]* value="DK-45001-7"', page.text)
    assert 'value="2029-03-09"' in page.text


def test_the_next_audit_is_the_next_one_the_programme_plans(session, stage2, admin, make_audit, make_organisation):
    assert programmes.next_audit(session=session, audit=stage2, today=date(2026, 3, 1)) is None  # no cycle yet
    grant(session, stage2, admin, date(2026, 3, 10))

    # nothing planned yet: the first surveillance's window
    following = programmes.next_audit(session=session, audit=stage2, today=date(2026, 4, 1))
    assert following == programmes.NextAudit("surveillance", None, date(2026, 12, 9), date(2027, 3, 9))
    # planned: its start
    surveillance = make_audit(
        organisation=session.get(Organisation, stage2.organisation_id),
        start_date=date(2027, 1, 11),
        end_date=date(2027, 1, 11),
    )
    following = programmes.next_audit(session=session, audit=stage2, today=date(2026, 4, 1))
    assert following is not None and following.planned == date(2027, 1, 11)
    # after the first surveillance, the second's window
    following = programmes.next_audit(session=session, audit=surveillance, today=date(2027, 1, 11))
    assert following == programmes.NextAudit("surveillance", None, date(2027, 12, 9), date(2028, 3, 9))
    # an organisation with no programme has no programme's next audit
    assert programmes.next_audit(session=session, audit=make_audit(), today=date(2026, 4, 1)) is None


def test_the_next_internal_audit_may_be_in_the_next_cycle(session, admin, library, make_organisation, make_audit):
    organisation = make_organisation()
    internal_programme(session, admin, library, organisation, "iso45003-clauses", date(2026, 1, 1))
    first = make_audit(
        organisation=organisation, audit_type="internal", start_date=date(2026, 3, 2), end_date=date(2026, 3, 2)
    )
    last = make_audit(
        organisation=organisation, audit_type="internal", start_date=date(2026, 9, 1), end_date=date(2026, 9, 1)
    )

    following = programmes.next_audit(session=session, audit=first, today=date(2026, 3, 2))
    assert following is not None and following.planned == date(2026, 9, 1)
    following = programmes.next_audit(session=session, audit=last, today=date(2026, 9, 1))
    assert following == programmes.NextAudit("internal", None, date(2027, 1, 1), date(2027, 7, 1))


def test_the_report_page_says_which_next_audit_the_report_gives_when_the_field_is_empty(session, stage2, admin, login):
    grant(session, stage2, admin, date(2026, 3, 10))
    page = login(admin).get(f"/audits/{stage2.id}/report")
    hint = re.search(r'<p class="muted" id="next-audit-hint">([^<]*)</p>', page.text)
    assert hint is not None and 'aria-describedby="next-audit-hint"' in page.text
    assert "2026" in hint.group(1) and "2027" in hint.group(1)  # the first surveillance's window
