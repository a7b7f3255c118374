"""The command line: db upgrade, demo (idempotent), report, and settings errors without tracebacks."""

import io

from docx import Document
from sqlmodel import Session, select

from auditor.cli import main
from auditor.db import make_engine
from auditor.demo import STAGE2_TITLE, TITLE
from auditor.models import Audit, Finding, Response


def test_demo_is_idempotent_and_the_report_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AUDITOR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AUDITOR_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    assert main(["demo"]) == 0
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "demo audit created" in out and "demo audit already there" in out
    engine = make_engine(f"sqlite:///{tmp_path / 'auditor.db'}")
    with Session(engine) as session:
        audit = session.exec(select(Audit).where(Audit.title == TITLE)).one()
        earlier = [a.title for a in session.exec(select(Audit).where(Audit.id != audit.id).order_by(Audit.start_date))]
        assert earlier[0] == STAGE2_TITLE and earlier[1].startswith("Overvågningsaudit") and len(earlier) == 2
        answered = session.exec(
            select(Response).where(Response.audit_id == audit.id, Response.verdict.is_not(None))
        ).all()
        assert 0 < len(answered) < audit.item_total  # half conducted
        assert (
            len(session.exec(select(Finding).where(Finding.audit_id == audit.id)).all()) == 5
        )  # one per NC verdict, and more
    engine.dispose()
    output = tmp_path / "report.docx"
    assert main(["report", str(audit.id), "--output", str(output), "--lang", "en"]) == 0
    assert "Audit report" in Document(io.BytesIO(output.read_bytes())).paragraphs[0].text
    assert main(["report", "999", "--output", str(output)]) == 1
    assert "no audit with id 999" in capsys.readouterr().err


def test_bad_settings_are_reported_without_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("AUDITOR_ENV", "production")
    monkeypatch.delenv("AUDITOR_SECRET_KEY", raising=False)
    assert main(["checklists", "list"]) == 2
    err = capsys.readouterr().err
    assert "AUDITOR_SECRET_KEY" in err and "Traceback" not in err
