"""Multi-site sampling by IAF MD 1 (services/sampling.py): which production units an audit visits, and why."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from auditor.errors import Invalid
from auditor.models import AuditEvent
from auditor.schemas import SiteIn
from auditor.services import organisations, sampling
from tests.test_reports import download, table_after

SECRET = "a server secret of at least thirty-two characters"


@pytest.mark.parametrize(
    ("units", "initial", "surveillance", "recertification"),
    [
        # at least sqrt(n), 0.6 sqrt(n) and 0.8 sqrt(n) units besides the central function, rounded up (IAF MD 1 6.1.3)
        (1, 1, 1, 1),
        (4, 2, 2, 2),
        (10, 4, 2, 3),
        (25, 5, 3, 4),
        # EA FAQ 46.5 (March 2023): two sites: all at the initial audit, one at each surveillance, both at
        # recertification (https://european-accreditation.org/sp_accordion_faqs/question-46-5-iaf-md1-sampling-size/)
        (2, 2, 1, 2),
    ],
)
def test_the_sample_of_production_units_for_1_4_10_and_25_units(units, initial, surveillance, recertification):
    assert [sampling.sample_size(units, kind) for kind in ("stage1", "stage2", "surveillance", "recertification")] == [
        initial,
        initial,
        surveillance,
        recertification,
    ]
    assert sampling.sample_size(units, "internal") is None


def test_the_plan_visits_the_central_function_and_the_sample_each_with_a_reason(
    session, client, lead, make_audit, make_organisation
):
    organisation = make_organisation(sites=("Hovedkontor", "Aarhus", "Vejle", "Kolding", "Horsens"))
    sites = {s.name: s.id for s in organisations.sites_of(session=session, organisation_id=organisation.id).items}
    names = {site_id: name for name, site_id in sites.items()}
    audit = make_audit(organisation=organisation)
    central = sites["Hovedkontor"]

    def save(*names, reasons=None, central_id=central):
        visits = {sites[name]: (reasons or {}).get(name, "Stikprøve") for name in names}
        return sampling.save_sampling_plan(
            session=session, actor=lead, audit=audit, central_id=central_id, visits=visits, secret=SECRET
        )

    with pytest.raises(Invalid) as refused:  # a surveillance audit of four units besides the central one: two
        save("Hovedkontor")  # one drawn at random is not enough
    assert refused.value.params == {"required": 2, "units": 4}
    with pytest.raises(Invalid) as refused:
        save("Aarhus", "Vejle")
    assert refused.value.field == "central"
    with pytest.raises(Invalid) as refused:
        save("Hovedkontor", "Aarhus", "Vejle", reasons={"Vejle": " "})
    assert refused.value.params == {"units": "Vejle"}
    assert audit.sample_draws == []  # a plan refused draws nothing

    # The planner chooses Vejle; a quarter of the sample of two, one unit, is drawn from the three others.
    plan = save("Hovedkontor", "Vejle", reasons={"Hovedkontor": "Central funktion", "Vejle": "Klage"})
    candidates = sorted([sites["Aarhus"], sites["Horsens"], sites["Kolding"]])
    seed = sampling.draw_seed(SECRET, audit.id, 0)
    drawn = sampling.draw(seed, candidates, 1)
    assert audit.sample_draws == [{"seed": seed, "candidates": candidates, "count": 1, "drawn": drawn}]
    assert (plan.required, plan.random, plan.visited) == (2, 1, 2)
    rows = {r.site.name: (r.visited, r.central, r.drawn_seed, r.reason) for r in plan.units}
    assert rows == {
        "Hovedkontor": (True, True, None, "Central funktion"),
        "Vejle": (True, False, None, "Klage"),
        names[drawn[0]]: (True, False, seed, ""),
        **{names[i]: (False, False, None, "") for i in candidates if i != drawn[0]},
    }
    assert sorted(site.name for site in plan.not_yet_in_cycle) == sorted(names[i] for i in candidates if i != drawn[0])
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "draw_sample")).one()
    assert (event.audit_id, event.after["seed"], event.after["drawn"]) == (audit.id, seed, drawn)

    # A unit drawn at random stays in the sample; saving again draws nothing more.
    with pytest.raises(Invalid) as refused:
        save("Hovedkontor", "Vejle", reasons={"Hovedkontor": "Central funktion", "Vejle": "Klage"})
    assert refused.value.params == {"units": names[drawn[0]]}
    reasons = {"Hovedkontor": "Central funktion", "Vejle": "Klage", names[drawn[0]]: ""}
    save("Hovedkontor", "Vejle", names[drawn[0]], reasons=reasons)
    assert len(audit.sample_draws) == 1

    # The next audit of the cycle sees which units this one visited.
    later = make_audit(
        organisation=organisation,
        start_date=audit.start_date.replace(year=2027),
        end_date=audit.end_date.replace(year=2027),
    )
    assert {r.site.name: r.last_visit for r in sampling.sampling_plan(session=session, audit=later).units}[
        "Vejle"
    ] == audit.title

    document = download(client, audit, lang="da")
    table = table_after(document, "Produktionsenhed", "Besøgt")
    expected = {
        "Hovedkontor": ["Hovedkontor\nCentral funktion", "Ja", "Central funktion"],
        "Vejle": ["Vejle", "Ja", "Klage"],
        names[drawn[0]]: [names[drawn[0]], "Ja", f"Udtrukket tilfældigt (seed {seed})"],
    }
    assert [[c.text for c in row.cells] for row in table.rows[1:]] == [
        expected.get(name, [name, "Nej", ""]) for name in sorted(sites)
    ]


def test_a_unit_that_must_be_visited_is_visited_and_left_out_of_the_sample(
    session, lead, make_audit, make_organisation
):
    organisation = make_organisation(sites=("Hovedkontor", "Lager", "Aarhus", "Vejle", "Kolding", "Horsens"))
    sites = {s.name: s.id for s in organisations.sites_of(session=session, organisation_id=organisation.id).items}
    audit = make_audit(organisation=organisation)

    def save(*names, must_visit=("Lager",)):
        return sampling.save_sampling_plan(
            session=session,
            actor=lead,
            audit=audit,
            central_id=sites["Hovedkontor"],
            visits={sites[name]: "Højrisiko" if name == "Lager" else "Valgt" for name in names},
            must_visit={sites[name] for name in must_visit},
            secret=SECRET,
        )

    with pytest.raises(Invalid) as refused:  # marked, not visited
        save("Hovedkontor", "Aarhus", "Vejle")
    assert refused.value.params == {"units": "Lager"}
    # Four units left to sample: two at a surveillance audit (five would need three), one of them drawn at random.
    with pytest.raises(Invalid) as refused:
        save("Hovedkontor", "Lager")
    assert refused.value.params == {"required": 2, "units": 4}
    plan = save("Hovedkontor", "Lager", "Aarhus")
    assert (plan.required, plan.random, plan.visited) == (2, 1, 2)
    assert [r.site.name for r in plan.units if r.must_visit] == ["Lager"]
    assert sites["Lager"] not in audit.sample_draws[0]["candidates"]


def test_every_unit_is_visited_within_the_cycle(session, lead, make_audit, make_organisation):
    organisation = make_organisation(sites=("Hovedkontor", "Aarhus", "Vejle", "Kolding", "Horsens"))
    sites = {s.name: s.id for s in organisations.sites_of(session=session, organisation_id=organisation.id).items}

    def audit_in(year, audit_type):
        return make_audit(
            organisation=organisation,
            audit_type=audit_type,
            title=f"{audit_type} {year}",
            start_date=date(year, 3, 1),
            end_date=date(year, 3, 2),
        )

    def save(audit, *names, avoid=()):
        """The planner chooses Aarhus and `names`; the random part is drawn with a secret whose seed misses `avoid`."""
        chosen = {sites[name] for name in ("Hovedkontor", "Aarhus", *names)}
        candidates = sorted(set(sites.values()) - chosen)
        secret = next(
            secret
            for secret in (f"secret {n}" for n in range(100))
            if not {sites[n] for n in avoid}
            & set(sampling.draw(sampling.draw_seed(secret, audit.id, len(audit.sample_draws)), candidates, 1))
        )
        return sampling.save_sampling_plan(
            session=session,
            actor=lead,
            audit=audit,
            central_id=sites["Hovedkontor"],
            visits=dict.fromkeys(chosen, "Valgt"),
            secret=secret,
        )

    def visited(audit):
        return {r.site.name for r in sampling.sampling_plan(session=session, audit=audit).units if r.visited}

    stage2 = audit_in(2024, "stage2")
    save(stage2)
    first = audit_in(2025, "surveillance")
    assert not save(first).last_of_cycle
    left = sorted(set(sites) - visited(stage2) - visited(first))
    assert left  # Aarhus and one unit drawn in each audit: at least one of the four is left
    second = audit_in(2026, "surveillance")
    assert sampling.sampling_plan(session=session, audit=second).last_of_cycle
    with pytest.raises(Invalid) as refused:
        save(second, avoid=left)
    assert refused.value.params == {"units": ", ".join(left)}
    assert "last audit of the certification cycle" in refused.value.message
    assert save(second, *left).last_of_cycle

    # The recertification is the cycle's last audit too: a unit added since the second surveillance is visited.
    added = organisations.add_site(session=session, actor=None, organisation=organisation, data=SiteIn(name="Esbjerg"))
    sites["Esbjerg"] = added.id
    recertification = audit_in(2027, "recertification")
    with pytest.raises(Invalid) as refused:
        save(recertification, avoid=["Esbjerg"])
    assert refused.value.params == {"units": "Esbjerg"}
    assert save(recertification, "Esbjerg").last_of_cycle


def test_the_sampling_page_saves_the_plan(session, login, lead, make_audit, make_organisation):
    organisation = make_organisation(sites=("Hovedkontor", "Aarhus", "Vejle"))
    sites = {s.name: s.id for s in organisations.sites_of(session=session, organisation_id=organisation.id).items}
    audit = make_audit(organisation=organisation)
    client = login(lead, language="da")
    page = client.get(f"/audits/{audit.id}/sampling")
    assert "1 af stikprøven udtrækkes tilfældigt" in page.text
    refused = client.post(
        f"/audits/{audit.id}/sampling", data={"visit": [str(sites["Aarhus"])], f"reason-{sites['Aarhus']}": "x"}
    )
    assert refused.status_code == 422 and "central funktion" in refused.text.lower()
    saved = client.post(
        f"/audits/{audit.id}/sampling",
        data={
            "visit": [str(sites["Hovedkontor"]), str(sites["Aarhus"])],
            "central": str(sites["Hovedkontor"]),
            "must_visit": [str(sites["Aarhus"])],
            f"reason-{sites['Hovedkontor']}": "Central funktion",
            f"reason-{sites['Aarhus']}": "Højrisiko",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    # Aarhus must be visited, so the sample is Vejle alone, drawn at random.
    plan = sampling.sampling_plan(session=session, audit=audit)
    assert [(r.site.name, r.must_visit, r.drawn_seed is not None) for r in plan.units if r.visited] == [
        ("Aarhus", True, False),
        ("Hovedkontor", False, False),
        ("Vejle", False, True),
    ]
    page = client.get(f"/audits/{audit.id}/sampling")
    assert page.status_code == 200 and "Højrisiko" in page.text
    assert f"Udtrukket tilfældigt (seed {audit.sample_draws[0]['seed']})" in page.text


def test_the_draw_ranks_each_unit_on_its_own():
    """Choosing a unit by hand takes it out of the candidates and changes nothing else: the units drawn are those the
    seed ranks first, whatever the other candidates are."""
    candidates = list(range(100, 130))
    for seed in range(40):
        drawn = sampling.draw(seed, candidates, 3)
        assert drawn == sampling.draw(seed, list(reversed(candidates)), 3)
        chosen = [site_id for site_id in candidates if site_id not in drawn][seed % 20]
        assert sampling.draw(seed, [i for i in candidates if i != chosen], 3) == drawn


def test_a_refused_save_cannot_draw_again(session, lead, make_audit, make_organisation):
    """The seed follows from the audit, the number of draws it has made and the server's secret: a plan refused
    after its draw (nothing of it recorded) and sent again draws the same units, so the draw cannot be re-rolled;
    another audit draws on its own."""
    units = [f"Enhed {n:02}" for n in range(1, 26)]
    organisation = make_organisation(sites=("Hovedkontor", *units))
    sites = {s.name: s.id for s in organisations.sites_of(session=session, organisation_id=organisation.id).items}
    audit, other = make_audit(organisation=organisation), make_audit(organisation=organisation, title="Anden")

    def save(audit, *names, secret=SECRET):
        visits = {sites[name]: "Valgt" for name in ("Hovedkontor", *names)}
        return sampling.save_sampling_plan(
            session=session, actor=lead, audit=audit, central_id=sites["Hovedkontor"], visits=visits, secret=secret
        )

    # 25 units at a surveillance audit: three, one of them drawn at random. The planner chooses one: refused.
    with pytest.raises(Invalid) as refused:
        save(audit, "Enhed 01")
    assert refused.value.params == {"required": 3, "units": 25}
    assert audit.sample_draws == []
    save(audit, "Enhed 01", "Enhed 02")
    [made] = audit.sample_draws
    candidates = sorted(sites[name] for name in units[2:])
    assert made == {
        "seed": sampling.draw_seed(SECRET, audit.id, 0),
        "candidates": candidates,
        "count": 1,
        "drawn": sampling.draw(made["seed"], candidates, 1),
    }

    # The other audit: the same candidates, its own seed (another audit id), as it would be with another secret.
    save(other, "Enhed 01", "Enhed 02")
    assert other.sample_draws[0]["seed"] != made["seed"]
    assert sampling.draw_seed("another secret", audit.id, 0) != made["seed"]

    # Retried: a third audit refused three times in a row, then saved, draws what its first try drew.
    third = make_audit(organisation=organisation, title="Tredje")
    expected = sampling.draw(sampling.draw_seed(SECRET, third.id, 0), candidates, 1)
    for _ in range(3):
        with pytest.raises(Invalid):
            save(third, "Enhed 01")
    save(third, "Enhed 01", "Enhed 02")
    assert third.sample_draws[0]["drawn"] == expected


def test_a_unit_that_must_be_visited_is_remembered_at_the_next_audit(
    session, login, lead, make_audit, make_organisation
):
    """The next audit's plan starts from the units the last saved plan marked "must be visited", with their reasons;
    each audit keeps its own record, and a unit unmarked is not carried further."""
    organisation = make_organisation(sites=("Hovedkontor", "Lager", "Aarhus", "Vejle", "Kolding", "Horsens"))
    sites = {s.name: s.id for s in organisations.sites_of(session=session, organisation_id=organisation.id).items}

    def audit_in(year):
        return make_audit(
            organisation=organisation,
            title=f"Overvågning {year}",
            start_date=date(year, 3, 1),
            end_date=date(year, 3, 2),
        )

    first, second, third = audit_in(2025), audit_in(2026), audit_in(2027)
    sampling.save_sampling_plan(
        session=session,
        actor=lead,
        audit=first,
        central_id=sites["Hovedkontor"],
        visits={sites["Hovedkontor"]: "Central", sites["Lager"]: "Højrisiko: kemikalier", sites["Aarhus"]: "Valgt"},
        must_visit={sites["Lager"]},
        secret=SECRET,
    )
    plan = sampling.sampling_plan(session=session, audit=second)
    lager = next(row for row in plan.units if row.site.name == "Lager")
    assert (lager.visited, lager.must_visit, lager.carried_reason, lager.carried_from) == (
        False,
        False,
        "Højrisiko: kemikalier",
        "Overvågning 2025",
    )
    assert (lager.form_visited, lager.form_must_visit, lager.form_reason) == (True, True, "Højrisiko: kemikalier")

    # The page shows it ticked with its reason; sent as shown (the planner adds Aarhus and the central function), it
    # is this audit's record too.
    client = login(lead, language="da")
    page = client.get(f"/audits/{second.id}/sampling")
    assert f'name="must_visit" value="{sites["Lager"]}" checked' in page.text
    assert f'name="visit" value="{sites["Lager"]}" checked' in page.text
    assert f'name="reason-{sites["Lager"]}" maxlength="300" value="Højrisiko: kemikalier"' in page.text
    assert "Skal besøges ifølge Overvågning 2025: Højrisiko: kemikalier" in page.text
    saved = client.post(
        f"/audits/{second.id}/sampling",
        data={
            "visit": [str(sites["Hovedkontor"]), str(sites["Lager"]), str(sites["Aarhus"])],
            "central": str(sites["Hovedkontor"]),
            "must_visit": [str(sites["Lager"])],
            f"reason-{sites['Hovedkontor']}": "Central",
            f"reason-{sites['Lager']}": "Højrisiko: kemikalier",
            f"reason-{sites['Aarhus']}": "Valgt",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    second_plan = sampling.sampling_plan(session=session, audit=second)
    assert [r.site.name for r in second_plan.units if r.must_visit] == ["Lager"]

    # The second audit unmarks it (the risk is gone): the third starts without it; the records stay as they were.
    [drawn] = second.sample_draws[0]["drawn"]
    sampling.save_sampling_plan(
        session=session,
        actor=lead,
        audit=second,
        central_id=sites["Hovedkontor"],
        visits={sites["Hovedkontor"]: "Central", sites["Lager"]: "Valgt", sites["Aarhus"]: "Valgt", drawn: ""},
        secret=SECRET,
    )
    assert not any(
        r.carried_reason or r.form_must_visit for r in sampling.sampling_plan(session=session, audit=third).units
    )
    assert [r.site.name for r in sampling.sampling_plan(session=session, audit=first).units if r.must_visit] == [
        "Lager"
    ]

    # The API reads the mark carried and sets "must be visited" with the plan.
    api = login(lead)
    shown = api.get(f"/api/v1/audits/{second.id}/sampling").json()
    assert {u["site"]["name"]: u["carried_must_visit_reason"] for u in shown["units"]}[
        "Lager"
    ] == "Højrisiko: kemikalier"
    body = {
        "central_site_id": sites["Hovedkontor"],
        "visits": [
            {"site_id": sites["Hovedkontor"], "reason": "Central"},
            {"site_id": sites["Vejle"], "reason": "Højrisiko", "must_visit": True},
            {"site_id": sites["Aarhus"], "reason": "Valgt"},
            {"site_id": sites["Kolding"], "reason": "Valgt"},
        ],
    }
    answer = api.put(f"/api/v1/audits/{third.id}/sampling", json=body)
    assert answer.status_code == 200
    assert [u["site"]["name"] for u in answer.json()["units"] if u["must_visit"]] == ["Vejle"]
