"""Every authorization rule lives in auditor/services/access.py, and pages ask ready answers.

What the rules allow and refuse, route by route and persona by persona, is proved in tests/test_access_matrix.py;
confidential entries in the histories in tests/test_history.py. These tests keep the rules from creeping back
into other places, where they would drift from the ones in access.py."""

from __future__ import annotations

import re

from auditor.paths import TEMPLATES_DIR
from auditor.services import access

PACKAGE = access.__file__.rsplit("/services/", 1)[0]

# Reading a role or an installation admin to decide who may do something: only access.py does.
ROLE_CHECK = re.compile(r"\b\w+\.role\s*(==|!=|in\b|not in\b)|is_installation_admin\(")
# Choosing people for a team by role is who *can be* a lead auditor or an auditor, not who may act.
ELIGIBILITY = {
    ("services/audits.py", "actor.role == v.Role.LEAD_AUDITOR"),
    ("services/audits.py", "return user.role == v.Role.LEAD_AUDITOR"),  # may_lead
    ("services/audits.py", "user.role in v.AUDITOR_ROLES"),
    ("routes/web/audits.py", "user.role == v.Role.LEAD_AUDITOR"),
}

# A template that re-derives a permission, "editable" or "overdue" instead of asking the ready answer.
DERIVED_IN_TEMPLATE = re.compile(
    r"user\.role\s*(==|!=|in\b)|\.role\s*(==|!=|in\b)\s*vocabulary\.Role\b|\bin can\b|not in can\b|AuditStatus\.CLOSED\s+(and|or)\b|due_date\s*<"
)


def test_no_authorization_rule_outside_access_py():
    from pathlib import Path

    found = []
    for path in sorted(Path(PACKAGE).rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name == "services/access.py" or name.startswith("migrations/"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = ROLE_CHECK.search(line)
            if match and not any(name == file and snippet in line for file, snippet in ELIGIBILITY):
                found.append(f"{name}:{number}: {line.strip()}")
    assert found == []


def test_templates_ask_ready_answers():
    found = [
        f"{path.relative_to(TEMPLATES_DIR)}:{number}: {line.strip()}"
        for path in sorted(TEMPLATES_DIR.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if DERIVED_IN_TEMPLATE.search(line)
    ]
    assert found == []
