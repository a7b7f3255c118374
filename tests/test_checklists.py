"""The checklist library: the validator on broken files, the CLI, the shipped content, and freezing."""

from __future__ import annotations

import textwrap
from collections import Counter
from datetime import date

import pytest

from auditor import vocabulary as v
from auditor.checklists import load_library, parse_file
from auditor.cli import main
from auditor.i18n import translate
from auditor.paths import CHECKLISTS_DIR
from auditor.schemas import AuditIn
from auditor.services import audits
from auditor.services.checklists import audit_structure

VALID = textwrap.dedent(
    """\
    format: 1
    id: custom-check
    version: "1"
    title: {da: "Egen tjekliste", en: "Own checklist"}
    description: {da: "Beskrivelse", en: "Description"}
    source: {da: "Vores egen", en: "Our own"}
    attribution: {da: "Skrevet af os", en: "Written by us"}
    sections:
      - code: "A"
        title: {da: "Afsnit", en: "Section"}
        items:
          - id: custom.a1
            code: "A-1"
            clauses: ["45003:6.1.2"]
            question: {da: "Hvordan?", en: "How?"}
            tags: {bek1406: [workload], actors: [employees], prevention: primary}
    """
)


def errors_for(write_checklist, text: str) -> list[str]:
    return [str(e) for e in parse_file(write_checklist(text))[1]]


def test_a_valid_file_loads(write_checklist):
    loaded, errors = parse_file(write_checklist(VALID))
    assert errors == []
    assert loaded.id == "custom-check"
    assert [item.id for item in loaded.checklist.items()] == ["custom.a1"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('question: {da: "Hvordan?", en: "How?"}', 'question: {da: "Hvordan?"}'),
            "item custom.a1: field 'question.en': Field required",
        ),
        (("bek1406: [workload]", "bek1406: [stress]"), "item custom.a1: field 'tags.bek1406': unknown value 'stress'"),
        (
            ('clauses: ["45003:6.1.2"]', 'clauses: ["ISO 45003 6.1.2"]'),
            "item custom.a1: field 'clauses': clause 'ISO 45003 6.1.2' must look like",
        ),
        (
            ('code: "A-1"', 'code: "A-1"\n        gudiance: {da: "x", en: "y"}'),
            "item custom.a1: field 'gudiance': is not a field of this format",
        ),
        (
            ("prevention: primary", "prevention: quaternary"),
            "item custom.a1: field 'tags.prevention': unknown value 'quaternary'",
        ),
        (("id: custom.a1", "id: Custom A1"), "field 'id': String should match pattern"),
        (('version: "1"', 'version: ""'), "field 'version': String should have at least 1 character"),
        (("format: 1", "format: 2"), "field 'format': Input should be 1"),
    ],
)
def test_a_broken_file_names_the_item_and_the_field(write_checklist, change, expected):
    broken = VALID.replace(*change)
    assert broken != VALID
    path = write_checklist(broken)
    messages = [str(e) for e in parse_file(path)[1]]
    assert any(expected in message for message in messages), messages
    assert all(message.startswith(f"{path}: ") for message in messages)


STEP = (
    VALID.replace('code: "A-1"', 'code: "A-1"\n        kind: step')
    .replace('clauses: ["45003:6.1.2"]\n        ', "")
    .replace("\n        tags: {bek1406: [workload], actors: [employees], prevention: primary}", "")
)


def test_a_step_loads_and_takes_no_clauses_and_no_tags(write_checklist):
    assert STEP != VALID and "kind: step" in STEP and "clauses" not in STEP and "tags" not in STEP
    loaded, errors = parse_file(write_checklist(STEP))
    assert errors == [] and [item.kind for item in loaded.checklist.items()] == [v.ItemKind.STEP]
    assert [item.kind for item in parse_file(write_checklist(VALID, "question.yaml"))[0].checklist.items()] == [
        v.ItemKind.QUESTION
    ]
    with_clauses = STEP.replace("kind: step", 'kind: step\n        clauses: ["45001:9.2.2"]')
    with_tags = STEP.replace("kind: step", "kind: step\n        tags: {prevention: primary}")
    weighed = STEP.replace("kind: step", "kind: step\n        weighing: true")
    for broken in (with_clauses, with_tags, weighed):
        assert errors_for(write_checklist, broken) == [
            f"{write_checklist(broken)}: item custom.a1: a step is the auditor's own work: it takes no clauses, no tags "
            "and no weighing"
        ]
    assert "item custom.a1: field 'kind'" in errors_for(write_checklist, STEP.replace("kind: step", "kind: task"))[0]


def test_the_vap_assessments_are_weighed_as_arbejdstilsynet_does(library):
    weighed = [item.code for item in library.get("at-external-audit").checklist.items() if item.weighing]
    assert weighed == ["VAP-01", "VAP-02", "VAP-03", "VAP-04", "VAP-05"]
    assert not any(item.weighing for c in library for item in c.checklist.items() if c.id != "at-external-audit")


def test_an_item_without_id_is_named_by_position(write_checklist):
    assert "- id: custom.a1\n        code" in VALID
    messages = errors_for(write_checklist, VALID.replace("- id: custom.a1\n        code", "- code"))
    assert any("item #1 in sections[0].items: field 'id': Field required" in m for m in messages), messages


def test_yaml_syntax_errors_give_the_line(write_checklist):
    messages = errors_for(
        write_checklist, VALID.replace('title: {da: "Afsnit", en: "Section"}', 'title: {da: "Afsnit", en: "Section"')
    )
    assert len(messages) == 1 and "line " in messages[0] and "not valid YAML" in messages[0]


def test_a_key_written_twice_is_refused(write_checklist):
    messages = errors_for(write_checklist, VALID.replace('version: "1"', 'version: "1"\nversion: "2"'))
    assert any("key 'version' appears twice" in m for m in messages), messages


def test_item_ids_must_be_unique_within_a_file(write_checklist):
    doubled = VALID + textwrap.indent(
        textwrap.dedent(
            """\
          - id: custom.a1
            code: "A-2"
            question: {da: "Igen?", en: "Again?"}
        """
        ),
        "      ",
    )
    messages = errors_for(write_checklist, doubled)
    assert any("item custom.a1: field 'id': appears more than once" in m for m in messages), messages


def test_item_ids_must_be_unique_across_the_library(write_checklist, tmp_path):
    write_checklist(VALID, "one.yaml")
    write_checklist(VALID.replace("id: custom-check", "id: other-check"), "two.yaml")
    library = load_library([tmp_path])
    assert [c.id for c in library] == ["custom-check"]
    assert any("two.yaml: item custom.a1: field 'id': is already used in" in str(e) for e in library.errors)


def test_validate_command_exits_1_without_a_traceback(write_checklist, capsys):
    path = write_checklist(VALID.replace("bek1406: [workload]", "bek1406: [stress]"))
    assert main(["checklists", "validate", str(path)]) == 1
    captured = capsys.readouterr()
    assert "unknown value 'stress'" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_validate_command_accepts_the_shipped_library(capsys):
    assert main(["checklists", "validate", str(CHECKLISTS_DIR)]) == 0
    assert capsys.readouterr().out.count("ok: ") == 5


def test_list_command_shows_id_version_title_and_count(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("AUDITOR_DATA_DIR", str(tmp_path))
    assert main(["checklists", "list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["ID", "VERSION", "TITLE", "ITEMS"]
    for checklist_id in ("iso45003-clauses", "at-internal-audit", "at-external-audit", "hazard-screening"):
        assert checklist_id in out


def test_customer_checklists_load_from_the_configured_folder(write_checklist, tmp_path, settings):
    write_checklist(VALID)
    settings.checklists_dir = tmp_path
    library = load_library(settings.checklist_paths())
    assert "custom-check" in library.checklists and "iso45003-clauses" in library.checklists
    assert library.errors == []


# The shipped library

ISO_CLAUSES = [
    "4.1.1",
    "4.1.2",
    "4.1.3",
    "4.2",
    "4.3",
    "4.4",
    "5.1",
    "5.2",
    "5.3",
    "5.4",
    "6.1.1",
    "6.1.2",
    "6.2",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "7.5.1",
    "7.5.2",
    "8.1.1",
    "8.1.2",
    "8.1.3",
    "8.1.4",
    "8.2",
    "8.3",
    "9.1",
    "9.2",
    "9.3",
    "10.1",
    "10.2",
    "10.3",
]


def test_the_iso_45003_checklist_covers_every_clause_with_two_to_five_questions(library):
    counts = Counter()
    for item in library.get("iso45003-clauses").checklist.items():
        first_45003 = next(ref for ref in item.clauses if ref.startswith("45003:"))
        counts[first_45003.split(":")[1]] += 1
    assert set(counts) == set(ISO_CLAUSES)
    assert {clause: n for clause, n in counts.items() if not 2 <= n <= 5} == {}


def test_change_and_procurement_items_are_anchored_to_8_1_3_and_8_1_4(library):
    def first_45003(item_id):
        for checklist in library:
            for item in checklist.checklist.items():
                if item.id == item_id:
                    return {ref for ref in item.clauses if ref.startswith("45003:")}
        raise AssertionError(f"no item {item_id}")

    change = [
        "iso45003.8.1.3.change-assessment",
        "iso45003.8.1.3.change-sample",
        "at-external.sl.change",
        "at-external.amo.consulted-on-change",
        "at-external.ma.change",
        "at-internal.conduct.sl.change",
        "at-internal.conduct.amo.consulted-on-change",
        "at-internal.conduct.ma.change",
    ]
    procurement = ["iso45003.8.1.4.contractors-procurement"]
    both = ["at-external.hr.change-procurement", "at-internal.conduct.hr.change-procurement"]
    assert {item_id: "45003:8.1.3" in first_45003(item_id) for item_id in change + both} == dict.fromkeys(
        change + both, True
    )
    assert {item_id: "45003:8.1.4" in first_45003(item_id) for item_id in procurement + both} == dict.fromkeys(
        procurement + both, True
    )
    assert not any("45003:8.1.1" in first_45003(item_id) for item_id in change + procurement + both)


def test_every_iso_45003_clause_cited_is_a_clause_of_the_iso_checklist(library):
    """A finding filed under "45003:8.1" or "45003:6.1" lands beside the clauses the management review counts."""
    clauses = {path[-1].code for path, _ in library.get("iso45003-clauses").checklist.walk()}
    stray = {
        (item.code, ref)
        for loaded in library
        for item in loaded.checklist.items()
        for ref in item.clauses
        if ref.startswith("45003:") and ref.removeprefix("45003:") not in clauses
    }
    assert stray == set()


def test_at_inspired_checklists_say_so_and_do_not_claim_to_be_at_s(library):
    for checklist_id in ("at-internal-audit", "at-external-audit"):
        checklist = library.get(checklist_id).checklist
        assert "inspire" in checklist.attribution.da.lower() + checklist.source.da.lower()
        assert "inspired" in checklist.attribution.en.lower() + checklist.source.en.lower()
        assert "arbejdstilsynet" in checklist.attribution.da.lower()


def test_at_inspired_titles_cannot_be_taken_for_at_s_own_tools(library):
    at_tool_names = {"Intern audit af det psykiske arbejdsmiljø", "Ekstern audit af det psykiske arbejdsmiljø"}
    for checklist_id in ("at-internal-audit", "at-external-audit"):
        title = library.get(checklist_id).checklist.title
        assert title.da not in at_tool_names and title.da.endswith("– inspireret af Arbejdstilsynets værktøj")
        assert title.en.endswith("– inspired by Arbejdstilsynet's tool")


def test_the_internal_audit_follows_the_four_phases_and_interviews_every_actor(library):
    checklist = library.get("at-internal-audit").checklist
    assert len(checklist.sections) == 4
    actors = {actor for item in checklist.items() for actor in item.tags.actors}
    assert actors >= {
        "strategic_management",
        "management_of_managers",
        "first_line_management",
        "cooperation_bodies",
        "staff_functions",
        "employees",
    }


def test_the_internal_audit_s_own_phases_are_steps_and_its_interviews_questions(library):
    checklist = library.get("at-internal-audit").checklist
    kinds = {(path[0].code, item.kind) for path, item in checklist.walk()}
    assert kinds == {("1", v.ItemKind.STEP), ("2", v.ItemKind.QUESTION), ("3", v.ItemKind.STEP), ("4", v.ItemKind.STEP)}


def test_the_screening_covers_every_hazard_factor_and_bek_factor(library):
    items = list(library.get("hazard-screening").checklist.items())
    assert {h for item in items for h in item.tags.hazards} == set(v.HAZARD_FACTORS.values)
    assert {b for item in items for b in item.tags.bek1406} == set(v.BEK1406_FACTORS.values)


def test_violence_outside_working_hours_and_section_5_have_bek_tags_of_their_own(library):
    items = {item.id: item for loaded in library for item in loaded.checklist.items()}
    assert items["screening.bek.violence.outside-hours"].tags.bek1406 == [v.Bek1406Factor.VIOLENCE_OUTSIDE_HOURS]
    assert items["screening.bek.violence.assessment"].tags.bek1406 == [v.Bek1406Factor.VIOLENCE]
    assert v.Bek1406Factor.GENERAL_S5 in items["screening.t1.hours.assessment"].tags.bek1406  # night work
    assert v.Bek1406Factor.GENERAL_S5 in items["screening.bek.general-s5.assessment"].tags.bek1406
    assert v.Bek1406Factor.VIOLENCE_OUTSIDE_HOURS in items["at-external.vap.violence"].tags.bek1406
    assert [
        translate(v.BEK1406_FACTORS[factor].label, "da")
        for factor in (v.Bek1406Factor.VIOLENCE_OUTSIDE_HOURS, v.Bek1406Factor.GENERAL_S5)
    ] == ["Arbejdsrelateret vold uden for arbejdstid", "Øvrige påvirkninger (§ 5)"]


def test_prevention_levels_follow_one_rule(library):
    """Handling a problem that has arisen, and building competence, is secondary prevention; assessing is no prevention."""
    items = {item.id: item for loaded in library for item in loaded.checklist.items()}
    handling = [
        "at-internal.conduct.lm.offensive-violence",
        "screening.bek.offensive-behaviour.handling",
        "screening.t2.bullying.assessment",
    ]
    competence = [
        "iso45003.7.2.manager-training",
        "iso45003.7.2.worker-instruction",
        "at-external.ll.competence",
        "at-internal.conduct.ll.competence",
    ]
    assessment = [
        f"at-external.vap.{factor}"
        for factor in ("workload", "unclear-demands", "emotional-demands", "offensive-behaviour", "violence")
    ]
    assert {item_id: items[item_id].tags.prevention for item_id in handling + competence} == dict.fromkeys(
        handling + competence, v.PreventionLevel.SECONDARY
    )
    assert {
        item_id: items[item_id].tags.prevention for item_id in [*assessment, "at-external.lm.violence"]
    } == dict.fromkeys([*assessment, "at-external.lm.violence"], None)


def test_the_external_guide_has_a_walk_round_and_asks_the_md_22_roles(library):
    checklist = library.get("at-external-audit").checklist
    walk_round = next(section for section in checklist.sections if section.code == "RUND")
    assert len(walk_round.items) >= 3 and "Arbejdstilsynet" in walk_round.description.da
    actors = {actor for item in checklist.items() for actor in item.tags.actors}
    assert {v.Actor.TEMPORARY_WORKERS, v.Actor.CONTRACTORS} <= actors
    offensive = next(item for item in checklist.items() if item.id == "at-external.vap.offensive-behaviour")
    assert "kendte til sagen og ikke handlede" in offensive.guidance.da and "partsaftale" in offensive.guidance.da


def test_a_question_bank_per_bek_factor_for_deep_dives(library):
    checklist = library.get("bek1406-factors").checklist
    per_factor = Counter(factor for item in checklist.items() for factor in item.tags.bek1406)
    assert set(per_factor) == set(v.BEK1406_FACTORS.values)
    assert {factor: n for factor, n in per_factor.items() if not 4 <= n <= 8} == {}
    assert all(len(item.tags.bek1406) == 1 for item in checklist.items())  # a finding on one question names one factor
    assert checklist.title.da.endswith("– inspireret af Arbejdstilsynets spørgeguider")
    assert (
        "inspireret af Arbejdstilsynets" in checklist.attribution.da
        and "Ikke Arbejdstilsynets egne spørgsmål" in checklist.attribution.da
    )


# Freezing


def test_editing_a_file_later_never_changes_an_existing_audit(
    session, write_checklist, tmp_path, make_organisation, admin
):
    path = write_checklist(VALID)
    organisation = make_organisation()
    data = AuditIn(
        title="Før",
        audit_type="internal",
        organisation_id=organisation.id,
        start_date=date(2026, 1, 5),
        end_date=date(2026, 1, 5),
        checklists=["custom-check"],
    )
    audit = audits.create_audit(session=session, actor=admin, data=data, library=load_library([tmp_path]))

    path.write_text(VALID.replace('version: "1"', 'version: "2"').replace("Hvordan?", "Hvorfor?"), encoding="utf-8")
    edited = load_library([tmp_path])
    later = audits.create_audit(
        session=session, actor=admin, data=data.model_copy(update={"title": "Efter"}), library=edited
    )

    old_item = audit_structure(session=session, audit=audit).items["custom.a1"].item
    new_item = audit_structure(session=session, audit=later).items["custom.a1"].item
    assert old_item.question.da == "Hvordan?"
    assert new_item.question.da == "Hvorfor?"
    assert [s.version for s in audits.audit_snapshots(session=session, audit=audit)] == ["1"]
    assert [s.version for s in audits.audit_snapshots(session=session, audit=later)] == ["2"]
