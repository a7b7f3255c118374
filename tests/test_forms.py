"""Form errors reach a screen reader in the HTML the server sends, without JavaScript (issue 13, item 19): an error
summary at the top of the form (an alert, focused on arrival) links each message to its field by the field's label,
and the field is aria-invalid and described by its message."""

import re
from pathlib import Path

from lxml import html

from auditor.paging import DEFAULT_LIMIT
from auditor.services import cases
from auditor.templating import FORM_LABELS
from auditor.vocabulary import Role

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def linked_errors(page: str) -> dict[str, tuple[str, str]]:
    """Every message of the error summaries in `page`, checked to be linked both ways: {the field's id: (the summary
    entry's text, the field's own message)}."""
    tree = html.fromstring(page)
    summaries = tree.xpath("//*[contains(concat(' ', @class, ' '), ' error-summary ')]")
    assert summaries, "no error summary"
    found = {}
    for summary in summaries:
        assert summary.get("role") == "alert" and summary.get("tabindex") == "-1" and summary.get("autofocus") == ""
        for link in summary.xpath(".//li/a"):
            field_id = link.get("href").removeprefix("#")
            (control,) = tree.xpath("//*[@id=$id]", id=field_id)
            message_ids = (control.get("aria-describedby") or "").split()
            if control.tag != "fieldset":
                assert control.get("aria-invalid") == "true", field_id
            messages = [tree.xpath("//*[@id=$id]", id=i)[0] for i in message_ids]
            own = [m for m in messages if "field-error" in (m.get("class") or "")]
            assert len(own) == 1, f"{field_id} is not described by its message"
            assert own[0].text_content().strip() in link.text_content(), field_id
            found[field_id] = (link.text_content().strip(), own[0].text_content().strip())
    assert len(tree.xpath("//*[@autofocus]")) == 1, "one element takes focus on arrival: the summary"
    return found


def test_the_organisation_s_site_form_links_its_errors(client, make_organisation):
    first, second = make_organisation(), make_organisation("Fjord Kommune", cvr=None)
    refused = client.post(f"/organisations/{second.id}/sites", data={"name": "Rådhuset", "p_number": "12"})
    assert refused.status_code == 422
    errors = linked_errors(refused.text)
    assert errors == {
        f"site-{second.id}-field-p_number": ("P-number: a P-number has 10 digits", "a P-number has 10 digits")
    }
    assert 'value="Rådhuset"' in refused.text  # what was typed stays
    assert f'id="site-{first.id}-field-name"' in refused.text  # the other organisation's form has its own ids


def test_a_refused_site_form_comes_back_on_the_page_of_the_list_that_holds_its_organisation(client, make_organisation):
    """The list shows 50 organisations a page: an organisation further down gets its form, and what was typed, back
    on its own page, and a site added there leads back to that page."""
    for number in range(DEFAULT_LIMIT):
        make_organisation(f"Aarhus {number:02d} ApS", cvr=None, sites=())
    last = make_organisation("Østerby Kommune", cvr=None)
    refused = client.post(f"/organisations/{last.id}/sites", data={"name": "Rådhuset", "p_number": "12"})
    assert refused.status_code == 422
    assert list(linked_errors(refused.text)) == [f"site-{last.id}-field-p_number"]
    assert 'value="Rådhuset"' in refused.text  # what was typed stays
    added = client.post(f"/organisations/{last.id}/sites", data={"name": "Rådhuset"}, follow_redirects=False)
    assert added.headers["location"] == f"/organisations?offset={DEFAULT_LIMIT}#organisation-{last.id}"
    assert "Rådhuset" in client.get(added.headers["location"]).text


def test_the_new_organisation_form_links_its_errors(client):
    refused = client.post("/organisations", data={"name": "Fjord Kommune", "cvr": "abc"})
    assert linked_errors(refused.text) == {
        "organisation-field-cvr": ("CVR number: a CVR number has 8 digits", "a CVR number has 8 digits")
    }


def test_the_audit_form_names_fields_by_their_labels_in_danish(login, lead, make_organisation):
    organisation = make_organisation()
    refused = login(lead, language="da").post(
        "/audits",
        data={
            "title": "",
            "audit_type": "surveillance",
            "organisation_id": str(organisation.id),
            "start_date": "2026-12-05",
            "end_date": "2026-12-01",
            "checklists": "iso45003-clauses",
        },
    )
    assert refused.status_code == 422
    errors = linked_errors(refused.text)
    assert errors["field-title"] == ("Titel: Feltet skal udfyldes.", "Feltet skal udfyldes.")
    assert errors["field-end_date"] == (
        "Slutdato: Slutdatoen kan ikke ligge før startdatoen.",
        "Slutdatoen kan ikke ligge før startdatoen.",
    )


def test_a_user_form_links_an_error_on_a_field_it_does_not_show_without_a_link(login, admin):
    refused = login(admin).post("/users", data={"name": "Ny", "email": "not an e-mail", "role": Role.AUDITOR})
    assert linked_errors(refused.text) == {
        "field-email": ("E-mail: Enter a valid e-mail address.", "Enter a valid e-mail address.")
    }


def test_a_case_step_links_its_error_to_the_step_s_field(login, admin, session, make_organisation):
    case = cases.open_case(
        session=session, actor=admin, organisation_id=make_organisation().id, grade="observation", statement="Travlhed"
    )
    cases.record_correction(session=session, actor=admin, case=case, correction="Ekstra bemanding")
    refused = login(admin).post(f"/cases/{case.id}/step/root_cause", data={"method": "free_text", "cause": ""})
    assert refused.status_code == 422
    assert linked_errors(refused.text) == {
        "root_cause-field-cause": ("Root cause: Record the root cause.", "Record the root cause.")
    }


def test_the_audit_plan_fragment_links_its_errors(login, lead, make_audit):
    audit = make_audit()
    refused = login(lead).post(
        f"/audits/{audit.id}/plan",
        data={"day": "1999-01-01", "start_time": "09:00", "activity": "Interview"},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422
    assert set(linked_errors(refused.text)) == {"plan-field-day"}


FIELD_CALL = re.compile(r"\b(?:field|field_error|group)\([\w.()' -]+?, '(\w+)'")


def test_every_field_a_template_marks_has_a_label():
    """The error summary names a field by its label (auditor.templating.FORM_LABELS), never by its name in the code."""
    names = {name for path in TEMPLATES.rglob("*.html") for name in FIELD_CALL.findall(path.read_text())}
    assert len(names) > 50
    assert sorted(names - set(FORM_LABELS) - {"_form"}) == []
