"""The audit report as ISO/IEC 17021-1 9.4.8 and DANAK want it, read back with python-docx in Danish and English:
the certification body, the client, the certificate, accompanying persons, the team's statements and
recommendation, stage 1 readiness, the verification of earlier nonconformities, the Danish certificate per
production unit with its time shares, and the items not audited on this visit."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

import pytest
from PIL import Image
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.config import Settings
from auditor.demo import ANSWERS, STAGE2_TITLE, create_demo
from auditor.i18n import format_day
from auditor.models import Audit, AuditEvent, BodyLogo, User
from auditor.schemas import FindingIn, ReportDetails, ResponseIn
from auditor.services import accounts, audits, blobs, findings, organisations, responses, trail
from tests.conftest import PASSWORD, savepoint_session
from tests.test_photos import SECRET, jpeg_segments, jpeg_with_every_kind_of_metadata, png_with_text
from tests.test_reports import all_text, download, images, key_values, table_after

BODY = "Nordisk Certificering A/S"


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    """The installation names its certification body and its logo (a PNG file)."""
    logo = tmp_path / "logo.png"
    Image.new("RGB", (80, 30), "navy").save(logo)
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        cb_name=BODY,
        cb_address="Certificeringsvej 1, 2800 Kgs. Lyngby",
        cb_accreditation="DANAK reg. nr. 0000",
        cb_logo=logo,
        report_processes=0,  # rendered in the request's thread, which sees the test's uncommitted data
    )


@pytest.fixture(scope="module")
def demo_audit_id(module_connection, library) -> int:
    """The demo, built once for the module (it takes seconds) in the module's transaction."""
    with Session(bind=module_connection, join_transaction_mode="create_savepoint") as session:
        audit_id = create_demo(session=session, library=library).audit.id
        session.commit()
    return audit_id


@pytest.fixture
def session(module_connection, demo_audit_id) -> Iterator[Session]:
    """Every test of the module on the demo, in a savepoint rolled back after it (tests/conftest.py)."""
    yield from savepoint_session(module_connection)


@pytest.fixture
def demo_audit(session, demo_audit_id) -> Audit:
    return session.get_one(Audit, demo_audit_id)


@pytest.fixture
def stage2(session) -> Audit:
    return session.exec(select(Audit).where(Audit.title == STAGE2_TITLE)).one()


def lead_of_demo(session) -> User:
    return session.exec(select(User).where(User.email == "lead@auditor.example")).one()


def paragraphs(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def text_after(document, heading: str) -> str:
    """The first paragraph after a heading."""
    texts = paragraphs(document)
    return next(t for t in texts[texts.index(heading) + 1 :] if t.strip())


# 1. The certification body, the client, the certificate, the next audit


@pytest.mark.parametrize(
    ("lang", "body", "certificate", "next_audit", "address"),
    [
        ("da", "Certificeringsorgan", "Certifikat", "Næste audit", "Akkreditering: DANAK reg. nr. 0000"),
        ("en", "Certification body", "Certificate", "Next audit", "Accreditation: DANAK reg. nr. 0000"),
    ],
)
def test_the_cover_names_the_body_the_client_the_certificate_and_the_next_audit(
    client, stage2, lang, body, certificate, next_audit, address
):
    document = download(client, stage2, lang=lang)
    cover = key_values(document.tables[0])
    assert cover["Organisation"] == "Nordlys Logistik A/S (demo) (CVR 12345678)\nHavnevej 12, 8000 Aarhus C"
    assert cover[body] == f"{BODY}\nCertificeringsvej 1, 2800 Kgs. Lyngby\n{address}"
    expiry = stage2.certificate_expiry
    assert cover[certificate].startswith("DEMO-45001-0042, ") and str(expiry.year) in cover[certificate]
    assert str(stage2.next_audit_date.year) in cover[next_audit]
    body_xml = document.element.body
    first_drawing = body_xml.find(".//{http://schemas.openxmlformats.org/wordprocessingml/2006/main}drawing")
    assert first_drawing is not None and body_xml.index(first_drawing.getparent().getparent()) == 0  # the logo, first


@pytest.mark.parametrize(
    ("lang", "next_audit", "source", "recertification"),
    [
        (
            "da",
            "Næste audit",
            "Overvågningsaudit, planlagt i auditprogrammet",
            "Gencertificeringsaudit, tidsvindue i auditprogrammet",
        ),
        (
            "en",
            "Next audit",
            "Surveillance audit, planned in the audit programme",
            "Recertification audit, window in the audit programme",
        ),
    ],
)
def test_the_next_audit_comes_from_the_programme_unless_the_team_set_it(
    client, session, demo_audit, stage2, lang, next_audit, source, recertification
):
    """The demo's stage 2 led to the certificate whose first surveillance was held last year: with no date written by
    the team, the report gives that audit's date and says it comes from the programme; a date written overrides it."""
    surveillance = session.exec(
        select(Audit).where(Audit.organisation_id == stage2.organisation_id, Audit.audit_type == "surveillance")
    ).all()
    planned = min(audit.start_date for audit in surveillance)
    written = stage2.next_audit_date
    stage2.next_audit_date = None
    session.flush()
    cover = key_values(download(client, stage2, lang=lang).tables[0])
    assert cover[next_audit] == f"{format_day(planned, lang)} ({source})"

    stage2.next_audit_date = written
    session.flush()
    cover = key_values(download(client, stage2, lang=lang).tables[0])
    assert cover[next_audit] == format_day(written, lang)
    # the demo's surveillance audit this year leaves the date to the programme: the recertification audit's window
    cover = key_values(download(client, demo_audit, lang=lang).tables[0])
    assert cover[next_audit].endswith(f" ({recertification})") and " – " in cover[next_audit]


def test_an_internal_audit_names_no_certification_body(client, make_audit):
    audit = make_audit(audit_type="internal")
    for lang, body in (("da", "certificeringsorgan"), ("en", "certification body")):
        document = download(client, audit, lang=lang)
        assert body not in all_text(document).lower()
        assert images(document) == 1  # the statistics chart; no logo
    assert "fortrolig inden for den auditerede organisation" in all_text(download(client, audit, lang="da"))


# 2. Accompanying persons, on site or remote, changes, issues, combination, marks


def test_accompanying_persons_remote_parts_changes_issues_and_marks(client, stage2):
    english = download(client, stage2, lang="en")
    assert key_values(english.tables[0])["Accompanying persons"] == "Sara Holm (Observer, On site)"
    plan = table_after(english, "Date")
    assert plan.rows[0].cells[5].text == "On site or remote"
    assert [row.cells[5].text for row in plan.rows[1:] if "HR-chef" in row.cells[4].text] == ["Remote"]
    assert text_after(english, "Significant changes since the last audit") == (
        "Flytning af kundeservice fra Aarhus til Vejle planlagt til 2025."
    )
    assert text_after(english, "Unresolved issues and diverging opinions") == "None."
    assert text_after(english, "Combined, joint or integrated audit") == "A single audit (ISO 45001 only)"
    assert text_after(english, "Control of certificates and marks") == (
        "Virksomheden bruger endnu ikke certifikatet eller mærket."
    )
    danish = download(client, stage2, lang="da")
    assert key_values(danish.tables[0])["Ledsagende personer"] == "Sara Holm (Observatør, På stedet)"
    assert text_after(danish, "Væsentlige ændringer siden sidste audit").startswith("Flytning af kundeservice")


def test_the_report_details_are_stored_as_the_vocabulary_s_members(session, admin, make_audit):
    """What the team writes keeps its types on the audit (a plain string in an enum field made every later snapshot
    warn that it was not what the field holds)."""
    audit = make_audit()
    details = ReportDetails(combination="joint", accompanying=[{"name": "Sara Holm", "role": "observer"}])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        audits.update_report_details(session=session, actor=admin, audit=audit, data=details)
        trail.snapshot(v.TrailEntity.AUDIT, audit)
    assert audit.combination is v.AuditCombination.JOINT


# 3. Verification of earlier nonconformities


@pytest.mark.parametrize(
    ("lang", "heading", "result"),
    [
        ("da", "Verifikation af tidligere afvigelser", "Effektiv"),
        ("en", "Verification of earlier nonconformities", "Effective"),
    ],
)
def test_the_surveillance_report_shows_the_carried_over_case_verified_on_site(
    client, session, demo_audit, lang, heading, result
):
    """This year's surveillance verifies the minor nonconformity last year's surveillance raised (the stage 2
    audit's was verified by last year's)."""
    last_year = session.exec(
        select(Audit).where(Audit.audit_type == v.AuditType.SURVEILLANCE, Audit.id != demo_audit.id)
    ).one()
    document = download(client, demo_audit, lang=lang)
    assert heading in paragraphs(document)
    table = next(t for t in document.tables if len(t.rows[0].cells) == 4 and "Verifi" in t.rows[0].cells[3].text)
    rows = table.rows[1:]
    assert len(rows) == 1
    case, verified, found, by = (cell.text for cell in rows[0].cells)
    assert case.startswith("NC-") and ("Minor nonconformity" in case or "Mindre afvigelse" in case)
    assert "omfatter ikke natholdet" in verified and "natholdet deltog med to repræsentanter" in verified
    assert last_year.title in verified and STAGE2_TITLE not in verified
    assert (found, by) == (result, "Mette Lund")


def test_the_team_records_a_verification_through_the_api_and_the_page(client, session, demo_audit, make_user):
    listed = client.get(f"/api/v1/audits/{demo_audit.id}/follow-ups").json()
    assert [(row["result"], row["grade"]) for row in listed] == [("effective", "minor_nc")]
    case_id = listed[0]["case_id"]
    lead = lead_of_demo(session)
    outsider = make_user("auditor")
    put = f"/api/v1/audits/{demo_audit.id}/follow-ups/{case_id}"
    body = {"checked": "Nyt interview.", "result": "not_yet", "verified_by_id": outsider.id}
    refused = client.put(put, json=body)
    assert refused.status_code == 422 and "audit team" in refused.text
    assert client.put(put, json={**body, "result": "maybe"}).status_code == 422
    assert client.put(put, json={**body, "checked": "x" * 20_001}).status_code == 422
    assert client.put(f"/api/v1/audits/{demo_audit.id}/follow-ups/999999", json=body).status_code == 404
    saved = client.put(put, json={**body, "verified_by_id": lead.id})
    assert saved.status_code == 200 and saved.json()["result"] == "not_yet"

    page = client  # the page's forms, with their CSRF token
    shown = page.get(f"/audits/{demo_audit.id}/report")
    assert 'id="follow-ups"' in shown.text and "Nyt interview." in shown.text
    posted = page.post(
        f"/audits/{demo_audit.id}/follow-ups/{case_id}",
        data={"checked": "Set på stedet.", "result": "not_effective", "verified_by_id": str(lead.id)},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    empty = page.post(
        f"/audits/{demo_audit.id}/follow-ups/{case_id}",
        data={"checked": "", "result": "effective", "verified_by_id": str(lead.id)},
    )
    assert empty.status_code == 422 and f'id="follow-up-{case_id}-error-checked"' in empty.text
    row = download(client, demo_audit, lang="en")
    assert "Not effective" in all_text(row) and "Set på stedet." in all_text(row)
    events = client.get(f"/api/v1/audits/{demo_audit.id}/history", params={"entity": "case_verification"}).json()
    assert [event["action"] for event in events] == ["create", "update", "update"]  # the demo's, the API's, the page's


def test_the_lead_auditor_verifies_a_carried_over_case_on_the_conduct_page_without_leaving_it(
    login, session, demo_audit, client
):
    lead, quality_manager = (
        lead_of_demo(session),
        session.exec(select(User).where(User.email == "kvalitet@nordlys.example")).one(),
    )
    for user in (lead, quality_manager):
        user.password_hash = accounts.password_hash.hash(PASSWORD)  # the demo's users have passwords of their own
    auditor = login(lead)
    conduct = f"/audits/{demo_audit.id}/conduct"
    (case_id,) = [row["case_id"] for row in client.get(f"/api/v1/audits/{demo_audit.id}/follow-ups").json()]
    url = f"/audits/{demo_audit.id}/follow-ups/{case_id}"
    page = auditor.get(conduct).text
    assert 'href="#follow-ups"' in page and 'id="follow-ups"' in page
    assert f'hx-post="{url}"' in page and 'name="back" value="conduct"' in page
    assert (
        f'<article class="card follow-up" id="follow-up-{case_id}" aria-labelledby="follow-up-{case_id}-title">' in page
    )
    assert "natholdet deltog med to repræsentanter" in page  # what the demo recorded, ready to change

    htmx = {"HX-Request": "true"}
    form = {"checked": "Interview med to fra natholdet.", "result": "not_yet", "verified_by_id": str(lead.id)}
    saved = auditor.post(url, data={**form, "back": "conduct"}, headers=htmx)
    assert saved.status_code == 200
    assert saved.text.strip().startswith(f'<article class="card follow-up" id="follow-up-{case_id}"')
    assert 'role="status"' in saved.text and "<html" not in saved.text
    assert 'name="back" value="conduct"' in saved.text  # the next save comes from the conduct page too
    refused = auditor.post(url, data={**form, "checked": "", "back": "conduct"}, headers=htmx)
    assert refused.status_code == 422 and f'id="follow-up-{case_id}-error-checked"' in refused.text
    assert f'aria-describedby="follow-up-{case_id}-error-checked"' in refused.text and 'role="alert"' in refused.text
    assert '<option value="not_yet" selected>' in refused.text and 'role="status"' not in refused.text
    # Without JavaScript, back to the case on the conduct page
    posted = auditor.post(url, data={**form, "result": "effective", "back": "conduct"}, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"] == f"{conduct}#follow-up-{case_id}"
    auditor.post(url, data={**form, "back": "conduct"}, headers=htmx)

    for lang, result in (("en", "Not yet verifiable"), ("da", "Kan endnu ikke verificeres")):
        table = next(
            t
            for t in download(client, demo_audit, lang=lang).tables
            if len(t.rows[0].cells) == 4 and "Verifi" in t.rows[0].cells[3].text
        )
        case, verified, found, by = (cell.text for cell in table.rows[1].cells)
        assert "Interview med to fra natholdet." in verified and (found, by) == (result, "Mette Lund")
    # The client sees what was verified, with no form
    client_side = login(quality_manager)
    shown = client_side.get(conduct).text
    assert "Interview med to fra natholdet." in shown and f'hx-post="{url}"' not in shown
    assert client_side.post(url, data=form, headers=htmx).status_code == 403


# 4. Statements, recommendations, stage 1


@pytest.mark.parametrize(
    ("lang", "heading", "first"),
    [
        ("da", "Udsagn om overensstemmelse og effektivitet", "Ledelsessystemet er i stand til"),
        ("en", "Statements on conformity and effectiveness", "The management system is capable"),
    ],
)
def test_the_statements_are_printed_each_with_its_answer(client, stage2, lang, heading, first):
    document = download(client, stage2, lang=lang)
    assert heading in paragraphs(document)
    table = next(t for t in document.tables if t.rows[0].cells[1].text in ("Svar", "Answer"))
    rows = [(row.cells[0].text, row.cells[1].text) for row in table.rows[1:]]
    assert len(rows) == len(v.STATEMENTS.values) and rows[0][0].startswith(first)
    assert {answer for _, answer in rows} == {"Ja" if lang == "da" else "Yes"}


def test_a_major_nonconformity_needs_its_correction_verified_before_certification(client, make_audit):
    audit = make_audit()
    finding = client.post(
        f"/api/v1/audits/{audit.id}/findings",
        json={"kind": "major_nc", "statement": "Ingen APV for natholdet."},
    )
    assert finding.status_code in (200, 201), finding.text
    details = f"/api/v1/audits/{audit.id}/report-details"
    for refused in ("certify", "certify_after_minor_plans"):
        answer = client.patch(details, json={"recommendation": refused})
        assert answer.status_code == 422 and "major nonconformity" in answer.text
    for allowed in ("certify_after_major_verified", "suspension", "withdrawal", "scope_change"):
        assert client.patch(details, json={"recommendation": allowed}).status_code == 200
    document = download(client, audit, lang="da")
    assert text_after(document, "Auditteamets indstilling") == "Indstillet med ændret omfang"
    client.patch(details, json={"recommendation": "certify_after_major_verified"}).raise_for_status()
    assert text_after(download(client, audit, lang="en"), "The audit team's recommendation") == (
        "Recommended once the correction and corrective action of the major nonconformities are verified"
    )
    internal = make_audit(audit_type="internal")
    answer = client.patch(f"/api/v1/audits/{internal.id}/report-details", json={"recommendation": "certify"})
    assert answer.status_code == 422


def test_stage_1_grades_areas_of_concern_and_concludes_on_readiness(client, session, make_audit, first_item_id, admin):
    audit = make_audit(audit_type="stage1")
    kinds = [c.value for c in v.verdicts_for(v.AuditType.STAGE1)]
    assert "area_of_concern" in kinds and not set(kinds) & set(v.NONCONFORMITY_KINDS)
    assert "area_of_concern" not in [c.value for c in v.verdicts_for(v.AuditType.STAGE2)]
    refused = client.put(
        f"/api/v1/audits/{audit.id}/responses/{first_item_id}", json={"verdict": "minor_nc", "version": 0}
    )
    assert refused.status_code == 422
    responses.save_response(
        session=session,
        actor=admin,
        audit=audit,
        item_id=first_item_id,
        data=ResponseIn(verdict="area_of_concern", note="APV mangler for natholdet.", version=0),
    )
    findings.create_finding(
        session=session,
        actor=admin,
        audit=audit,
        data=FindingIn(item_id=first_item_id, kind="area_of_concern", statement="APV mangler for natholdet."),
    )
    details = f"/api/v1/audits/{audit.id}/report-details"
    assert client.patch(details, json={"recommendation": "certify"}).status_code == 422  # not a certification audit
    client.patch(details, json={"stage1_readiness": "ready_with_concerns"}).raise_for_status()
    surveillance = make_audit()
    assert (
        client.patch(f"/api/v1/audits/{surveillance.id}/report-details", json={"stage1_readiness": "ready"}).status_code
        == 422
    )
    danish = download(client, audit, lang="da")
    assert text_after(danish, "Parathed til trin 2") == "Klar til trin 2, når bekymringspunkterne er håndteret"
    assert text_after(danish, "Bekymringspunkter") == "F-001: APV mangler for natholdet." or text_after(
        danish, "Bekymringspunkter"
    ).startswith("F-001 (")
    english = download(client, audit, lang="en")
    assert text_after(english, "Readiness for stage 2") == "Ready for stage 2 once the areas of concern are addressed"
    assert "Nonconformities" not in [p.text for p in english.paragraphs if p.text == "Minor nonconformity"]
    assert "Area of concern" in all_text(english)


# 5. The Danish certificate per production unit, with the time shares


def test_the_danish_certificate_per_production_unit_with_the_time_shares(client, stage2):
    danish = download(client, stage2, lang="da")
    facts = key_values(next(t for t in danish.tables if t.rows[0].cells[0].text == "Auditor uddannet efter BEK 1407"))
    assert facts["Auditdage krævet efter IAF MD 5"] == "4"
    assert facts["Auditdage brugt"] == "4,5"
    assert facts["Audittid på det psykiske arbejdsmiljø"] == "8 timer (22,2 % af den brugte audittid)"
    assert facts["Audittid på det faktiske arbejdsmiljø"] == "2,5 timer (7,8 % af audittiden efter IAF MD 5)"
    assert facts["Krævet ekstra tid"] == "mindst 5 % af audittiden efter IAF MD 5 (1,6 timer). Opfyldt: Ja"
    units = table_after(danish, "Produktionsenhed", "Timer på det faktiske arbejdsmiljø")
    assert [[cell.text for cell in row.cells] for row in units.rows[1:]] == [
        ["Hovedkontor, Vejle\nP-nr. 1012345679", "1,5", "Ingen væsentlige arbejdsmiljøproblemer fundet."],
        ["Lager og distribution, Aarhus\nP-nr. 1012345678", "1", "Ingen væsentlige arbejdsmiljøproblemer fundet."],
    ]
    english = download(client, stage2, lang="en")
    facts = key_values(next(t for t in english.tables if t.rows[0].cells[0].text == "Auditor trained under BEK 1407"))
    assert facts["Extra time required"] == "at least 5 % of the IAF MD 5 audit time (1.6 hours). Reached: Yes"


def test_too_little_material_time_is_reported_as_not_reached(
    client, session, make_audit, make_organisation, lead, bek1407_trained
):
    bek1407_trained(lead)
    organisation = make_organisation(sites=("Lager",))
    site = organisations.sites_of(session=session, organisation_id=organisation.id).items[0]
    audit = make_audit(organisation=organisation, site_ids=[site.id])
    client.patch(
        f"/api/v1/audits/{audit.id}/report-details",
        json={
            "dk_certificate": True,
            "md5_days": 10,
            "actual_days": 10,
            "production_units": [{"site_id": site.id, "material_hours": 3, "significant_problems": ""}],
        },
    ).raise_for_status()
    facts = key_values(
        next(t for t in download(client, audit, lang="en").tables if t.rows[0].cells[0].text.startswith("Auditor"))
    )
    assert facts["Audit time on the material work environment"] == "3 hours (3.8 % of the IAF MD 5 audit time)"
    assert facts["Extra time required"] == "at least 5 % of the IAF MD 5 audit time (4 hours). Reached: No"
    assert facts["Audit time on the psychosocial work environment"] == "–"


def test_production_units_are_checked(client, make_audit, make_organisation, session):
    other = make_organisation(name="Anden A/S", sites=("Vejle",))
    foreign = organisations.sites_of(session=session, organisation_id=other.id).items[0]
    audit = make_audit()
    details = f"/api/v1/audits/{audit.id}/report-details"
    answer = client.patch(details, json={"production_units": [{"site_id": foreign.id, "material_hours": 1}]})
    assert answer.status_code == 422 and "not part of this audit" in answer.text
    assert client.patch(details, json={"md5_days": -1}).status_code == 422
    assert client.patch(details, json={"accompanying": [{"name": "X", "role": "boss"}]}).status_code == 422
    assert client.patch(details, json={"statements": {"nonsense": True}}).status_code == 422
    assert client.patch(details, json={"certificate_number": "x" * 51}).status_code == 422


# 6. Items not audited on this visit


def test_items_not_audited_are_one_line_per_section_and_listed_on_request(client, demo_audit):
    danish = download(client, demo_audit, lang="da")
    text = all_text(danish)
    assert "Ikke besvaret" not in text
    lines = [p for p in paragraphs(danish) if p.startswith("Ikke auditeret ved dette besøg: ")]
    assert lines and all(p.endswith(" punkter.") for p in lines)
    rows = list(_checklist_rows(danish))
    assert len(rows) == len(ANSWERS)  # the items the demo answered, and no other
    assert all(row[2] != "Ikke auditeret ved dette besøg" for row in rows)

    client.patch(f"/api/v1/audits/{demo_audit.id}/report-details", json={"list_not_audited": True}).raise_for_status()
    english = download(client, demo_audit, lang="en")
    listed = [p for p in paragraphs(english) if p.startswith("Not audited on this visit: ")]
    assert listed and all(not p.endswith(" items.") for p in listed)
    assert any("9.2-1" in p for p in listed)


def _checklist_rows(document):
    for table in document.tables:
        header = [cell.text for cell in table.rows[0].cells]
        if (
            len(header) == 4
            and header[2] in ("Vurdering", "Verdict")
            and header[3] in ("Note og bevis", "Note and evidence")
        ):
            for row in table.rows[1:]:
                yield [cell.text for cell in row.cells]


# 7. The certification body's logo as an upload (the setting's file is the fallback)


def report_images(document) -> list[Image.Image]:
    """The pictures a report holds (the logo, the chart, photos), opened with Pillow."""
    return [
        Image.open(io.BytesIO(rel.target_part.blob)).convert("RGB")
        for rel in document.part.rels.values()
        if rel.reltype.endswith("/image")
    ]


def has_picture_of(document, colour: tuple[int, int, int]) -> bool:
    """Whether a picture of the report is this colour in its middle (a JPEG's within a few steps)."""
    return any(
        all(abs(a - b) <= 8 for a, b in zip(image.getpixel((image.width // 2, image.height // 2)), colour, strict=True))
        for image in report_images(document)
    )


NAVY, RED, GREEN = (0, 0, 128), (200, 30, 30), (30, 200, 30)


def upload_logo(client, content: bytes, filename="logo.png"):
    return client.post(
        "/report-templates/logo", files={"file": (filename, content, "image/png")}, follow_redirects=False
    )


@pytest.mark.parametrize("lang", ["da", "en"])
def test_an_uploaded_logo_is_on_the_cover_instead_of_the_setting_and_can_be_replaced_and_removed(
    client, session, stage2, lang
):
    assert has_picture_of(download(client, stage2, lang=lang), NAVY)  # the setting's file
    page = client.get("/report-templates").text
    assert 'action="/report-templates/logo"' in page and "/report-templates/logo/delete" not in page

    assert upload_logo(client, png_with_text()).status_code == 303
    logo = session.exec(select(BodyLogo)).one()
    stored = blobs.read(session=session, sha256=logo.sha256)
    assert SECRET not in stored and Image.open(io.BytesIO(stored)).format == "PNG"
    assert (logo.content_type, logo.width, logo.height) == ("image/png", 400, 300)
    document = download(client, stage2, lang=lang)
    assert has_picture_of(document, GREEN) and not has_picture_of(document, NAVY)
    page = client.get("/report-templates").text
    assert f'src="/report-templates/logo?v={logo.id}"' in page and 'action="/report-templates/logo/delete"' in page
    shown = client.get("/report-templates/logo")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png" and shown.content == stored

    # Replaced: the new one is printed, the old one's file goes with it
    assert upload_logo(client, jpeg_with_every_kind_of_metadata(), "logo.jpg").status_code == 303
    replaced = session.exec(select(BodyLogo)).one()
    assert replaced.content_type == "image/jpeg" and blobs.read(session=session, sha256=logo.sha256) is None
    kept = blobs.read(session=session, sha256=replaced.sha256)
    assert SECRET not in kept and set(jpeg_segments(kept)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xC2, 0xDD}  # pixels only
    document = download(client, stage2, lang=lang)
    assert has_picture_of(document, RED) and not has_picture_of(document, GREEN)

    # Removed: the setting's file again
    assert client.post("/report-templates/logo/delete", follow_redirects=False).status_code == 303
    assert session.exec(select(BodyLogo)).first() is None
    assert blobs.read(session=session, sha256=replaced.sha256) is None
    document = download(client, stage2, lang=lang)
    assert has_picture_of(document, NAVY) and not has_picture_of(document, RED)
    assert client.get("/report-templates/logo").status_code == 404

    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "body_logo").order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["create", "delete", "create", "delete"]


def _huge_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, "PNG")  # 64 million pixels in a small file
    return buffer.getvalue()


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(buffer, "GIF")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not an image at all", "This is not a logo we can read. Use a PNG or JPEG image."),
        (_gif(), "This is not a logo we can read. Use a PNG or JPEG image."),
        (_huge_png(), "The logo has more than 50 million pixels."),
        (b"", "The file is empty."),
    ],
    ids=["text", "gif", "too-many-pixels", "empty"],
)
def test_a_file_that_is_no_logo_is_refused_with_a_clear_message_and_nothing_is_stored(
    client, session, content, message
):
    refused = upload_logo(client, content)
    assert refused.status_code == 422 and message in refused.text and 'role="alert"' in refused.text
    assert session.exec(select(BodyLogo)).first() is None


def test_only_an_installation_admin_changes_the_logo(login, make_user, make_organisation, session):
    organisation_admin = login(make_user("admin", organisation=make_organisation(name="Kunde A/S")))
    page = organisation_admin.get("/report-templates").text
    assert 'action="/report-templates/logo"' not in page
    assert upload_logo(organisation_admin, png_with_text()).status_code == 403
    assert organisation_admin.post("/report-templates/logo/delete").status_code == 403
    assert session.exec(select(BodyLogo)).first() is None
