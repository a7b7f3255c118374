"""The vocabulary reaches the API as enums, and its values are spelled in one place only."""

import ast
import re
from pathlib import Path

import pytest

from auditor import vocabulary as v

ROOT = Path(__file__).resolve().parent.parent
# The trail's kinds of record and change (TRAIL_ENTITIES, TRAIL_ACTIONS) are names the code writes with `entity=` and
# `action=` ("create", "case", ...), common words in every other sense: they name the histories' labels, not choices.
VALUES = {
    c.value
    for name in dir(v)
    if isinstance(vocabulary := getattr(v, name), v.Vocabulary)
    and vocabulary not in (v.TRAIL_ENTITIES, v.TRAIL_ACTIONS)
    for c in vocabulary
}

# Where a vocabulary value may be spelled out: its definition, the migrations (history, fixed once written),
# the demo's data, and the UI locales (i18n.py sits below the vocabulary, which imports it).
SPELLED_OUT = {"vocabulary.py", "demo.py", "i18n.py"}
# The same words with another meaning: (file, word).
OTHER_MEANINGS = {
    ("app.py", "auditor"),
    ("routes/errors.py", "auditor"),
    ("cli.py", "auditor"),  # the program's name
    ("services/trail.py", "activity"),
    ("services/history.py", "medium"),  # babel's date format, not the OH&S risk category
    ("templating.py", "medium"),
    ("services/trail.py", "auditor"),  # PlanEntry's fields
    ("services/audits.py", "audit"),  # the audit trail's entity
    ("services/reports.py", "audit"),
    ("services/reports.py", "checklist"),  # file names
    ("reports/starters.py", "nc"),  # a variable in the Word template
    ("services/cases.py", "open"),  # the board's count of cases not closed
    ("routes/web/cases.py", "step"),  # the case form's field naming the step of the chain
    ("routes/web/reviews.py", "withdraw"),  # the review form's name for withdrawing an approval
    ("routes/operations.py", "ready"),  # the readiness probe's answer, not a stage 1 conclusion
    ("services/calendar.py", "audit"),  # a calendar entry's kind
    ("checklists.py", "prevention"),  # a checklist item's field
    ("routes/web/reports.py", "conclusion"),  # the audit's field
    ("services/trail.py", "conclusion"),
    ("reports/review_report.py", "survey"),  # a monitoring row's field (survey results)
    ("routes/web/reviews.py", "survey"),
    ("services/reviews.py", "survey"),
}
# The same in templates: a form field named as the record's field.
TEMPLATE_OTHER_MEANINGS = {
    ("templates/audits/report.html", "conclusion"),
    ("templates/reviews/show.html", "conclusion"),  # the review's conclusion section
    ("templates/audits/_plan.html", "activity"),
    ("templates/audits/_plan.html", "auditor"),  # PlanEntry's fields, named in the plan form
    ("templates/cases/show.html", "step"),  # the case form's field naming the step of the chain
}


def _openapi_enum(openapi: dict, schema: str, field: str) -> list[str]:
    """The allowed values of one field of one schema in the OpenAPI document."""
    definition = openapi["components"]["schemas"][schema]["properties"][field]
    refs = [definition, *definition.get("anyOf", [])]
    for ref in refs:
        if "$ref" in ref:
            return openapi["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]["enum"]
        if "enum" in ref:
            return ref["enum"]
    raise AssertionError(f"{schema}.{field} has no enum: {definition}")


@pytest.mark.parametrize(
    ("schema", "field", "vocabulary"),
    [
        ("ResponseIn", "verdict", v.ANSWERS),
        ("ResponseOut", "verdict", v.ANSWERS),
        ("FindingIn", "kind", v.FINDING_KINDS),
        ("FindingOut", "kind", v.FINDING_KINDS),
        ("CaseOut", "grade", v.FINDING_KINDS),
        ("AuditIn", "audit_type", v.AUDIT_TYPES),
        ("AuditOut", "audit_type", v.AUDIT_TYPES),
        ("StatusIn", "status", v.AUDIT_STATUSES),
        ("AuditOut", "status", v.AUDIT_STATUSES),
        ("CaseOut", "status", v.CASE_STATUSES),
        ("CaseActionOut", "status", v.ACTION_STATUSES),
        ("TeamMemberOut", "role", v.TEAM_ROLES),
        ("PlanEntryIn", "kind", v.PLAN_KINDS),
        ("NewEvidenceIn", "interviewee_role", v.ACTORS),  # the API's create body: EvidenceIn with client_id
    ],
)
def test_openapi_lists_the_allowed_values(anonymous, schema, field, vocabulary):
    openapi = anonymous.get("/openapi.json").json()
    assert _openapi_enum(openapi, schema, field) == list(vocabulary.values)


def test_an_unknown_value_is_a_422_naming_the_allowed_ones(client, make_audit, first_item_id):
    audit = make_audit()
    status = client.post(f"/api/v1/audits/{audit.id}/status", json={"status": "done"})
    assert status.status_code == 422
    assert status.json()["detail"] == "status: must be one of 'planned', 'in_progress', 'reporting' or 'closed'"
    verdict = client.put(f"/api/v1/audits/{audit.id}/responses/{first_item_id}", json={"verdict": "fine", "version": 0})
    assert verdict.status_code == 422 and "verdict: must be one of 'conform', 'major_nc'" in verdict.json()["detail"]
    kind = client.post(f"/api/v1/audits/{audit.id}/findings", json={"kind": "conform", "statement": "x"})
    assert (
        kind.status_code == 422
        and "kind: must be one of 'major_nc', 'minor_nc', 'nc', 'area_of_concern', 'observation'"
        in kind.json()["detail"]
    )


def _is_vocabulary(node: ast.expr) -> bool:
    """`v.VERDICTS`, `VERDICTS`: a vocabulary looked up by value."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name.isupper() and isinstance(getattr(v, name, None), v.Vocabulary)


def _literals(tree: ast.AST):
    """String constants used as values: not docstrings, dict keys, subscripts, a Choice's own value or the audit
    trail's names for an action or an entity."""
    skipped = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
        ):
            skipped.add(id(node.body[0].value))
        elif isinstance(node, ast.Dict):
            skipped.update(id(key) for key in node.keys if key is not None)
        elif isinstance(node, ast.Subscript) and not _is_vocabulary(node.value):
            skipped.add(id(node.slice))
        elif isinstance(node, ast.Call):
            if getattr(node.func, "id", None) == "Choice" and node.args:
                skipped.add(id(node.args[0]))
            skipped.update(id(keyword.value) for keyword in node.keywords if keyword.arg in ("action", "entity"))
            if getattr(node.func, "attr", None) == "getLogger":  # a logger's name, "auditor", is the program's
                skipped.update(id(argument) for argument in node.args)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            yield node


def test_no_bare_vocabulary_values_in_python():
    """A value is spelled once, in vocabulary.py; code compares with the enum (`Verdict.CONFORM`)."""
    package = ROOT / "auditor"
    found = []
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package).as_posix()
        if name in SPELLED_OUT or name.startswith("migrations/"):
            continue
        for node in _literals(ast.parse(path.read_text(encoding="utf-8"))):
            if node.value in VALUES and (name, node.value) not in OTHER_MEANINGS:
                found.append(f"auditor/{name}:{node.lineno}: {node.value!r}")
    assert found == []


def test_no_bare_vocabulary_values_in_templates():
    """Templates get a ready answer or the enum (`vocabulary.AuditStatus.CLOSED`), never a quoted value."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for tag in re.finditer(r"\{[{%].*?[}%]\}", text, flags=re.DOTALL):
            # a dict's key ({"other": ...}, a plural category) is a name, not a value: skipped as in Python
            for quoted in re.finditer(r"""(?<!_\()(['"])([a-z0-9_.]+)\1(?!\s*:)""", tag.group()):
                if (
                    quoted.group(2) in VALUES
                    and (str(path.relative_to(ROOT)), quoted.group(2)) not in TEMPLATE_OTHER_MEANINGS
                ):
                    line = text.count("\n", 0, tag.start()) + 1
                    found.append(f"{path.relative_to(ROOT)}:{line}: {quoted.group(2)!r}")
    assert found == []


def contrast(one: str, other: str) -> float:
    """WCAG 2.1's contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("choice", list(v.ANSWERS), ids=lambda choice: choice.value)
def test_answer_colours_reach_aa_contrast_on_white(choice):
    """A pressed verdict button is white text on its colour (1.4.3, 4.5:1); the same colour borders it on white
    (issue 13, item 17: "Mindre afv." was 3.56:1, "Observation" 2.94:1)."""
    assert contrast(choice.colour, "#ffffff") >= 4.5


def test_the_stylesheet_takes_answer_colours_from_the_vocabulary():
    """app.css spells no answer colour of its own: /colours.css serves them from vocabulary.py, so a colour changes
    once for the screen, the Word reports and the charts."""
    css = v.colours_css()
    for choice in v.ANSWERS:
        assert f"--v-{choice.value}: {choice.colour};" in css
    assert not re.search(r"--v-[a-z_]+\s*:", (ROOT / "static" / "app.css").read_text(encoding="utf-8"))
