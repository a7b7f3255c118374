"""Audit time by IAF MD 5 for OH&S management systems (services/audit_time.py, auditor/data/iaf_md5_ohs.yaml)."""

from __future__ import annotations

import pytest

from auditor.errors import Invalid
from auditor.models import Organisation
from auditor.schemas import AuditTimeIn, ReportDetails, TimeAdjustment
from auditor.services import audit_time, audits
from tests.test_reports import download, key_values


@pytest.mark.parametrize(
    ("personnel", "risk", "days"),
    [
        # IAF MD 5:2019 Issue 4, Table OH&SMS 1 (page 29 of 33), as read at
        # https://scribd.com/document/737899053/IAF-MD5-2019: rows "1-5 3 2.5 2.5", "26-45 7 5.5 4", "626-875 17 13 10"
        (1, "high", 3),
        (30, "medium", 5.5),
        (700, "low", 10),
        # the bands' edges: 45 is the last of "26-45", 46 the first of "46-65 8 6 4.5"
        (45, "low", 4),
        (46, "low", 4.5),
        (10_700, "high", 34),
    ],
)
def test_audit_days_from_the_md5_table_for_sizes_and_risk_categories(personnel, risk, days):
    assert audit_time.table_days(personnel, risk) == days


def test_beyond_the_table_the_planner_is_told_to_follow_its_progression():
    with pytest.raises(Invalid) as refused:
        audit_time.table_days(10_701, "low")
    assert refused.value.params == {"count": 10_700}


def test_the_table_file_names_its_source_and_version():
    table = audit_time.md5_table()
    assert table.version == "IAF MD 5:2019 Issue 4"
    assert table.citation.startswith("IAF MD 5:2019 Determination of Audit Time") and "Table OH&SMS 1" in table.citation
    assert table.source["url"] and table.source["read_from"]


def test_the_effective_number_of_personnel_counts_part_time_and_temporary_staff():
    assert audit_time.effective_personnel(None, None, None) is None
    # 20 full-time on all shifts, part-time worth 4.5 full-time, one temporary: 25.5 people, counted as 26
    assert audit_time.effective_personnel(20, 4.5, 1) == 26
    assert audit_time.effective_personnel(25, None, None) == 25


@pytest.mark.parametrize(
    ("audit_type", "reduction", "md5_days"),
    [
        # 26 people, medium risk: 5.5 days for the initial audit (stage 1 + stage 2)
        ("stage1", None, 6.5),
        ("stage2", None, 6.5),
        ("surveillance", -3.67, 2.83),  # about a third of 5.5 (1.83), the planner's +1 day on top
        ("recertification", -1.83, 4.67),  # about two thirds of 5.5 (3.67), +1
        ("internal", None, 6.5),
    ],
)
def test_surveillance_and_recertification_take_a_share_of_the_initial_audit_time(
    session, lead, make_audit, audit_type, reduction, md5_days
):
    audit = make_audit(audit_type=audit_type)
    data = AuditTimeIn(
        personnel_full_time=26, ohs_risk="medium", adjustments=[TimeAdjustment(days=1, reason="Tre skift")]
    )
    audit_time.update_audit_time(session=session, actor=lead, audit=audit, data=data)
    time = audit_time.audit_time(audit=audit, dk_extra_percent=5)
    assert (time.table_days, time.reduction_days, time.md5_days, audit.md5_days) == (5.5, reduction, md5_days, md5_days)
    assert time.adjustments == [{"days": 1, "reason": "Tre skift"}]  # the planner's adjustments stay on top
    assert time.reduction_share == {"surveillance": "1/3", "recertification": "2/3"}.get(audit_type, "")


def test_the_reduction_is_its_own_line_with_its_reason_on_the_page_in_the_report_and_in_the_api(
    client, login, session, lead, make_audit
):
    audit = make_audit()  # a surveillance audit
    body = {"personnel_full_time": 3, "ohs_risk": "high", "adjustments": [{"days": 0.5, "reason": "To skift"}]}
    api = login(lead)
    saved = api.put(f"/api/v1/audits/{audit.id}/time", json=body).json()
    assert {k: saved[k] for k in ("table_days", "reduction_days", "reduction_share", "md5_days")} == {
        "table_days": 3.0,
        "reduction_days": -2.0,
        "reduction_share": "1/3",
        "md5_days": 1.5,
    }
    page = login(lead, language="da").get(f"/audits/{audit.id}/time").text
    assert "Overvågningsaudit: omkring 1/3 af tiden for førstegangsauditten" in page
    assert "-2" in page and "To skift" in page
    english = key_values(
        next(
            t
            for t in download(client, audit, lang="en").tables
            if t.rows[0].cells[0].text == "Effective number of personnel"
        )
    )
    assert english["Reduction by the audit's type"] == (
        "-2: Surveillance audit: about 1/3 of the initial audit time (stage 1 + stage 2), IAF MD 5"
    )
    assert english["Adjustments"] == "+0.5: To skift"


def test_adjustments_the_danish_extra_time_and_the_days_spent_are_recorded_and_printed(
    client, session, admin, lead, make_audit, bek1407_trained
):
    audit = make_audit(lead_auditor_id=bek1407_trained(lead).id, audit_type="stage2")
    audits.update_report_details(session=session, actor=admin, audit=audit, data=ReportDetails(dk_certificate=True))
    audit_time.update_audit_time(
        session=session,
        actor=lead,
        audit=audit,
        data=AuditTimeIn(
            personnel_full_time=20,
            personnel_part_time_fte=4.5,
            personnel_temporary=1,
            ohs_risk="medium",
            adjustments=[
                TimeAdjustment(days=1, reason="Tre skift"),
                TimeAdjustment(days=-0.5, reason="Ingen egen produktion"),
            ],
            actual_days=6,
        ),
    )
    assert audit.md5_days == 6  # 26 people, medium: 5.5 days; +1, -0.5
    time = audit_time.audit_time(audit=audit, dk_extra_percent=5)
    assert (time.table_days, time.dk_extra_days, time.planned_days) == (5.5, 0.3, 6.3)

    english = key_values(
        next(
            t
            for t in download(client, audit, lang="en").tables
            if t.rows[0].cells[0].text == "Effective number of personnel"
        )
    )
    assert english == {
        "Effective number of personnel": "26",
        "OH&S risk category": "Medium OH&S risk",
        "Days in the IAF MD 5 table (stage 1 + stage 2)": "5.5",
        "Reduction by the audit's type": "None.",  # a stage 2 audit takes the table's days
        "Adjustments": "+1: Tre skift; -0.5: Ingen egen produktion",
        "Audit days required by IAF MD 5": "6",
        "Extra time on the material work environment (Danish recognised certificate)": "5 %: 0.3",
        "Planned audit days": "6.3",
        "Audit days spent": "6",
        "Table": audit_time.md5_table().citation,
    }
    danish = key_values(
        next(
            t
            for t in download(client, audit, lang="da").tables
            if t.rows[0].cells[0].text == "Effektivt antal medarbejdere"
        )
    )
    assert danish["Risikokategori for arbejdsmiljø"] == "Middel arbejdsmiljørisiko"
    assert danish["Ekstra tid på det faktiske arbejdsmiljø (anerkendt arbejdsmiljøcertifikat)"] == "5 %: 0,3"


def test_the_audit_time_page_saves_the_inputs_for_the_lead_and_shows_them_to_the_client(
    login, session, lead, make_audit, make_user
):
    audit = make_audit(audit_type="stage2")
    client = login(lead, language="da")
    saved = client.post(
        f"/audits/{audit.id}/time",
        data={
            "personnel_full_time": "120",
            "personnel_part_time_fte": "0,5",
            "ohs_risk": "high",
            "adjustment_days": ["0.5", ""],
            "adjustment_reason": ["Mange byggepladser", ""],
            "actual_days": "",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert (audit.md5_days, audit.time_adjustments) == (11.5, [{"days": 0.5, "reason": "Mange byggepladser"}])
    page = client.get(f"/audits/{audit.id}/time")
    assert page.status_code == 200 and "Auditdage krævet efter IAF MD 5" in page.text and "11,5" in page.text

    missing_reason = client.post(
        f"/audits/{audit.id}/time", data={"adjustment_days": ["1"], "adjustment_reason": [""], "ohs_risk": "low"}
    )
    assert missing_reason.status_code == 422 and 'id="error-adjustments"' in missing_reason.text

    viewer = login(make_user("viewer", organisation=session.get(Organisation, audit.organisation_id)))
    assert viewer.post(f"/audits/{audit.id}/time", data={}).status_code == 403
    shown = viewer.get(f"/audits/{audit.id}/time")
    assert shown.status_code == 200 and "11.5" in shown.text and 'action="/audits/' not in shown.text


def test_the_api_sets_and_reads_the_audit_time(login, session, lead, make_audit):
    audit = make_audit(audit_type="stage1")
    api = login(lead)
    body = {"personnel_full_time": 3, "ohs_risk": "high", "adjustments": [{"days": -0.5, "reason": "Ét kontor"}]}
    saved = api.put(f"/api/v1/audits/{audit.id}/time", json=body)
    assert saved.status_code == 200
    assert {k: saved.json()[k] for k in ("personnel", "table_days", "md5_days", "planned_days", "dk_extra_days")} == {
        "personnel": 3,
        "table_days": 3.0,
        "md5_days": 2.5,
        "planned_days": 2.5,
        "dk_extra_days": None,
    }
    assert api.get(f"/api/v1/audits/{audit.id}/time").json() == saved.json()
    refused = api.put(f"/api/v1/audits/{audit.id}/time", json={**body, "adjustments": [{"days": -3, "reason": "x"}]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "adjustments"


def test_the_api_names_the_risk_categories_and_answers_null_for_no_category(login, anonymous, lead, make_audit):
    schema = anonymous.get("/openapi.json").json()["components"]["schemas"]["AuditTimeOut"]["properties"]["ohs_risk"]
    assert {"$ref": "#/components/schemas/OhsRisk"} in schema["anyOf"]
    audit = make_audit()
    assert login(lead).get(f"/api/v1/audits/{audit.id}/time").json()["ohs_risk"] is None


def test_an_adjustment_that_repeats_the_reduction_by_type_is_flagged_on_the_page_in_the_report_and_in_the_api(
    client, login, session, lead, make_audit
):
    """An audit planned before the reduction by the audit's type was applied by itself may carry it as an adjustment
    too: the time would be reduced twice. Such a line (as many days off as the reduction, give or take a quarter of a
    day, or naming the audit's share) is flagged wherever the time is shown, never silently counted twice."""
    audit = make_audit(audit_type="recertification")
    audit_time.update_audit_time(
        session=session,
        actor=lead,
        audit=audit,
        data=AuditTimeIn(
            personnel_full_time=26,  # medium risk: 5.5 days; two thirds of them: 3.67, so 1.83 days off by the type
            ohs_risk="medium",
            adjustments=[
                TimeAdjustment(days=1, reason="Tre skift"),
                TimeAdjustment(days=-2, reason="Gencertificering"),
                TimeAdjustment(days=-0.5, reason="Ét kontor"),
            ],
        ),
    )
    assert audit.md5_days == 2.17  # saved: 5.5 - 1.83 + 1 - 2 - 0.5, the reduction taken twice
    time = audit_time.audit_time(audit=audit, dk_extra_percent=5)
    assert time.repeated_reductions == [{"days": -2, "reason": "Gencertificering"}]

    # A surveillance audit planned before: its line takes off the two thirds again, below nothing. Flagged, and so
    # is a line of another amount naming the share; a line at a stage 2 audit (no reduction by type) is not.
    surveillance = make_audit()
    surveillance.personnel_full_time, surveillance.ohs_risk = 26, "medium"
    surveillance.time_adjustments = [{"days": -3.67, "reason": "Overvågning"}]
    time = audit_time.audit_time(audit=surveillance, dk_extra_percent=5)
    assert (time.md5_days, time.repeated_reductions) == (-1.84, surveillance.time_adjustments)
    surveillance.time_adjustments = [{"days": -2, "reason": "1/3 af førstegangsauditten"}]
    assert audit_time.audit_time(audit=surveillance, dk_extra_percent=5).repeated_reductions == [
        {"days": -2, "reason": "1/3 af førstegangsauditten"}
    ]
    stage2 = make_audit(audit_type="stage2")
    stage2.personnel_full_time, stage2.ohs_risk = 26, "medium"
    stage2.time_adjustments = [{"days": -3.67, "reason": "Ingen produktion"}]
    assert audit_time.audit_time(audit=stage2, dk_extra_percent=5).repeated_reductions == []

    page = login(lead).get(f"/audits/{audit.id}/time").text
    warning = (
        'Counted twice? The adjustment "-2: Gencertificering" takes off about what the reduction by the audit\'s type '
        "(-1.83) already takes off"
    )
    assert warning in page
    report = "\n".join(p.text for p in download(client, audit, lang="en").paragraphs)
    assert warning.replace("1.83", "1.8") in report  # the report's days have one decimal
    assert "Talt med to gange?" in login(lead, language="da").get(f"/audits/{audit.id}/time").text
    api = login(lead).get(f"/api/v1/audits/{audit.id}/time").json()
    assert api["repeated_reductions"] == [{"days": -2, "reason": "Gencertificering"}]
