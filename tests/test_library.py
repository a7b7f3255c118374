"""The published checklist library: every app on every machine serves the same one, `auditor checklists reload`
publishes new files to all of them, and audits keep the snapshot they froze."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PASSWORD
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from auditor.app import create_app
from auditor.cli import main
from auditor.config import Settings
from auditor.db import make_engine, unit_of_work
from auditor.models import LibraryRevision
from auditor.schemas import OrganisationIn
from auditor.services import accounts, organisations
from auditor.services.library import published_library_ready, version_key


def site_check(version: str, items: int = 1, tag: str = "workload") -> str:
    """A customer's checklist `site-check` with `items` items."""
    lines = "".join(
        f"""
          - id: site.a{n}
            code: "A-{n}"
            question: {{da: "Spørgsmål {n}?", en: "Question {n}?"}}
            tags: {{bek1406: [{tag}]}}"""
        for n in range(1, items + 1)
    )
    return (
        textwrap.dedent(
            f"""\
        format: 1
        id: site-check
        version: "{version}"
        title: {{da: "Stedets tjekliste", en: "Site checklist"}}
        description: {{da: "Beskrivelse", en: "Description"}}
        source: {{da: "Vores egen", en: "Our own"}}
        attribution: {{da: "Skrevet af os", en: "Written by us"}}
        sections:
          - code: "A"
            title: {{da: "Afsnit", en: "Section"}}
            items:"""
        )
        + lines
        + "\n"
    )


@dataclass
class Machines:
    """Two machines (apps with their own engine and checklist folder) on one database."""

    url: str
    folders: dict[str, Path]
    clients: dict[str, TestClient]
    token: str
    organisation_id: int
    lead_id: int

    def start(self, name: str) -> TestClient:
        """Start (or restart) machine `name`: a new app, whose start-up publishes its files by the start-up rule."""
        if name in self.clients:
            self.stop(name)
        settings = Settings(  # no report process: nothing here renders a report, and one takes seconds to start
            database_url=self.url,
            data_dir=self.folders[name].parent,
            checklists_dir=self.folders[name],
            report_processes=0,
        )
        client = TestClient(
            create_app(settings),
            raise_server_exceptions=False,
            headers={"Authorization": f"Bearer {self.token}", "Accept-Language": "en"},
        )
        client.__enter__()  # runs the app's start-up
        self.clients[name] = client
        return client

    def stop(self, name: str) -> None:
        client = self.clients.pop(name)
        client.__exit__(None, None, None)
        client.app.state.engine.dispose()

    def served(self, name: str) -> dict[str, tuple[str, int]]:
        """What machine `name` offers: checklist id -> (version, item count)."""
        response = self.clients[name].get("/api/v1/checklists")
        assert response.status_code == 200, response.text
        return {c["id"]: (c["version"], c["item_count"]) for c in response.json()}

    def plan(self, name: str) -> dict:
        response = self.clients[name].post(
            "/api/v1/audits",
            json={
                "title": "Site audit",
                "audit_type": "internal",
                "organisation_id": self.organisation_id,
                "lead_auditor_id": self.lead_id,
                "start_date": "2027-01-04",
                "end_date": "2027-01-05",
                "checklists": ["site-check"],
            },
        )
        assert response.status_code == 201, response.text
        return response.json()

    def frozen(self, name: str, audit_id: int) -> list[tuple[str, str, int]]:
        response = self.clients[name].get(f"/api/v1/audits/{audit_id}")
        assert response.status_code == 200, response.text
        return [(c["id"], c["version"], c["item_count"]) for c in response.json()["checklists"]]

    def reload(self, name: str, monkeypatch) -> int:
        """`auditor checklists reload` run by the operator on machine `name`."""
        monkeypatch.setenv("AUDITOR_DATABASE_URL", self.url)
        monkeypatch.setenv("AUDITOR_DATA_DIR", str(self.folders[name].parent))
        monkeypatch.setenv("AUDITOR_CHECKLISTS_DIR", str(self.folders[name]))
        return main(["checklists", "reload"])

    def revisions(self) -> int:
        engine = make_engine(self.url)
        try:
            with Session(engine) as session:
                return session.exec(select(func.count()).select_from(LibraryRevision)).one()
        finally:
            engine.dispose()


@pytest.fixture
def machines(fresh_database_url, tmp_path) -> Iterator[Machines]:
    folders = {}
    for name in ("a", "b"):
        folders[name] = tmp_path / name / "checklists"
        folders[name].mkdir(parents=True)
        (folders[name] / "site-check.yaml").write_text(site_check("1"), encoding="utf-8")
    engine = make_engine(fresh_database_url)
    with unit_of_work(engine) as session:
        organisation = organisations.create_organisation(
            session=session, actor=None, data=OrganisationIn(name="Nordlys Logistik A/S")
        )
        admin, _ = accounts.create_user(
            session=session, actor=None, email="admin@test.example", name="Admin", role="admin", password=PASSWORD
        )
        lead, _ = accounts.create_user(
            session=session, actor=None, email="lead@test.example", name="Lead", role="lead_auditor", password=PASSWORD
        )
        _, token = accounts.create_token(session=session, user=admin, name="tests")
        session.commit()
    engine.dispose()
    machines = Machines(fresh_database_url, folders, {}, token, organisation.id, lead.id)
    machines.start("a")
    machines.start("b")
    yield machines
    for name in list(machines.clients):
        machines.stop(name)


def test_a_reload_on_one_machine_is_served_by_every_machine_and_new_audits_freeze_it(machines, monkeypatch, capsys):
    assert machines.served("a")["site-check"] == machines.served("b")["site-check"] == ("1", 1)
    old = machines.plan("b")
    (machines.folders["a"] / "site-check.yaml").write_text(site_check("2", items=2), encoding="utf-8")

    assert machines.reload("a", monkeypatch) == 0
    assert "published: site-check: version 1 -> 2" in capsys.readouterr().out

    assert machines.served("a")["site-check"] == machines.served("b")["site-check"] == ("2", 2)
    assert "v2 · 2 items" in machines.clients["b"].get("/audits/new").text  # the planning page
    new = machines.plan("b")  # planned on the machine whose own files still say version 1
    assert machines.frozen("b", new["id"]) == [("site-check", "2", 2)]
    assert machines.frozen("a", old["id"]) == [("site-check", "1", 1)]  # the older audit keeps its snapshot


def test_a_machine_with_older_files_does_not_go_back_when_it_restarts(machines, monkeypatch):
    (machines.folders["a"] / "site-check.yaml").write_text(site_check("2", items=2), encoding="utf-8")
    assert machines.reload("a", monkeypatch) == 0

    machines.start("b")  # its files still hold version 1
    assert machines.served("a")["site-check"] == machines.served("b")["site-check"] == ("2", 2)

    (machines.folders["b"] / "site-check.yaml").write_text(site_check("3", items=3), encoding="utf-8")
    machines.start("b")  # a higher version is published by start-up alone
    assert machines.served("a")["site-check"] == ("3", 3)


def test_reload_refuses_a_broken_file_and_changes_nothing(machines, monkeypatch, capsys):
    revisions = machines.revisions()
    (machines.folders["a"] / "site-check.yaml").write_text(site_check("2", items=2, tag="stress"), encoding="utf-8")

    assert machines.reload("a", monkeypatch) == 1

    err = capsys.readouterr().err
    assert "site-check.yaml: item site.a1: field 'tags.bek1406': unknown value 'stress'" in err
    assert "the published library is unchanged" in err
    assert machines.revisions() == revisions
    assert machines.served("a")["site-check"] == machines.served("b")["site-check"] == ("1", 1)


def test_reload_refuses_an_older_version_than_the_published_one(machines, monkeypatch, capsys):
    (machines.folders["a"] / "site-check.yaml").write_text(site_check("2", items=2), encoding="utf-8")
    assert machines.reload("a", monkeypatch) == 0

    assert machines.reload("b", monkeypatch) == 1

    assert "has version 1, older than the published version 2" in capsys.readouterr().err
    assert machines.served("b")["site-check"] == ("2", 2)


def test_reload_of_unchanged_files_publishes_no_new_revision(machines, monkeypatch, capsys):
    revisions = machines.revisions()
    assert machines.reload("a", monkeypatch) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert machines.revisions() == revisions


def test_the_library_is_ready_once_published(fresh_database_url, tmp_path):
    engine = make_engine(fresh_database_url)
    try:
        with Session(engine) as session:
            assert not published_library_ready(session=session)
        with TestClient(
            create_app(Settings(database_url=fresh_database_url, data_dir=tmp_path, report_processes=0), engine=engine)
        ):
            pass
        with Session(engine) as session:
            assert published_library_ready(session=session)
    finally:
        engine.dispose()


def test_versions_compare_as_people_write_them():
    assert version_key("1.9") < version_key("1.10") < version_key("2")
    assert version_key("2026-12") < version_key("2027-1")
    assert version_key("1.0") < version_key("1.0.1")
