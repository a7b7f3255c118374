"""Typed dependencies, so handler signatures read as prose; one loader per resource does the 404."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from auditor.checklists import Library
from auditor.config import Settings
from auditor.models import Audit, Finding
from auditor.services import audits, findings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def get_library(request: Request) -> Library:
    return request.app.state.library


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
LibraryDep = Annotated[Library, Depends(get_library)]


def get_audit_or_404(audit_id: int, session: SessionDep) -> Audit:
    """The audit named in the path (accounts will add the permission check here)."""
    return audits.get_audit(session=session, audit_id=audit_id)


AuditDep = Annotated[Audit, Depends(get_audit_or_404)]


def get_finding_or_404(finding_id: int, audit: AuditDep, session: SessionDep) -> Finding:
    return findings.get_finding(session=session, audit=audit, finding_id=finding_id)


FindingDep = Annotated[Finding, Depends(get_finding_or_404)]


def is_htmx(request: Request) -> bool:
    """True for a request htmx made, which wants a fragment rather than a page."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
