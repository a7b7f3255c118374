"""Multi-site sampling by IAF MD 1 (services/sampling.py): which production units an audit visits, and why."""

from __future__ import annotations

import pytest

from auditor.errors import Invalid
from auditor.services import organisations, sampling
from tests.test_reports import download, table_after


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
    audit = make_audit(organisation=organisation)
    central = sites["Hovedkontor"]

    def save(*names, reasons=None, central_id=central):
        visits = {sites[name]: (reasons or {}).get(name, "Stikprøve") for name in names}
        return sampling.save_sampling_plan(
            session=session, actor=lead, audit=audit, central_id=central_id, visits=visits
        )

    with pytest.raises(Invalid) as refused:  # a surveillance audit of four units besides the central one: two
        save("Hovedkontor", "Aarhus")
    assert refused.value.params == {"required": 2, "units": 4}
    with pytest.raises(Invalid) as refused:
        save("Aarhus", "Vejle")
    assert refused.value.field == "central"
    with pytest.raises(Invalid) as refused:
        save("Hovedkontor", "Aarhus", "Vejle", reasons={"Vejle": " "})
    assert refused.value.params == {"units": "Vejle"}

    plan = save("Hovedkontor", "Aarhus", "Vejle", reasons={"Hovedkontor": "Central funktion", "Vejle": "Klage"})
    assert (plan.required, plan.visited) == (2, 2)
    assert sorted(site.name for site in plan.not_yet_in_cycle) == ["Horsens", "Kolding"]
    assert [(r.site.name, r.visited, r.central, r.reason) for r in plan.units] == [
        ("Aarhus", True, False, "Stikprøve"),
        ("Horsens", False, False, ""),
        ("Hovedkontor", True, True, "Central funktion"),
        ("Kolding", False, False, ""),
        ("Vejle", True, False, "Klage"),
    ]
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
    assert [[c.text for c in row.cells] for row in table.rows[1:]] == [
        ["Aarhus", "Ja", "Stikprøve"],
        ["Horsens", "Nej", ""],
        ["Hovedkontor\nCentral funktion", "Ja", "Central funktion"],
        ["Kolding", "Nej", ""],
        ["Vejle", "Ja", "Klage"],
    ]


def test_the_sampling_page_saves_the_plan(session, login, lead, make_audit, make_organisation):
    organisation = make_organisation(sites=("Hovedkontor", "Aarhus"))
    sites = {s.name: s.id for s in organisations.sites_of(session=session, organisation_id=organisation.id).items}
    audit = make_audit(organisation=organisation)
    client = login(lead, language="da")
    refused = client.post(
        f"/audits/{audit.id}/sampling", data={"visit": [str(sites["Aarhus"])], f"reason-{sites['Aarhus']}": "x"}
    )
    assert refused.status_code == 422 and "central funktion" in refused.text.lower()
    saved = client.post(
        f"/audits/{audit.id}/sampling",
        data={
            "visit": [str(sites["Hovedkontor"]), str(sites["Aarhus"])],
            "central": str(sites["Hovedkontor"]),
            f"reason-{sites['Hovedkontor']}": "Central funktion",
            f"reason-{sites['Aarhus']}": "Stikprøve",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = client.get(f"/audits/{audit.id}/sampling")
    assert page.status_code == 200 and "Stikprøve" in page.text


def test_the_api_sets_and_reads_the_sampling_plan(session, login, lead, make_audit, make_organisation, make_user):
    organisation = make_organisation(sites=("Hovedkontor", "Aarhus", "Vejle"))
    sites = {s.name: s.id for s in organisations.sites_of(session=session, organisation_id=organisation.id)}
    audit = make_audit(organisation=organisation)
    api = login(lead)
    url = f"/api/v1/audits/{audit.id}/sampling"
    plan = {
        "central_site_id": sites["Hovedkontor"],
        "visits": [
            {"site_id": sites["Hovedkontor"], "reason": "Central funktion"},
            {"site_id": sites["Vejle"], "reason": "Klage"},
        ],
    }
    saved = api.put(url, json=plan)
    assert saved.status_code == 200
    assert (saved.json()["required"], saved.json()["visited"]) == (1, 1)
    assert saved.json()["not_yet_in_cycle_site_ids"] == [sites["Aarhus"]]
    assert [(u["site"]["name"], u["visited"], u["central"], u["reason"]) for u in saved.json()["units"]] == [
        ("Aarhus", False, False, ""),
        ("Hovedkontor", True, True, "Central funktion"),
        ("Vejle", True, False, "Klage"),
    ]
    assert api.get(url).json() == saved.json()

    no_reason = api.put(url, json={**plan, "visits": [*plan["visits"][:1], {"site_id": sites["Vejle"]}]})
    assert no_reason.status_code == 422
    twice = api.put(url, json={**plan, "visits": [*plan["visits"], plan["visits"][1]]})
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "visits"
    foreign = make_organisation(name="Andet A/S", cvr=None, sites=("Et andet sted",))
    elsewhere = organisations.sites_of(session=session, organisation_id=foreign.id)[0].id
    refused = api.put(url, json={**plan, "visits": [*plan["visits"], {"site_id": elsewhere, "reason": "x"}]})
    assert refused.status_code == 422
    viewer = login(make_user("viewer", organisation=organisation))
    assert viewer.get(url).status_code == 200 and viewer.put(url, json=plan).status_code == 403
