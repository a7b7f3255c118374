"""The organisation chooser of the forms (issue 14): a plain select up to CHOICE_LIMIT organisations, beyond it a
search that asks SQL for at most CHOICE_LIMIT matches, without JavaScript (a GET to the form's page) and with htmx
(the select alone)."""

from __future__ import annotations

import re

import pytest

from auditor.services.organisations import CHOICE_LIMIT
from tests.conftest import selects_of


def options(html: str) -> list[str]:
    """The organisation select's options' names (the first select named organisation_id on the page)."""
    select = re.search(r'<select name="organisation_id".*?</select>', html, re.S)
    assert select, html
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))


@pytest.fixture
def many(make_organisation):
    """60 organisations: Kunde 01 .. Kunde 59, and Nordlys Logistik A/S."""

    def make(count: int = 60) -> list:
        made = [make_organisation(f"Kunde {n:02d}", cvr=None, sites=(f"Lager {n:02d}",)) for n in range(1, count)]
        return [*made, make_organisation("Nordlys Logistik A/S", cvr=None)]

    return make


def test_up_to_the_limit_the_planning_form_lists_every_organisation(login, lead, many):
    many(5)
    page = login(lead).get("/audits/new")
    assert page.status_code == 200
    assert len(options(page.text)) == 5 and 'type="search"' not in page.text


def test_beyond_the_limit_the_planning_form_searches(login, lead, many):
    many(60)
    client = login(lead)
    page = client.get("/audits/new")
    assert len(options(page.text)) == CHOICE_LIMIT
    assert '<input type="search" id="organisation-q" name="organisation_q" form="organisation-find"' in page.text
    assert '<label for="organisation-q">' in page.text and 'aria-live="polite"' in page.text
    assert "60 of 60 organisations match." in page.text

    found = client.get("/audits/new", params={"organisation_q": "nord"})
    assert options(found.text) == ["Nordlys Logistik A/S"]
    assert "1 of 60 organisations matches." in found.text

    none = client.get("/audits/new", params={"organisation_q": "zzz"})
    assert options(none.text) == [] and "No organisation matches “zzz”." in none.text


def test_the_chosen_organisation_stays_listed_whatever_the_search(login, lead, many):
    chosen = many(60)[-1]
    page = login(lead).get("/audits/new", params={"organisation_q": "Kunde 0", "organisation_id": chosen.id})
    assert options(page.text) == [f"Kunde 0{n}" for n in range(1, 10)] + ["Nordlys Logistik A/S"]
    assert f'<option value="{chosen.id}" selected>' in page.text


def test_a_refused_plan_keeps_its_organisation_beyond_the_first_page_of_names(login, lead, many):
    chosen = many(60)[-1]  # "Nordlys" comes after the 50 first "Kunde" by name
    page = login(lead).post("/audits", data={"organisation_id": str(chosen.id), "title": ""})
    assert page.status_code == 422
    assert f'<option value="{chosen.id}" selected>' in page.text


def test_an_organisation_the_planner_may_not_plan_for_never_appears(login, make_user, many):
    own = many(60)[-1]
    member = make_user("lead_auditor", organisation=own)  # plans only their own organisation's audits
    client = login(member)
    assert options(client.get("/audits/new").text) == ["Nordlys Logistik A/S"]
    fragment = client.get("/organisations/choices", params={"can": "plan_audits", "organisation_q": "kunde"})
    assert fragment.status_code == 200 and "Kunde" not in fragment.text


def test_typing_with_htmx_answers_the_select_alone(login, lead, many):
    many(60)
    response = login(lead).get(
        "/organisations/choices",
        params={"can": "plan_audits", "organisation_q": "nord"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text and "<form" not in response.text
    assert options(response.text) == ["Nordlys Logistik A/S"]
    assert '<span id="organisation-count" hx-swap-oob="true">1 of 60 organisations matches.</span>' in response.text


def test_someone_who_may_not_plan_gets_no_choices(login, make_user, many):
    own = many(5)[-1]
    viewer = make_user("viewer", organisation=own)
    assert login(viewer).get("/organisations/choices", params={"can": "plan_audits"}).status_code == 403


def test_the_planning_form_asks_the_same_number_of_queries_for_5_or_60_organisations(
    login, lead, many, engine, make_organisation
):
    client = login(lead)
    client.get("/audits/new")  # the first request of a process learns what it needs once

    many(5)
    few = selects_of(engine, client, "/audits/new")
    for n in range(55):
        make_organisation(f"Mere {n:02d}", cvr=None, sites=(f"Sted {n:02d}",))
    assert selects_of(engine, client, "/audits/new") == few


@pytest.mark.parametrize(
    ("path", "blank"),
    [
        ("/cases/new", None),
        ("/users", "Audit provider (staff)"),
        ("/report-templates", "Provider (all organisations)"),
        ("/management-reviews", None),
        ("/auditors/{lead}", "Choose…"),  # an auditor's impartiality declaration
    ],
)
def test_every_other_form_searches_beyond_the_limit(client, many, lead, path, blank):
    many(60)
    path = path.format(lead=lead.id)
    page = client.get(path)
    assert page.status_code == 200
    assert 'type="search"' in page.text and 'id="organisation-find"' in page.text
    assert len(options(page.text)) == CHOICE_LIMIT + (blank is not None)
    if blank:
        assert options(page.text)[0] == blank
    assert options(client.get(path, params={"organisation_q": "NORD"}).text)[-1] == "Nordlys Logistik A/S"


def test_the_planning_form_asks_for_the_sites_of_the_organisation_chosen(login, lead, many):
    """Beyond the first page of names the form's sites can no longer be those of every organisation listed: once the
    choice changes (or a search brings others), htmx asks for the chosen organisation's sites
    (templates/audits/_sites.html), and the sites ticked and the new site typed are kept."""
    made = many(60)
    chosen = made[6]  # Kunde 07
    client = login(lead)
    [its_site] = organisations_sites(client, chosen)
    fragment = client.get(
        "/audits/new/sites",
        params={"organisation_id": chosen.id, "site_ids": [its_site], "site": "Nyt lager"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert re.findall(r"Lager \d\d", fragment.text) == ["Lager 07"]
    assert f'value="{its_site}" checked' in fragment.text and 'value="Nyt lager"' in fragment.text
    assert 'hx-get="/audits/new/sites"' in fragment.text  # it asks again at the next change
    assert client.get("/audits/new/sites", params={"organisation_id": "x"}).status_code == 422


def test_the_sites_of_an_organisation_the_planner_may_not_plan_for_are_not_given(login, make_user, many):
    made = many(5)
    member = make_user("lead_auditor", organisation=made[-1])  # plans only their own organisation's audits
    client = login(member)
    own = client.get("/audits/new/sites", params={"organisation_id": made[-1].id})
    assert own.status_code == 200 and "Aarhus lager" in own.text
    refused = client.get("/audits/new/sites", params={"organisation_id": made[0].id})
    assert refused.status_code == 404 and "Lager 01" not in refused.text


def organisations_sites(client, organisation) -> list[int]:
    """The ids of an organisation's sites, from the API."""
    return [site["id"] for site in client.get(f"/api/v1/organisations/{organisation.id}/sites").json()]
