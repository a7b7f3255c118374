"""What the HTTP benchmarks load before they start a server: a synthetic checklist in the library, a lead auditor with
an auditor on the team who holds an API token, their organisation and their audits; and the environment the server is
started with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from sqlmodel import Session

from auditor.checklists import Library, load_library
from auditor.models import Audit, Organisation, User
from auditor.paths import CHECKLISTS_DIR
from auditor.schemas import AuditIn, OrganisationIn
from auditor.services import accounts, audits, organisations
from bench.bench import synthetic_checklist


def synthetic_library(checklist_dir: Path, size: int) -> Library:
    """The library with a synthetic checklist of `size` items, `bench-{size}`, written into `checklist_dir`."""
    (checklist_dir / f"bench-{size}.yaml").write_text(
        yaml.safe_dump(synthetic_checklist(size), allow_unicode=True), encoding="utf-8"
    )
    return load_library([CHECKLISTS_DIR, checklist_dir])


@dataclass
class Team:
    lead: User
    auditor: User
    token: str  # the auditor's API token, as the tablet sends it
    organisation: Organisation


def make_team(session: Session) -> Team:
    """A lead auditor, an auditor with an API token, and the organisation they audit."""
    lead, _ = accounts.create_user(
        session=session,
        actor=None,
        email="lead@bench.example",
        name="Lead",
        role="lead_auditor",
        password="bench password 123",
    )
    auditor, _ = accounts.create_user(
        session=session,
        actor=None,
        email="auditor@bench.example",
        name="Auditor",
        role="auditor",
        password="bench password 123",
    )
    _, token = accounts.create_token(session=session, user=auditor, name="tablet")
    organisation = organisations.create_organisation(session=session, actor=None, data=OrganisationIn(name="Bench A/S"))
    return Team(lead, auditor, token, organisation)


def plan_audit(*, session: Session, library: Library, team: Team, title: str, checklist: str) -> Audit:
    """A two-day surveillance audit of one checklist by the team."""
    return audits.create_audit(
        session=session,
        actor=team.lead,
        library=library,
        data=AuditIn(
            title=title,
            audit_type="surveillance",
            organisation_id=team.organisation.id,
            start_date=date(2026, 1, 1),
            end_date=date(2026, 1, 2),
            lead_auditor_id=team.lead.id,
            team_ids=[team.auditor.id],
            checklists=[checklist],
        ),
    )


def server_env(url: str, workdir: Path) -> dict[str, str]:
    """The settings of a server of the app on the loaded database, with `workdir` for its data and checklists."""
    return {
        "AUDITOR_DATABASE_URL": url,
        "AUDITOR_DATA_DIR": str(workdir),
        "AUDITOR_CHECKLISTS_DIR": str(workdir / "checklists"),
    }
