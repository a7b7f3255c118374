"""The report page of an audit (downloads, templates in use, report details) and the report templates page."""

from __future__ import annotations

import io
import re

import docx
import pytest

from auditor.reports.starters import starter_template
from auditor.services import organisations, reports


def broken_template(text: str = "{{ audit.titel }}") -> bytes:
    document = docx.Document()
    document.add_paragraph("Audit report")
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, filename: str = "ours.docx", **fields):
    data = {"kind": "checklist", "language": "en", "audit_type": "", "organisation_id": "", **fields}
    return client.post("/report-templates", data=data, files={"file": (filename, content)}, follow_redirects=True)


def template_row(html: str, filename: str) -> str:
    """The table row of an uploaded template on the templates page."""
    match = re.search(r"<tr>(?:(?!</tr>).)*?" + re.escape(filename) + r".*?</tr>", html, re.S)
    assert match, f"{filename} not listed"
    return match.group(0)


# The report page of an audit


def test_the_report_page_offers_every_report_in_both_languages_with_its_template(client, make_audit, admin, session):
    audit = make_audit()
    reports.upload_template(
        session=session,
        actor=admin,
        scope=reports.TemplateScope(None, "checklist", "en", None),
        filename="our-checklist.docx",
        content=starter_template("checklist", "en"),
    )

    page = client.get(f"/audits/{audit.id}/report")

    assert page.status_code == 200
    for kind in ("audit_report", "nonconformity_report", "checklist"):
        for lang in ("da", "en"):
            assert f'href="/audits/{audit.id}/reports/{kind}.docx?lang={lang}"' in page.text
    assert "our-checklist.docx" in page.text  # the English checklist's uploaded template
    assert page.text.count("starter template") == 5  # the other five use ours
    assert client.get(f"/audits/{audit.id}/reports/checklist.docx?lang=en").status_code == 200


def test_the_audit_page_links_to_the_report_page(client, make_audit):
    audit = make_audit()
    assert f'href="/audits/{audit.id}/report"' in client.get(f"/audits/{audit.id}").text


def audit_with_a_site(make_organisation, make_audit, session):
    organisation = make_organisation(sites=("Lager, Aarhus", "Hovedkontor, Vejle"))
    sites = organisations.sites_of(session=session, organisation_id=organisation.id).items
    return make_audit(organisation=organisation, site_ids=[site.id for site in sites]), sites


def test_the_lead_auditor_saves_the_report_details(
    login, lead, make_audit, make_organisation, session, bek1407_trained
):
    audit, (first, second) = audit_with_a_site(make_organisation, make_audit, session)
    client = login(bek1407_trained(lead))
    form = {
        "report_version": "2",
        "summary": "Godt samarbejde.\nAPV er opdateret.",
        "conclusion": "Systemet virker.",
        "recommendation": "certify_after_minor_plans",
        "plan_deviations": "Interview flyttet til dag 2.",
        "auditee_representative": "Mette Holm, direktør",
        "certificate_number": "C-17",
        "certificate_expiry": "2029-05-01",
        "next_audit_date": "2027-11-30",
        "significant_changes": "Ny direktør.",
        "programme_issues": "",
        "unresolved_issues": "Uenighed om vikarernes APV.",
        "combination": "combined",
        "marks_control": "Mærket bruges korrekt på hjemmesiden.",
        "statement-capability": "yes",
        "statement-scope_appropriate": "no",
        "accompanying-0-name": "Sara Holm",
        "accompanying-0-role": "interpreter",
        "accompanying-0-remote": "on",
        "accompanying-1-name": "",
        "accompanying-1-role": "guide",
        "list_not_audited": "on",
        "dk_certificate": "on",
        "bek1407_auditor_id": str(lead.id),
        "md5_days": "4",
        "actual_days": "4,5",
        "psychosocial_hours": "8",
        f"unit-{first.id}-material_hours": "2,5",
        f"unit-{first.id}-significant_problems": "Ingen fundet.",
        f"unit-{second.id}-material_hours": "",
        f"unit-{second.id}-significant_problems": "Ikke besøgt.",
    }

    saved = client.post(f"/audits/{audit.id}/report", data=form, follow_redirects=False)

    assert saved.status_code == 303 and saved.headers["location"].startswith(f"/audits/{audit.id}/report?notice=saved")
    page = client.get(saved.headers["location"]).text
    assert "The report details are saved" in page
    assert (
        'value="Sara Holm"' in page and f'name="unit-{first.id}-material_hours" inputmode="decimal" value="2.5"' in page
    )
    details = client.get(f"/api/v1/audits/{audit.id}/report-details").json()
    assert details == {
        "report_version": "2",
        "summary": "Godt samarbejde.\nAPV er opdateret.",
        "conclusion": "Systemet virker.",
        "recommendation": "certify_after_minor_plans",
        "plan_deviations": "Interview flyttet til dag 2.",
        "auditee_representative": "Mette Holm, direktør",
        "dk_certificate": True,
        "bek1407_auditor_id": lead.id,
        "md5_days": 4.0,
        "actual_days": 4.5,
        "psychosocial_hours": 8.0,
        "production_units": [
            {"site_id": first.id, "material_hours": 2.5, "significant_problems": "Ingen fundet."},
            {"site_id": second.id, "material_hours": None, "significant_problems": "Ikke besøgt."},
        ],
        "certificate_number": "C-17",
        "certificate_expiry": "2029-05-01",
        "next_audit_date": "2027-11-30",
        "accompanying": [{"name": "Sara Holm", "role": "interpreter", "remote": True}],
        "significant_changes": "Ny direktør.",
        "programme_issues": "",
        "unresolved_issues": "Uenighed om vikarernes APV.",
        "combination": "combined",
        "marks_control": "Mærket bruges korrekt på hjemmesiden.",
        "statements": {"capability": True, "scope_appropriate": False},
        "stage1_readiness": "",
        "list_not_audited": True,
    }


def test_clearing_a_field_and_the_certificate_is_saved_too(login, lead, make_audit, make_organisation, session):
    audit, (first, _) = audit_with_a_site(make_organisation, make_audit, session)
    client = login(lead)
    client.post(
        f"/audits/{audit.id}/report",
        data={
            "report_version": "1",
            "summary": "Først",
            "dk_certificate": "on",
            "md5_days": "3",
            f"unit-{first.id}-material_hours": "3",
        },
    )

    client.post(f"/audits/{audit.id}/report", data={"report_version": "1", "summary": ""})

    details = client.get(f"/api/v1/audits/{audit.id}/report-details").json()
    assert (details["summary"], details["dk_certificate"], details["md5_days"]) == ("", False, None)
    assert [unit["material_hours"] for unit in details["production_units"]] == [None, None]


def test_an_auditor_not_on_the_team_is_refused_and_the_typed_text_stays(login, lead, make_audit, make_user):
    audit = make_audit()
    outsider = make_user("auditor")
    client = login(lead)

    refused = client.post(
        f"/audits/{audit.id}/report",
        data={
            "report_version": "1",
            "summary": "Min lange opsummering, som ikke må gå tabt.",
            "dk_certificate": "on",
            "bek1407_auditor_id": str(outsider.id),
            "md5_days": "4",
        },
    )

    assert refused.status_code == 422
    assert "The BEK 1407-trained auditor must be on the audit team." in refused.text
    assert ">Min lange opsummering, som ikke må gå tabt.</textarea>" in refused.text
    assert 'id="field-md5_days" inputmode="decimal" value="4"' in refused.text
    assert client.get(f"/api/v1/audits/{audit.id}/report-details").json()["summary"] == ""


def test_invalid_hours_and_an_empty_version_are_shown_next_to_their_fields(login, lead, make_audit):
    audit = make_audit()
    refused = login(lead).post(
        f"/audits/{audit.id}/report", data={"report_version": " ", "actual_days": "mange", "conclusion": "Kept"}
    )

    assert refused.status_code == 422
    assert 'id="error-report_version"' in refused.text
    assert 'id="error-actual_days">Enter a number.' in refused.text
    assert ">Kept</textarea>" in refused.text


def test_a_viewer_reads_the_report_details_without_a_form(login, make_user, make_organisation, make_audit, lead):
    organisation = make_organisation()
    audit = make_audit(organisation=organisation)
    login(lead).post(f"/audits/{audit.id}/report", data={"report_version": "3", "summary": "Til ledelsen."})
    viewer = make_user("viewer", organisation=organisation)
    client = login(viewer)

    page = client.get(f"/audits/{audit.id}/report")

    assert page.status_code == 200
    assert (
        "Til ledelsen." in page.text
        and f'action="/audits/{audit.id}/report' not in page.text
        and 'name="summary"' not in page.text
    )
    assert f"/audits/{audit.id}/reports/audit_report.docx?lang=da" in page.text
    assert 'href="/report-templates"' not in page.text  # neither on the page nor in the menu
    assert client.post(f"/audits/{audit.id}/report", data={"report_version": "4"}).status_code == 403


def test_only_certification_audits_ask_for_a_recommendation(client, make_audit):
    internal, surveillance = make_audit(audit_type="internal"), make_audit(audit_type="surveillance")
    assert 'name="recommendation"' not in client.get(f"/audits/{internal.id}/report").text
    assert 'name="recommendation"' in client.get(f"/audits/{surveillance.id}/report").text


# The report templates page


def test_the_templates_page_has_the_starters_and_every_variable(client):
    page = client.get("/report-templates")

    assert page.status_code == 200
    for kind in ("audit_report", "nonconformity_report", "checklist"):
        for lang in ("da", "en"):
            assert f'href="/api/v1/report-templates/starters/{kind}.docx?lang={lang}"' in page.text
    assert "<code>statistics.by_verdict[].fill</code>" in page.text and "Colour of the verdict" in page.text
    assert "{%tr for" in page.text and "{% cellbg" in page.text and "{{ photo.image }}" in page.text
    assert 'href="/report-templates"' in page.text  # the menu shows it to admins


def test_an_admin_uploads_a_template_and_it_is_in_use(client):
    page = upload(client, starter_template("checklist", "en"), "our-checklist.docx")

    assert page.status_code == 200
    assert "now in use" in page.text
    row = template_row(page.text, "our-checklist.docx")
    assert (
        "Provider (all organisations)" in row
        and "Blank checklist" in row
        and "All audit types" in row
        and "in use" in row
    )


def test_a_broken_template_is_refused_with_its_line_and_the_one_in_use_stays(client):
    upload(client, starter_template("checklist", "en"), "good.docx")

    refused = upload(
        client, broken_template(), "broken.docx", kind="checklist", language="en", audit_type="surveillance"
    )

    assert refused.status_code == 422
    message = re.search(r'id="error-file">(.*?)</p>', refused.text, re.S).group(1)
    assert message.startswith("Line ") and "audit.titel" in message and "unknown variable titel" in message
    assert '<option value="surveillance" selected>' in refused.text  # the selections stay
    assert "broken.docx" not in refused.text
    assert "in use" in template_row(refused.text, "good.docx")


def test_a_tag_that_cannot_be_read_is_refused_in_danish_too(login, admin):
    refused = upload(login(admin, language="da"), broken_template("{{ audit.title }"), "broken.docx")

    assert refused.status_code == 422
    message = re.search(r'id="error-file">(.*?)</p>', refused.text, re.S).group(1)
    assert message.startswith("Linje ") and "{" not in message.split(":", 1)[1].replace(
        "{{", ""
    )  # every placeholder filled


def test_an_older_upload_waits_behind_the_newer_and_comes_back_when_it_is_deleted(client, session):
    upload(client, starter_template("checklist", "en"), "first.docx")
    page = upload(client, starter_template("checklist", "en"), "second.docx")
    assert "replaced by a newer upload" in template_row(page.text, "first.docx")
    second = re.search(r'action="/report-templates/(\d+)/delete"', template_row(page.text, "second.docx")).group(1)

    after = client.post(f"/report-templates/{second}/delete", follow_redirects=True)

    assert after.status_code == 200
    assert "The template is deleted" in after.text and "uploaded before it" in after.text
    assert "second.docx" not in after.text
    assert "in use" in template_row(after.text, "first.docx")


def test_an_organisation_admin_manages_only_its_own_templates(client, login, make_user, make_organisation):
    own, other = make_organisation(name="Egen A/S"), make_organisation(name="Anden A/S")
    upload(client, starter_template("checklist", "en"), "provider.docx")
    organisation_admin = make_user("admin", organisation=own)
    org_client = login(organisation_admin)

    page = upload(org_client, starter_template("checklist", "en"), "own.docx", organisation_id=str(other.id))

    assert "Egen A/S" in template_row(page.text, "own.docx")  # uploaded for its own organisation, whatever was sent
    assert "Anden A/S" not in page.text and '<option value="">Provider (all organisations)</option>' not in page.text
    provider_row = template_row(page.text, "provider.docx")
    assert "delete" not in provider_row  # the provider's template is shown, not deletable
    provider_id = re.search(r"/api/v1/report-templates/(\d+)\.docx", provider_row).group(1)
    assert org_client.post(f"/report-templates/{provider_id}/delete").status_code == 403


@pytest.mark.parametrize("role", ["lead_auditor", "auditor", "quality_manager", "viewer"])
def test_only_admins_see_the_templates_page(login, make_user, make_organisation, role):
    client = login(make_user(role, organisation=make_organisation() if role in {"quality_manager", "viewer"} else None))
    assert client.get("/report-templates").status_code == 403
    assert upload(client, starter_template("checklist", "en")).status_code == 403
    assert 'href="/report-templates"' not in client.get("/").text


def test_the_page_s_download_gives_the_file_or_a_readable_page(client, make_audit):
    audit = make_audit()
    answer = client.get(f"/audits/{audit.id}/reports/checklist.docx", params={"lang": "en"})
    assert answer.status_code == 200 and answer.headers["content-disposition"].endswith(
        "-checklist-Overv%C3%A5gningsaudit-2026-en.docx"
    )
    buffer = io.BytesIO()
    document = docx.Document()
    for text in ("{%p for f in findings %}", "{{ f.case.reference }}", "{%p endfor %}"):
        document.add_paragraph(text)
    document.save(buffer)
    client.post(
        "/api/v1/report-templates",
        files={"file": ("ours.docx", buffer.getvalue(), "application/octet-stream")},
        data={"kind": "checklist", "language": "en"},
    ).raise_for_status()
    client.post(
        f"/api/v1/audits/{audit.id}/findings", json={"kind": "observation", "statement": "x"}
    ).raise_for_status()
    answer = client.get(f"/audits/{audit.id}/reports/checklist.docx", params={"lang": "en"})
    assert answer.status_code == 409 and answer.headers["content-type"].startswith("text/html")
    assert "cannot be used for this audit" in answer.text and "Report templates page" in answer.text
    assert (
        client.get(f"/audits/{audit.id}/reports/memo.docx").status_code == 404
    )  # a report kind that does not exist names nothing
