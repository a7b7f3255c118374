"""Templates customers edit in Word: the starters, checking an upload (refused with the line and the reason,
the template in use unchanged), which template a report uses, and the documented variables."""

import io
import re
import zipfile

import pytest
from docx import Document

from auditor.demo import create_demo
from auditor.reports import engine
from auditor.reports.context import build_report_context
from auditor.reports.starters import starter_template
from auditor.reports.variables import VARIABLES, sample_context, variable_paths

KINDS = ["audit_report", "nonconformity_report", "checklist"]


def docx(*paragraphs: str, footer: str | None = None) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if footer is not None:
        document.sections[0].footer.paragraphs[0].text = footer
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def text_of(content: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)


def upload(client, content: bytes, kind="audit_report", language="en", filename="ours.docx", **form):
    return client.post(
        "/api/v1/report-templates",
        files={"file": (filename, content, "application/octet-stream")},
        data={"kind": kind, "language": language, **form},
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_starter_passes_its_own_check(kind, lang):
    assert engine.check(starter_template(kind, lang), sample_context(lang)) is None


@pytest.mark.parametrize(
    ("paragraphs", "line", "reason"),
    [
        (["Rapport", "{{ audit.title }", "slut"], 2, "the tags cannot be read"),
        (["Rapport", "Titel: {{ audit.titel }}"], 2, "unknown variable titel"),
        (["{{ kunde.navn }}"], 1, "unknown variable kunde"),
        (["{% for f in findings %}", "{{ f.reference }}"], None, "tags cannot be read"),
        (["{{ ''.__class__.__mro__ }}"], 1, "not allowed in a template"),
    ],
)
def test_a_broken_template_is_refused_with_the_line_and_the_reason(paragraphs, line, reason):
    problem = engine.check(docx(*paragraphs), sample_context("en"))
    assert problem is not None
    message = problem.message.format(**problem.params)
    assert reason in message
    if line is None:
        assert message.startswith("The tags cannot be read") or message.startswith("Line ")
    else:
        assert message.startswith(f"Line {line} (“")
        assert problem.params["text"].startswith(paragraphs[line - 1])  # the paragraph the author can find in Word


def test_a_tag_in_the_footer_is_checked_too():
    problem = engine.check(docx("Rapport", footer="{{ rapport.id }}"), sample_context("en"))
    assert problem is not None and problem.params["name"] == "rapport"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a zip at all", "This is not a Word document (.docx)."),
        (b"PK\x03\x04 broken zip", "This is not a Word document (.docx)."),
    ],
)
def test_a_file_that_is_not_a_word_document_is_refused(content, message):
    assert engine.check(content, sample_context("en")).message == message


def test_values_are_escaped_and_the_sandbox_holds():
    rendered = engine.render(
        docx("{{ audit.title }}"),
        {
            **sample_context("en"),
            "audit": sample_context("en")["audit"].__class__(
                **{**sample_context("en")["audit"].__dict__, "title": "<w:p>&amp; </w:t>"}
            ),
        },
    )
    assert "<w:p>&amp; </w:t>" in text_of(rendered)


# Uploading through the API


def test_an_upload_is_used_for_the_report_and_removing_it_brings_the_starter_back(client, make_audit):
    audit = make_audit()
    answer = upload(client, docx("EGEN SKABELON {{ audit.title }}", footer="{{ report.id }}"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["in_use"] is True
    report = client.get(f"/api/v1/audits/{audit.id}/report.docx", params={"lang": "en"})
    assert text_of(report.content).startswith(f"EGEN SKABELON {audit.title}")
    assert client.delete(f"/api/v1/report-templates/{answer.json()['id']}").status_code == 204
    report = client.get(f"/api/v1/audits/{audit.id}/report.docx", params={"lang": "en"})
    assert "EGEN SKABELON" not in text_of(report.content) and "Audit report" in text_of(report.content)


def test_a_refused_upload_leaves_the_template_in_use(client, make_audit):
    audit = make_audit()
    good = upload(client, docx("GOD {{ audit.title }}")).json()
    refused = upload(client, docx("Overskrift", "{{ audit.titel }}"))
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Line 2 (“{{ audit.titel }}”): unknown variable titel."
    listed = client.get("/api/v1/report-templates").json()
    assert [(t["id"], t["in_use"]) for t in listed] == [(good["id"], True)]
    assert text_of(client.get(f"/api/v1/audits/{audit.id}/report.docx", params={"lang": "en"}).content).startswith(
        "GOD "
    )


def test_the_refusal_is_in_danish_for_a_danish_user(client, login, admin):
    danish = login(admin, language="da")
    refused = upload(danish, docx("Overskrift", "{{ audit.titel }}"))
    assert refused.json()["detail"] == "Linje 2 (“{{ audit.titel }}”): ukendt variabel titel."


def test_the_most_specific_template_wins(client, make_audit, make_organisation):
    own = make_organisation(name="Egen A/S")
    audit = make_audit(organisation=own, audit_type="internal")
    other = make_audit(audit_type="surveillance")
    for text, form in (
        ("PROVIDER", {}),
        ("PROVIDER-INTERNAL", {"audit_type": "internal"}),
        ("OWN", {"organisation_id": own.id}),
    ):
        assert upload(client, docx(text), **form).status_code == 201

    def used(a, lang="en"):
        return text_of(client.get(f"/api/v1/audits/{a.id}/report.docx", params={"lang": lang}).content).split("\n")[0]

    assert used(audit) == "OWN"  # the organisation's own beats the provider's, even the provider's for the audit type
    assert used(other) == "PROVIDER"
    assert upload(client, docx("OWN-INTERNAL"), organisation_id=own.id, audit_type="internal").status_code == 201
    assert used(audit) == "OWN-INTERNAL"
    assert used(audit, "da") == "Auditrapport"  # an English upload does not change the Danish report


def test_an_organisation_admin_manages_only_its_own_templates(client, login, make_user, make_organisation):
    own, foreign = make_organisation(name="Egen A/S"), make_organisation(name="Fremmed A/S")
    provider = upload(client, docx("PROVIDER")).json()
    organisation_admin = login(make_user("admin", organisation=own))
    assert upload(organisation_admin, docx("X"), organisation_id=foreign.id).status_code == 403
    assert upload(organisation_admin, docx("X")).status_code == 403  # the provider's own is the installation's
    mine = upload(organisation_admin, docx("MINE"), organisation_id=own.id)
    assert mine.status_code == 201
    assert {t["id"] for t in organisation_admin.get("/api/v1/report-templates").json()} == {
        provider["id"],
        mine.json()["id"],
    }
    assert organisation_admin.delete(f"/api/v1/report-templates/{provider['id']}").status_code == 403


def test_bad_upload_fields_are_422(client):
    assert upload(client, docx("x"), kind="memo").status_code == 422
    assert upload(client, docx("x"), audit_type="yearly").status_code == 422
    assert upload(client, docx("x"), filename="report.pdf").status_code == 422
    assert upload(client, docx("x"), organisation_id=987654).status_code == 404


def test_starters_and_the_variable_list_download(client):
    for kind in KINDS:
        for lang in ("da", "en"):
            answer = client.get(f"/api/v1/report-templates/starters/{kind}.docx", params={"lang": lang})
            assert answer.status_code == 200 and answer.content == starter_template(kind, lang)
    variables = {
        v["name"]: v["description"]
        for v in client.get("/api/v1/report-templates/variables", params={"lang": "da"}).json()
    }
    assert variables["audit.title"] == "Auditens titel" and set(variables) == set(VARIABLES)


# The documented variables are the real ones


def test_the_variable_list_matches_the_sample_and_the_real_report(session, library, settings):
    assert set(variable_paths(sample_context("en"))) == set(VARIABLES)
    audit = create_demo(session=session, library=library).audit
    real = build_report_context(
        session=session, audit=audit, kind="audit_report", lang="en", policy=settings.deadline_policy
    )
    assert set(variable_paths(real)) <= set(VARIABLES)
    assert {"findings[].case.actions[].owner", "sections[].items[].evidence[]", "plan[].auditee_role"} <= set(
        variable_paths(real)
    )


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (engine.MAX_UNPACKED_BYTES + 1))
    problem = engine.check(buffer.getvalue(), sample_context("en"))
    assert problem.message == "The file is larger than {mb} MB." and problem.params == {"mb": 100}


def test_the_uploaded_file_name_is_kept_safe_for_the_download_header(client):
    answer = upload(client, docx("X"), filename='a"b\\c;d.docx')
    name = answer.json()["filename"]
    assert re.fullmatch(r"a_[\w]*b_c_d\.docx", name), name
    download = client.get(f"/api/v1/report-templates/{answer.json()['id']}.docx")
    assert download.headers["content-disposition"] == f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"


def test_a_template_that_fails_on_an_audit_s_values_is_a_clear_409_not_a_500(client, make_audit):
    # passes the check (the sample's finding has a case), but an observation has none
    assert (
        upload(client, docx("{%p for f in findings %}", "{{ f.case.reference }}", "{%p endfor %}")).status_code == 201
    )
    audit = make_audit()
    assert (
        client.post(f"/api/v1/audits/{audit.id}/findings", json={"kind": "observation", "statement": "x"}).status_code
        == 201
    )
    answer = client.get(f"/api/v1/audits/{audit.id}/report.docx", params={"lang": "en"})
    assert answer.status_code == 409
    assert answer.json()["detail"].startswith("The report template “ours.docx” cannot be used for this audit (")


@pytest.mark.parametrize(
    "tag",
    ['{% include "other.docx" %}', '{% import "macros" as m %}', '{% extends "base" %}', '{% from "x" import y %}'],
)
def test_a_template_that_loads_another_is_refused_with_a_clear_message(client, tag):
    response = upload(client, docx("Rapport", tag, "{{ audit.title }}"))
    assert response.status_code == 422, response.text
    assert "cannot load other templates" in response.json()["detail"]


def test_a_refusal_that_shows_tags_is_shown_as_it_is(client, monkeypatch):
    """The message about the document's structure names {% for %}: it is shown, not taken for a placeholder."""
    monkeypatch.setattr(engine, "check", lambda template, sample: engine.TemplateProblem(engine.BROKEN_STRUCTURE))
    response = upload(client, docx("{{ audit.title }}"))
    assert (
        response.status_code == 422
        and "A {% for %} or {% if %} that starts in one paragraph" in response.json()["detail"]
    )
    page = client.post(
        "/report-templates",
        files={"file": ("ours.docx", docx("x"), "application/octet-stream")},
        data={"kind": "audit_report", "language": "en"},
    )
    assert page.status_code == 422 and "A {% for %} or {% if %} that starts" in page.text


@pytest.mark.parametrize(
    ("paragraphs", "reason"),
    [
        (["{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"], "loops run more than"),
        (["{{ 'x' * 50000000 }}"], "repetition that long"),
        (["{% set a = 'x' * 5000 %}{% for i in range(10000) %}{{ a }}{% endfor %}"], "longer than"),
        (["{{ 9 ** 999999999 }}"], "power that large"),
    ],
)
def test_a_template_that_would_take_the_server_s_time_is_refused(client, paragraphs, reason):
    response = upload(client, docx("Rapport", *paragraphs))
    assert response.status_code == 422, response.text
    assert reason in response.json()["detail"]


def test_a_real_report_still_loops_over_what_the_audit_has(client, make_audit):
    template = docx("{% for i in range(50) %}{{ audit.title }} {% endfor %}")
    assert upload(client, template).status_code == 201
    audit = make_audit()
    assert client.get(f"/api/v1/audits/{audit.id}/report.docx", params={"lang": "en"}).status_code == 200
