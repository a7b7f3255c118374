"""Organisations and sites, through the API and the HTML pages."""

from sqlmodel import select

from auditor.models import Organisation, Site
from tests.conftest import selects_of


def test_create_an_organisation_with_sites(client):
    response = client.post(
        "/api/v1/organisations",
        json={
            "name": "Nordlys Logistik A/S",
            "cvr": "12 34 56 78",
            "sites": [{"name": "Aarhus", "p_number": "1012345678"}],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["cvr"] == "12345678"
    assert [(s["name"], s["p_number"]) for s in body["sites"]] == [("Aarhus", "1012345678")]
    assert client.get(f"/api/v1/organisations/{body['id']}").json() == body


def test_bad_organisation_input_gets_422_with_the_field(client, session):
    response = client.post("/api/v1/organisations", json={"name": "X", "cvr": "123"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "cvr", "message": "a CVR number has 8 digits"}]
    assert client.post("/api/v1/organisations", json={"name": "  "}).status_code == 422
    assert client.post("/api/v1/organisations", json={"name": "X", "colour": "red"}).status_code == 422
    assert session.exec(select(Organisation)).all() == []


def test_add_a_site_and_unknown_organisation_is_404(client, make_organisation):
    organisation = make_organisation()
    response = client.post(
        f"/api/v1/organisations/{organisation.id}/sites", json={"name": "Vejle", "p_number": "1000000001"}
    )
    assert response.status_code == 201
    assert client.post("/api/v1/organisations/999999/sites", json={"name": "Vejle"}).status_code == 404
    assert client.get("/api/v1/organisations/999999").json() == {
        "code": "not_found",
        "detail": "No organisation with this id.",
    }
    assert (
        client.post(
            f"/api/v1/organisations/{organisation.id}/sites", json={"name": "Vejle", "p_number": "12"}
        ).status_code
        == 422
    )


def test_the_page_creates_an_organisation_and_a_site(client, session):
    response = client.post("/organisations", data={"name": "Fjord Kommune", "cvr": "29189919"}, follow_redirects=False)
    assert response.status_code == 303
    organisation = session.exec(select(Organisation).where(Organisation.name == "Fjord Kommune")).one()
    client.post(f"/organisations/{organisation.id}/sites", data={"name": "Rådhuset", "p_number": "1003456789"})
    page = client.get("/organisations").text
    assert "Fjord Kommune" in page and "Rådhuset" in page and "1003456789" in page
    assert session.exec(select(Site).where(Site.organisation_id == organisation.id)).one().name == "Rådhuset"


def test_the_page_shows_a_bad_cvr_next_to_the_form(client):
    response = client.post("/organisations", data={"name": "Fjord Kommune", "cvr": "abc"})
    assert response.status_code == 422
    assert 'class="field-error"' in response.text and 'value="Fjord Kommune"' in response.text


def test_the_lists_read_the_sites_of_every_organisation_shown_in_one_query(client, make_organisation, engine):
    """The organisations page and the API's list read the first page of each listed organisation's sites in one
    query (they asked one or two per organisation), each with its own sites and their total."""
    big = make_organisation("Aalborg Havn A/S", cvr=None, sites=tuple(f"Kaj {n:02d}" for n in range(1, 56)))
    make_organisation("Bornholm Bryg ApS", cvr=None, sites=("Rønne",))
    client.get("/organisations")  # the first request of a process learns what it needs once
    few = {path: selects_of(engine, client, path) for path in ("/organisations", "/api/v1/organisations")}
    for n in range(12):
        make_organisation(f"Kunde {n:02d}", cvr=None, sites=(f"Lager {n:02d}", f"Kontor {n:02d}"))
    assert {path: selects_of(engine, client, path) for path in few} == few

    listed = {o["name"]: o for o in client.get("/api/v1/organisations").json()}
    assert [s["name"] for s in listed["Aalborg Havn A/S"]["sites"]] == [f"Kaj {n:02d}" for n in range(1, 51)]
    assert listed["Aalborg Havn A/S"]["site_count"] == 55
    assert [s["name"] for s in listed["Kunde 03"]["sites"]] == ["Kontor 03", "Lager 03"]
    assert listed["Kunde 03"]["site_count"] == 2
    page = client.get("/organisations").text
    assert f'href="/organisations/{big.id}/sites?offset=50"' in page and "55 in all" in page
