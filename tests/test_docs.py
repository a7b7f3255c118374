"""README keeps up: every setting is documented, and the quick start's commands exist."""

import re
from pathlib import Path

from auditor.checklists import load_library
from auditor.config import Settings
from auditor.paths import CHECKLISTS_DIR

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    undocumented = [
        f"AUDITOR_{name.upper()}" for name in Settings.model_fields if f"`AUDITOR_{name.upper()}`" not in README
    ]
    assert undocumented == []


def test_the_checklist_table_matches_the_shipped_library():
    table = README.split("### The shipped checklists", 1)[1].split("###", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9._-]+)` \| ([^|]+?) \| (\d+) \|", table, flags=re.MULTILINE)
    shipped = load_library([CHECKLISTS_DIR])
    assert shipped.errors == []
    assert {row[0]: (row[1], int(row[2])) for row in rows} == {
        c.id: (c.checklist.version, c.checklist.item_count) for c in shipped
    }


def test_the_quick_start_commands_are_make_targets():
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make (\w+)", quick_start, flags=re.MULTILINE)
    assert commands == ["run", "test", "help"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in commands:
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_api_describes_what_each_endpoint_returns(client):
    """Endpoints that returned untyped dicts have response models, so /openapi.json shows their fields."""
    paths = client.get("/openapi.json").json()["paths"]
    returns = {
        ("/healthz", "get"): "HealthOut",
        ("/api/v1/audits", "get"): "AuditSummaryOut",
        ("/api/v1/checklists", "get"): "ChecklistSummaryOut",
        ("/api/v1/checklists/{checklist_id}", "get"): "ChecklistOut",
        ("/api/v1/audits/{audit_id}/history", "get"): "AuditEventOut",
        ("/api/v1/cases/{case_id}/history", "get"): "AuditEventOut",
        ("/api/v1/cases/{case_id}/comments", "get"): "CommentOut",
        ("/api/v1/cases/{case_id}/comments", "post"): "CommentOut",
        ("/api/v1/cases/{case_id}/attachments", "post"): "AttachmentOut",
    }
    for (path, method), model in returns.items():
        responses = paths[path][method]["responses"]
        schema = next(r for code, r in responses.items() if code.startswith("2"))["content"]["application/json"][
            "schema"
        ]
        assert model in str(schema), (path, method, schema)


def test_the_docker_build_context_leaves_out_the_data_and_the_virtualenv():
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".venv", "data", ".git", "node_modules", "test-results"} <= ignored


def test_the_license_file_is_the_one_the_metadata_names():
    assert 'license = "AGPL-3.0-or-later"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert (
        text.startswith("GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007")
        and "13. Remote Network Interaction" in text
    )


def test_make_help_names_every_target():
    import subprocess

    listed = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE)
    assert targets and all(f"make {target} " in listed for target in targets)
