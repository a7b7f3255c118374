"""The Word reports, read back with python-docx: the facts, the findings, the NC forms, nothing confidential,
in both languages; the raw XML the workarounds write; the report details the team fills in."""

import io
import re
from collections.abc import Iterator

import pytest
from docx import Document
from docx.shared import Mm
from lxml import etree
from PIL import Image
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.demo import ANSWERS, FINDINGS, create_demo
from auditor.i18n import translate
from auditor.models import Audit, User
from auditor.reports.context import tint
from auditor.reports.docx_xml import add_field, repeat_as_header, shade_cell
from auditor.schemas import EvidenceIn
from auditor.services import cases, evidence, findings, photos
from tests.conftest import savepoint_session

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
REPORTS = {
    "audit_report": "report.docx",
    "nonconformity_report": "nonconformity-report.docx",
    "checklist": "checklist.docx",
}
CONFIDENTIAL = "Fortæller i fortrolighed"  # the demo's confidential interview note


def download(client, audit, kind="audit_report", lang=None):
    response = client.get(f"/api/v1/audits/{audit.id}/{REPORTS[kind]}", params={"lang": lang} if lang else None)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return Document(io.BytesIO(response.content))


def all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    parts.extend(p.text for section in document.sections for p in section.footer.paragraphs)
    return "\n".join(parts)


def key_values(table) -> dict[str, str]:
    return {row.cells[0].text: row.cells[1].text for row in table.rows}


def table_after(document, *headings: str):
    """The first table whose header row starts with these column headings."""
    return next(t for t in document.tables if [c.text for c in t.rows[0].cells[: len(headings)]] == list(headings))


def cell_fill(cell) -> str | None:
    shading = cell._tc.tcPr.find(f"{W}shd") if cell._tc.tcPr is not None else None
    return shading.get(f"{W}fill") if shading is not None else None


def images(document) -> int:
    return len(document.element.body.findall(f".//{W}drawing"))


def demo_lead(session) -> User:
    return session.exec(select(User).where(User.email == "lead@auditor.example")).one()


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


# The audit report


def test_the_cover_has_the_facts_report_id_and_version_on_a4(client, demo_audit):
    client.patch(f"/api/v1/audits/{demo_audit.id}/report-details", json={"report_version": "2.1"}).raise_for_status()
    document = download(client, demo_audit, lang="en")
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    cover = key_values(document.tables[0])
    assert cover["Organisation"] == "Nordlys Logistik A/S (demo) (CVR 12345678)\nHavnevej 12, 8000 Aarhus C"
    assert cover["Audit type"] == "Surveillance audit"
    assert cover["Sites / production units"].startswith("Hovedkontor, Vejle")
    assert cover["Lead auditor"] == "Mette Lund"
    assert cover["Audit team"] == "Jonas Krogh"
    assert cover["Report id and version"] == f"A{demo_audit.id:05d}, version 2.1"
    footer = section.footer.paragraphs[0]
    assert footer.text.startswith(f"A{demo_audit.id:05d} v2.1 · Nordlys Logistik A/S (demo) · Page ")
    assert [el.text.strip() for el in footer._p.iter(f"{W}instrText")] == ["PAGE", "NUMPAGES"]


def test_objectives_scope_criteria_plan_summary_and_conclusion(client, demo_audit):
    client.patch(
        f"/api/v1/audits/{demo_audit.id}/report-details",
        json={
            "summary": "Systemet er i hovedsagen effektivt.",
            "conclusion": "Kriterierne er opfyldt med to mindre afvigelser.",
            "recommendation": "certify_after_minor_plans",
            "plan_deviations": "Interview med SU flyttet til dag 2.",
        },
    ).raise_for_status()
    document = download(client, demo_audit, lang="en")
    text = all_text(document)
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for heading in (
        "Audit objectives, scope and criteria",
        "Audit plan as carried out",
        "Summary and conclusion",
        "Statistics",
        "Findings",
        "Nonconformities",
        "Good practice",
        "Checklist responses",
        "About this report",
        "Signatures",
    ):
        assert heading in headings
    assert demo_audit.scope in text and demo_audit.objectives in text
    assert "Systemet er i hovedsagen effektivt." in text and "Kriterierne er opfyldt med to mindre afvigelser." in text
    assert "Recommended once the plans for the minor nonconformities are accepted" in text
    assert "Interview med SU flyttet til dag 2." in text
    plan = table_after(document, "Date")
    assert any("Opening meeting" in row.cells[2].text for row in plan.rows[1:])


def test_statistics_by_verdict_and_by_section_with_a_chart(client, demo_audit):
    document = download(client, demo_audit, lang="en")
    counts = {row.cells[0].text: int(row.cells[1].text) for row in table_after(document, "Verdict").rows[1:]}
    assert counts["Minor nonconformity"] == sum(1 for verdict, _ in ANSWERS.values() if verdict == "minor_nc")
    assert counts["Conform"] == sum(1 for verdict, _ in ANSWERS.values() if verdict == "conform")
    assert "Nonconformity" not in counts  # ungraded NC is for internal audits only
    by_section = table_after(document, "Section")
    assert sum(int(row.cells[2].text) for row in by_section.rows[1:-1]) == len(ANSWERS)  # the last row: the totals
    assert by_section.rows[1].cells[0].text.startswith("4 ")
    assert f"{len(ANSWERS)} of " in all_text(document)
    assert images(document) >= 1  # the chart


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_statistics_by_section_agree_with_the_findings_and_the_one_line_summaries(client, demo_audit, lang):
    """Every section with questions has its row, answered or not, and a totals row; the nonconformities are the NC
    forms, the observations and good practice the findings table's (a finding on no question has a row of its own),
    and "not audited on this visit" is what the sections' one-line summaries say."""
    for kind in ("minor_nc", "ofi"):
        client.post(
            f"/api/v1/audits/{demo_audit.id}/findings", json={"kind": kind, "statement": "Set på rundgangen."}
        ).raise_for_status()
    document = download(client, demo_audit, lang=lang)

    def t(message):
        return translate(message, lang)

    table = table_after(document, t("Section"))
    header = [cell.text for cell in table.rows[0].cells]
    assert header[3] == t("Not audited on this visit")
    rows = {row.cells[0].text: [int(cell.text) for cell in row.cells[1:]] for row in table.rows[1:]}
    total = rows.pop(t("Total"))
    assert [row.cells[0].text for row in table.rows][-1] == t("Total")
    assert total == [sum(column) for column in zip(*rows.values(), strict=True)]
    unlinked = rows.pop(t("Not raised on a checklist question"))
    assert unlinked == [0, 0, 0, 0, 1, 1, 0]
    items, answered, not_audited, conform, ncs, observations, good_practice = total
    assert answered == len(ANSWERS) and conform == sum(1 for verdict, _ in ANSWERS.values() if verdict == "conform")
    operation = next(counts for title, counts in rows.items() if title.startswith("8 "))
    assert operation[1] == 0 and operation[2] == operation[0]  # a section with nothing answered has its row

    kinds = [finding["kind"] for finding in client.get(f"/api/v1/audits/{demo_audit.id}/findings").json()]
    assert ncs == sum(1 for kind in kinds if kind in ("major_nc", "minor_nc", "nc")) == 4
    assert observations == sum(1 for kind in kinds if kind in ("observation", "ofi"))
    assert good_practice == kinds.count("good_practice")

    # Not audited on this visit, as the one-line summaries under each section count it
    summary = re.compile(
        re.escape(t("Not audited on this visit: {count} of {total} items."))
        .replace(re.escape("{count}"), r"(\d+)")
        .replace(re.escape("{total}"), r"\d+")
    )
    said: dict[str, int] = dict.fromkeys(rows, 0)
    current = None
    for paragraph in document.paragraphs:
        if paragraph.text in rows:
            current = paragraph.text
        elif (match := summary.fullmatch(paragraph.text)) and current:
            said[current] += int(match.group(1))
    assert {title: counts[2] for title, counts in rows.items()} == said
    assert not_audited == sum(said.values()) == items - answered  # the demo notes nothing it did not answer


def test_findings_are_colour_coded_and_each_nc_has_its_form_with_a_deadline(client, demo_audit, settings):
    document = download(client, demo_audit, lang="en")
    table = table_after(document, "No.")
    assert [row.cells[0].text for row in table.rows[1:]] == ["F-001", "F-002", "F-003", "F-004", "F-005"]
    assert table.rows[1].cells[1].text == "Minor nonconformity"
    assert cell_fill(table.rows[1].cells[1]) == tint(v.VERDICTS["minor_nc"].colour)
    assert cell_fill(table.rows[4].cells[1]) == tint(v.VERDICTS["good_practice"].colour)
    forms = [key_values(t) for t in document.tables if t.rows[0].cells[0].text == "Nonconformity"]
    # the three minor NCs (one for each minor verdict), not the observation
    assert [f["Nonconformity"] for f in forms] == ["F-001", "F-002", "F-005"]
    assert forms[0]["Statement of nonconformity"] == FINDINGS[0].statement
    assert forms[0]["Objective evidence"] == FINDINGS[0].evidence
    assert forms[0]["Grade"] == "Minor nonconformity"
    days = settings.deadline_policy["minor_nc"]["plan"]
    assert re.search(r"\d{4}", forms[0]["Response due (root cause and corrective action plan)"]), (
        f"{days}-day deadline missing"
    )


def test_good_practice_has_its_own_section(client, demo_audit):
    document = download(client, demo_audit, lang="en")
    paragraphs = [p.text for p in document.paragraphs]
    start = paragraphs.index("Good practice")
    assert FINDINGS[3].statement in paragraphs[start + 1]


def test_responses_clause_by_clause_with_notes_evidence_and_photos(client, session, demo_audit, settings, lead):
    item_id = "iso45003.5.2.communicated"
    picture = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 30)).save(picture, "JPEG")
    team_member = demo_lead(session)
    photos.add_photo(
        session=session,
        actor=team_member,
        audit=demo_audit,
        item_id=item_id,
        content=picture.getvalue(),
        caption="Opslagstavle i kantinen",
    )
    photos.add_photo(
        session=session,
        actor=team_member,
        audit=demo_audit,
        item_id=item_id,
        content=picture.getvalue(),
        caption="Whiteboard med navne",
        confidential=True,
    )
    finding = findings.list_findings(session=session, audit=demo_audit)[0]
    photos.add_photo(
        session=session,
        actor=team_member,
        audit=demo_audit,
        finding_id=finding.id,
        content=picture.getvalue(),
        caption="Vagtplan uden vikarer",
    )
    before = images(download(client, demo_audit, lang="en"))
    document = download(client, demo_audit, lang="en")
    text = all_text(document)
    assert "Kontekstanalyse fra marts 2026 gennemgået" in text
    assert "Group interview (Employees, 4): Tre af fire kendte ikke politikken" in text
    assert "Opslagstavle i kantinen" in text and "Vagtplan uden vikarer" in text
    assert "Whiteboard med navne" not in text
    assert (
        images(document) == before == 3
    )  # the chart, the item's photo and the finding's photo; never the confidential one
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    after = headings[headings.index("Checklist responses") + 1 :]
    assert (
        after[0].startswith("4 ")
        and any(h.startswith("4.1.1 ") for h in after)
        and any(h.startswith("10.3 ") for h in after)
    )


@pytest.mark.parametrize("kind", list(REPORTS))
@pytest.mark.parametrize("lang", ["da", "en"])
def test_no_report_carries_confidential_evidence(client, demo_audit, kind, lang):
    text = all_text(download(client, demo_audit, kind, lang))
    assert CONFIDENTIAL not in text
    assert "Mette Lund" in text or (
        kind == "checklist" and "Mette" in text
    )  # the lead auditor, to show the report has content


def test_the_danish_certificate_facts_only_when_the_audit_is_for_one(client, session, demo_audit):
    document = download(client, demo_audit, lang="da")
    assert "Anerkendt arbejdsmiljøcertifikat (Danmark)" not in [p.text for p in document.paragraphs]
    lead = demo_lead(session)
    sites = client.get(f"/api/v1/audits/{demo_audit.id}/report-details").json()["production_units"]
    client.patch(
        f"/api/v1/audits/{demo_audit.id}/report-details",
        json={
            "dk_certificate": True,
            "bek1407_auditor_id": lead.id,
            "production_units": [
                {
                    "site_id": sites[0]["site_id"],
                    "material_hours": 6.5,
                    "significant_problems": "Ingen væsentlige arbejdsmiljøproblemer fundet.",
                }
            ],
        },
    ).raise_for_status()
    document = download(client, demo_audit, lang="da")
    assert "Anerkendt arbejdsmiljøcertifikat (Danmark)" in [p.text for p in document.paragraphs]
    facts = next(key_values(t) for t in document.tables if t.rows[0].cells[0].text == "Auditor uddannet efter BEK 1407")
    assert facts["Audittid på det faktiske arbejdsmiljø"] == "6,5 timer"
    units = table_after(document, "Produktionsenhed", "Timer på det faktiske arbejdsmiljø")
    assert [row.cells[2].text for row in units.rows[1:]] == [
        "Ingen væsentlige arbejdsmiljøproblemer fundet.",
        "Ingen fundet.",
    ]
    assert "P-nr." in units.rows[1].cells[0].text


def test_the_recommendation_is_for_certification_audits_only(client, make_audit):
    internal = make_audit(audit_type="internal")
    headings = [p.text for p in download(client, internal, lang="en").paragraphs]
    assert "The audit team's recommendation" not in headings
    surveillance = make_audit()
    assert "The audit team's recommendation" in [p.text for p in download(client, surveillance, lang="en").paragraphs]


def test_disclaimer_confidentiality_and_signatures(client, demo_audit):
    client.patch(
        f"/api/v1/audits/{demo_audit.id}/report-details", json={"auditee_representative": "Anne Holm, direktør"}
    ).raise_for_status()
    document = download(client, demo_audit, lang="en")
    text = all_text(document)
    assert "based on a sample" in text and "confidential between the audit client" in text
    signatures = table_after(document, "Role")
    assert [[c.text for c in row.cells[:2]] for row in signatures.rows[1:]] == [
        ["Lead auditor", "Mette Lund"],
        ["Auditee representative", "Anne Holm, direktør"],
    ]


def test_the_table_of_contents_lists_the_headings_with_page_fields(client, demo_audit):
    document = download(client, demo_audit, lang="en")
    body = document.element.body
    pagerefs = [i.text.split()[1] for i in body.iter(f"{W}instrText") if i.text.strip().startswith("PAGEREF")]
    bookmarks = {b.get(f"{W}name") for b in body.iter(f"{W}bookmarkStart")}
    assert len(pagerefs) > 10 and set(pagerefs) <= bookmarks
    entries = [
        p.text
        for p in document.paragraphs
        if p._p.find(f".//{W}instrText") is not None and "PAGEREF" in etree.tostring(p._p).decode()
    ]
    assert entries[0].startswith("Audit objectives, scope and criteria") and any(
        e.startswith("F-001 Minor nonconformity") for e in entries
    )
    assert document.settings.element.find(f"{W}updateFields").get(f"{W}val") == "true"


def test_header_rows_repeat_on_every_list_table(client, demo_audit):
    document = download(client, demo_audit)
    lists = [
        t
        for t in document.tables
        if t.rows[0].cells[0].text in {"Dato", "Vurdering", "Afsnit", "Nr.", "Punkt", "Rolle"}
    ]
    assert len(lists) >= 6
    assert all(t.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None for t in lists)


def test_the_report_language_changes_the_report_not_the_notes(client, demo_audit):
    danish, english = (
        all_text(download(client, demo_audit, lang="da")),
        all_text(download(client, demo_audit, lang="en")),
    )
    assert "Auditrapport" in danish and "Audit report" in english
    assert "Afvigelser" in danish and "Nonconformities" in english
    for text in (danish, english):
        assert "Kontekstanalyse fra marts 2026 gennemgået" in text


def test_a_report_with_nothing_answered_still_opens(client, make_audit):
    document = download(client, make_audit(), lang="en")
    text = all_text(document)
    assert "No findings were raised." in text and "No nonconformities were raised." in text and "0 of " in text


def test_text_that_looks_like_markup_or_tags_is_printed_as_written(client, session, make_audit, lead, first_item_id):
    audit = make_audit()
    note = 'Leder: "<b>pres</b> & {{ audit.title }}"\nanden linje'
    client.put(
        f"/api/v1/audits/{audit.id}/responses/{first_item_id}", json={"verdict": "conform", "note": note, "version": 0}
    ).raise_for_status()
    document = download(client, audit, lang="en")
    assert 'Leder: "<b>pres</b> & {{ audit.title }}"\nanden linje' in all_text(document)


def test_bad_language_is_422(client, make_audit):
    audit = make_audit()
    for path in REPORTS.values():
        assert client.get(f"/api/v1/audits/{audit.id}/{path}", params={"lang": "de"}).status_code == 422


# The nonconformity report and the blank checklist


def test_the_nonconformity_report_has_deadlines_room_for_the_response_and_the_case_status(
    client, session, demo_audit, admin
):
    second = findings.list_findings(session=session, audit=demo_audit)[1]
    case = cases.case_for_finding(session=session, finding_id=second.id)
    cases.record_correction(
        session=session, actor=admin, case=case, correction="Chaufførernes kundekontakt er sat på APV-planen."
    )
    document = download(client, demo_audit, "nonconformity_report", "en")
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["Received", "F-001 Minor nonconformity", "The organisation's response"]
    assert headings.count("The organisation's response") == 3
    form = next(key_values(t) for t in document.tables if t.rows[0].cells[0].text == "Nonconformity")
    assert form["Statement of nonconformity"] == FINDINGS[0].statement and re.search(
        r"\d{4}", form["Response due (root cause and corrective action plan)"]
    )
    first, second_response, _ = [key_values(t) for t in document.tables if t.rows[0].cells[0].text == "Step"]
    assert first["Case and status"].endswith(": Plan accepted")  # the demo's case in motion
    assert first["Root cause"].startswith("APV-proceduren beskriver kun fastansatte")
    assert "Ret APV-proceduren, så vikarer og indlejede altid er med." in first["Corrective action (owner, due date)"]
    assert second_response["Case and status"] == f"{cases.case_reference(case)}: Correction done"
    assert second_response["Correction"] == "Chaufførernes kundekontakt er sat på APV-planen."
    assert second_response["Root cause"] == ""  # room to write it
    assert "Holdledere har ikke klare beføjelser" not in all_text(document)  # the observation is not an NC


def test_the_blank_checklist_has_every_question_and_no_answers(client, session, demo_audit, library):
    document = download(client, demo_audit, "checklist", "en")
    text = all_text(document)
    items = [row for t in document.tables if t.rows[0].cells[0].text == "Item" for row in t.rows[1:]]
    assert len(items) == demo_audit.item_total
    assert all(row.cells[3].text == "" for row in items)
    assert "☐\u00a0Conform" in items[0].cells[2].text and "☐\u00a0Major NC" in items[0].cells[2].text
    assert "Kontekstanalyse fra marts 2026 gennemgået" not in text  # a blank checklist carries no notes


@pytest.mark.parametrize("kind", ["audit_report", "checklist"])
def test_the_cover_says_who_wrote_each_checklist_and_what_inspired_it(client, make_audit, library, kind):
    audit = make_audit(audit_type="internal", checklists=["at-internal-audit", "iso45003-clauses"])
    for lang in ("da", "en"):
        document = download(client, audit, kind, lang)
        cover = key_values(document.tables[0])
        shipped = [library.get(checklist_id).checklist for checklist_id in ("at-internal-audit", "iso45003-clauses")]
        assert cover["Tjeklister" if lang == "da" else "Checklists"].splitlines() == [
            f"{getattr(checklist.title, lang)} (v{checklist.version})" for checklist in shipped
        ]
        contents = next(
            i
            for i, p in enumerate(document.paragraphs)
            if p.text.startswith(("Indhold", "Contents", "Sæt kryds", "Tick one"))
        )
        on_the_cover = [p.text for p in document.paragraphs[:contents]]
        assert [f"{getattr(c.title, lang)}: {getattr(c.attribution, lang)}" for c in shipped] == on_the_cover[-2:]
    assert "inspired by Arbejdstilsynet" in on_the_cover[-2]


def test_steps_of_the_audit_are_reported_but_not_counted(client, make_audit, library):
    audit = make_audit(audit_type="internal", checklists=["at-internal-audit"])
    for item_id, verdict in (
        ("at-internal.prepare.background", "done"),
        ("at-internal.prepare.previous-results", "not_done"),
        ("at-internal.conduct.hr.data", "nc"),
        ("at-internal.conduct.sl.strategy", "conform"),
    ):
        client.put(
            f"/api/v1/audits/{audit.id}/responses/{item_id}", json={"verdict": verdict, "version": 0}
        ).raise_for_status()
    questions = sum(1 for item in library.get("at-internal-audit").checklist.items() if not item.is_step)
    report = download(client, audit, "audit_report", "en")
    text = all_text(report)
    assert f"2 of {questions} checklist questions answered" in text
    counts = key_values(table_after(report, "Verdict"))
    assert counts["Nonconformity"] == "1" and counts["Conform"] == "1" and "Done" not in counts
    by_section = {row.cells[0].text: row.cells[1].text for row in table_after(report, "Section").rows[1:]}
    assert set(by_section) == {"2 Conduct", "Total"}
    responses = [row for t in report.tables if t.rows[0].cells[0].text == "Item" for row in t.rows[1:]]
    assert {row.cells[0].text: row.cells[2].text for row in responses}["1-01"] == "Done"
    blank = [
        row
        for t in download(client, audit, "checklist", "en").tables
        if t.rows[0].cells[0].text == "Item"
        for row in t.rows[1:]
    ]
    boxes = {row.cells[0].text: row.cells[2].text for row in blank}
    assert boxes["1-01"] == "☐\u00a0Done  ☐\u00a0Not done"
    assert "☐\u00a0NC" in boxes["2-HR-01"] and "Done" not in boxes["2-HR-01"]


def test_an_internal_audit_report_is_confidential_without_a_certification_body(client, make_audit):
    internal = all_text(
        download(client, make_audit(audit_type="internal", checklists=["at-internal-audit"]), lang="da")
    )
    assert "fortrolig inden for den auditerede organisation" in internal and "certificeringsorgan" not in internal
    for audit_type in ("stage1", "surveillance"):
        assert "certificeringsorganet" in all_text(download(client, make_audit(audit_type=audit_type), lang="da"))


# Report details


def test_report_details_are_checked(client, demo_audit, make_user):
    outsider = make_user("auditor")
    answer = client.patch(f"/api/v1/audits/{demo_audit.id}/report-details", json={"bek1407_auditor_id": outsider.id})
    assert answer.status_code == 422
    assert (
        client.patch(f"/api/v1/audits/{demo_audit.id}/report-details", json={"recommendation": "maybe"}).status_code
        == 422
    )
    assert client.patch(f"/api/v1/audits/{demo_audit.id}/report-details", json={"md5_days": -1}).status_code == 422
    saved = client.patch(
        f"/api/v1/audits/{demo_audit.id}/report-details", json={"summary": "Kort.", "recommendation": ""}
    )
    assert saved.status_code == 200 and saved.json()["summary"] == "Kort."
    assert client.get(f"/api/v1/audits/{demo_audit.id}/report-details").json()["summary"] == "Kort."


# The raw-XML workarounds (python-docx has no API for these)


def test_shade_cell_writes_one_w_shd_with_the_fill():
    table = Document().add_table(rows=1, cols=1)
    cell = table.rows[0].cells[0]
    shade_cell(cell, "#b91c1c")
    shade_cell(cell, "#15803d")  # a second call replaces the first
    shading = cell._tc.tcPr.findall(f"{W}shd")
    assert len(shading) == 1 and shading[0].get(f"{W}fill") == "15803D" and shading[0].get(f"{W}val") == "clear"


def test_repeat_as_header_marks_the_row():
    table = Document().add_table(rows=2, cols=1)
    repeat_as_header(table.rows[0])
    assert table.rows[0]._tr.trPr.find(f"{W}tblHeader").get(f"{W}val") == "true"
    assert table.rows[1]._tr.trPr is None


def test_add_field_writes_a_complete_field():
    paragraph = Document().add_paragraph()
    add_field(paragraph, "NUMPAGES")
    kinds = [el.get(f"{W}fldCharType") for el in paragraph._p.iter(f"{W}fldChar")]
    assert kinds == ["begin", "separate", "end"]
    assert "NUMPAGES" in etree.tostring(paragraph._p).decode()


def test_evidence_is_listed_by_role_never_by_name(client, session, demo_audit, admin):
    evidence.add_evidence(
        session=session,
        actor=admin,
        audit=demo_audit,
        item_id="iso45003.5.2.communicated",
        data=EvidenceIn(
            method="interview_group",
            summary="To ledere bekræfter.",
            interviewee_role="first_line_management",
            interviewee_count=2,
        ),
    )
    assert "Group interview (First-line management, 2): To ledere bekræfter." in all_text(
        download(client, demo_audit, lang="en")
    )


def test_the_report_lists_the_roles_interviewed_as_iaf_md_22_asks(client, session, make_audit, admin, first_item_id):
    audit = make_audit()
    for role, count, confidential in (
        ("health_monitoring", 1, False),
        ("temporary_workers", 3, False),
        ("temporary_workers", 2, False),
        ("contractors", 1, True),
    ):
        evidence.add_evidence(
            session=session,
            actor=admin,
            audit=audit,
            item_id=first_item_id,
            data=EvidenceIn(
                method="interview_group",
                summary="Samtale",
                interviewee_role=role,
                interviewee_count=count,
                confidential=confidential,
            ),
        )
    document = download(client, audit, lang="en")
    rows = {
        row.cells[0].text: (row.cells[1].text, row.cells[2].text)
        for row in table_after(document, "Interviewee role").rows[1:]
    }
    assert rows["Staff who monitor workers' health (occupational health service, psychologist)"] == ("1", "1")
    assert rows["Temporary workers"] == ("2", "5")
    assert (
        rows["OH&S representative (AMR)"] == rows["Contractors' workers"] == ("not interviewed", "–")
    )  # a confidential one is not told
    assert len(rows) == len(v.ACTORS.values)


def test_report_details_of_a_closed_audit_stay_as_they_were(client, make_audit):
    audit = make_audit()
    for status in ("in_progress", "reporting", "closed"):
        client.post(f"/api/v1/audits/{audit.id}/status", json={"status": status}).raise_for_status()
    assert (
        client.patch(f"/api/v1/audits/{audit.id}/report-details", json={"summary": "Ændret bagefter"}).status_code
        == 409
    )
    assert client.get(f"/api/v1/audits/{audit.id}/report-details").json()["summary"] == ""


# Download names keep their letters (RFC 6266: filename* in UTF-8, an ASCII spelling for older clients)


def test_download_names_keep_danish_letters(client, make_audit, make_organisation):
    from urllib.parse import unquote

    audit = make_audit(title="Overvågningsaudit på Ærø")
    header = client.get(f"/api/v1/audits/{audit.id}/report.docx").headers["content-disposition"]
    plain, utf8 = header.split("; filename*=UTF-8''")
    assert plain.startswith('attachment; filename="') and "Overvaagningsaudit-paa-Aeroe" in plain and plain.isascii()
    assert "Overvågningsaudit-på-Ærø" in unquote(utf8)

    case = client.post(
        "/api/v1/cases", json={"organisation_id": make_organisation().id, "grade": "minor_nc", "statement": "Opslag"}
    ).json()
    uploaded = client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        files={"file": ("Referat – Łódź.pdf", b"%PDF-1.4\n% x\n", "application/pdf")},
    ).json()
    download = client.get(f"/api/v1/cases/{case['id']}/attachments/{uploaded['id']}")
    assert download.status_code == 200
    assert unquote(download.headers["content-disposition"].split("filename*=UTF-8''")[1]) == uploaded["filename"]
    assert "Lodz" in download.headers["content-disposition"]


# Rendered in a report process of its own (auditor/rendering.py)


def test_a_report_process_renders_the_reports_at_a_lower_priority_and_nothing_confidential(
    fresh_database_url, library, tmp_path
):
    """A real report process (AUDITOR_REPORT_PROCESSES=1) renders every kind of report from its own reading of the
    database: the serving process's render functions fail here, so a file can only come from the child. The audit's
    lead auditor, who sees the confidential note in the app, still gets a report without it."""
    import os
    from unittest import mock

    from fastapi.testclient import TestClient

    from auditor.app import create_app
    from auditor.config import Settings
    from auditor.db import unit_of_work
    from auditor.services import accounts

    engine = Settings(database_url=fresh_database_url).make_engine()
    with unit_of_work(engine) as session:
        audit_id = create_demo(session=session, library=library).audit.id
        _, token = accounts.create_token(session=session, user=demo_lead(session))
    engine.dispose()
    app = create_app(Settings(database_url=fresh_database_url, data_dir=tmp_path, report_processes=1), library=library)
    not_here = AssertionError("rendered in the serving process")
    with (
        mock.patch("auditor.services.reports.render_report", side_effect=not_here),
        TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client,
    ):
        texts = {}
        for kind, name in REPORTS.items():
            response = client.get(f"/api/v1/audits/{audit_id}/{name}", params={"lang": "da"})
            assert response.status_code == 200, response.text
            texts[kind] = all_text(Document(io.BytesIO(response.content)))
        children = app.state.reports.children()
        assert len(children) == 1 and os.getpid() not in children
        assert os.getpriority(os.PRIO_PROCESS, children[0]) == os.getpriority(os.PRIO_PROCESS, 0) + 10
        missing = client.get("/api/v1/audits/999999/report.docx")
    assert missing.status_code == 404
    assert app.state.reports.children() == []  # ended with the app
    for kind, text in texts.items():
        assert (CONFIDENTIAL not in text and "Mette Lund" in text.replace("\n", " ")) or kind == "checklist", kind
    assert "Mette" in texts["checklist"]


def test_the_report_prints_arbejdstilsynets_weighing_on_the_vap_items(client, make_audit):
    audit = make_audit(checklists=["at-external-audit"])
    client.put(
        f"/api/v1/audits/{audit.id}/responses/at-external.vap.workload",
        json={
            "verdict": "minor_nc",
            "weighing": {"occurrence": "Dagligt i højsæson", "health_effects": "Sygefravær steget 40 %"},
            "version": 0,
        },
    )
    text = all_text(download(client, audit, lang="da"))
    assert "Forekomst: Dagligt i højsæson" in text and "Tegn på helbredseffekter: Sygefravær steget 40 %" in text
    assert "Forværrende faktorer:" not in text  # a part not written is not printed
    assert "Occurrence: Dagligt i højsæson" in all_text(download(client, audit, lang="en"))
