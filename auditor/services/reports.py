"""Word reports of an audit, and the templates they are made from.

Each report kind (audit report, nonconformity report, blank checklist) is rendered from a template: the
newest one uploaded for the audit's organisation and audit type, else for the organisation, else the
provider's (the certification body's) for the audit type, else the provider's for every type, else our
starter. An upload is rendered with sample variables first and refused with the line and reason if it
fails, so the template in use never changes to one that does not work.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import TemplateError
from lxml import etree
from sqlalchemy import func, nulls_last, or_
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.errors import Conflict, Invalid, NotFound
from auditor.i18n import N_
from auditor.models import Audit, Organisation, ReportTemplate, User
from auditor.paging import Page, PageRequest, page_of
from auditor.reports import engine
from auditor.reports.context import ReportSettings, build_report_context, report_id
from auditor.reports.starters import starter_template
from auditor.reports.variables import sample_context
from auditor.services import access, trail

FILE_STEMS = {"audit_report": "audit-report", "nonconformity_report": "nonconformity-report", "checklist": "checklist"}


def render_report(
    *,
    session: Session,
    audit: Audit,
    kind: str,
    policy: dict,
    lang: str | None = None,
    settings: ReportSettings | None = None,
) -> tuple[str, bytes]:
    """(file name, .docx bytes) of one report on `audit` in `lang` (default: the audit's report language),
    with its non-confidential photos; `settings` name the certification body (default: none)."""
    lang = lang or audit.report_language
    context = build_report_context(session=session, audit=audit, kind=kind, lang=lang, policy=policy, settings=settings)
    template = template_in_use(session=session, audit=audit, kind=kind, lang=lang)
    if template is None:
        content = engine.render(starter_template(kind, lang), context)
    else:
        try:
            content = engine.render(template.content, context)
        except (TemplateError, etree.XMLSyntaxError) as error:  # an upload passed its check but not this audit's values
            detail = str(getattr(error, "message", None) or error)
            raise Conflict(
                N_(
                    "The report template “{filename}” cannot be used for this audit ({detail}). An administrator can "
                    "correct it or remove it on the Report templates page."
                ),
                filename=template.filename,
                detail=detail,
            ) from error
    slug = (
        re.sub(r"\W+", "-", audit.title).strip("-")[:60] or "audit"
    )  # letters of any language stay (routes/downloads.py)
    return f"{report_id(audit)}-{FILE_STEMS[kind]}-{slug}-{lang}.docx", content


def template_in_use(*, session: Session, audit: Audit, kind: str, lang: str) -> ReportTemplate | None:
    """The uploaded template a report uses, or None for the starter."""
    query = (
        select(ReportTemplate)
        .where(
            ReportTemplate.kind == kind,
            ReportTemplate.language == lang,
            or_(ReportTemplate.organisation_id == audit.organisation_id, ReportTemplate.organisation_id.is_(None)),
            or_(ReportTemplate.audit_type == audit.audit_type, ReportTemplate.audit_type.is_(None)),
        )
        # the organisation's before the provider's, one audit type before every type, the newest first
        .order_by(
            nulls_last(ReportTemplate.organisation_id.desc()),
            nulls_last(ReportTemplate.audit_type.desc()),
            ReportTemplate.id.desc(),
        )
        .limit(1)
    )
    return session.exec(query).first()


# Managing templates


@dataclass(frozen=True)
class TemplateScope:
    organisation_id: int | None
    kind: str
    language: str
    audit_type: str | None


def _require_manager(session: Session, user: User, organisation_id: int | None) -> None:
    access.require_template_manager(session=session, user=user, organisation_id=organisation_id)
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise NotFound(N_("No organisation with this id."))


def upload_template(
    *, session: Session, actor: User, scope: TemplateScope, filename: str, content: bytes
) -> ReportTemplate:
    """Check a template by rendering it with sample variables; keep it only if that works."""
    _require_manager(session, actor, scope.organisation_id)
    if scope.kind not in v.REPORT_KINDS:
        raise Invalid(N_("Unknown report kind."), field="kind")
    if scope.language not in v.LANGUAGES:
        raise Invalid(N_("Unknown language."), field="language")
    if scope.audit_type is not None and scope.audit_type not in v.AUDIT_TYPES:
        raise Invalid(N_("Unknown audit type."), field="audit_type")
    if not filename.lower().endswith(".docx"):
        raise Invalid(N_("Upload a Word document (.docx)."), field="file")
    problem = engine.check(content, sample_context(scope.language))
    if problem is not None:
        raise Invalid(problem.message, field="file", **problem.params)
    row = ReportTemplate(
        organisation_id=scope.organisation_id,
        kind=v.ReportKind(scope.kind),
        language=v.Language(scope.language),
        audit_type=v.AuditType(scope.audit_type) if scope.audit_type else None,
        filename=re.sub(r"[^\w.\- ]", "_", Path(filename).name)[:200],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    trail.record(
        session=session,
        actor=actor,
        action="create",
        entity="report_template",
        entity_id=row.id,
        after=trail.snapshot("report_template", row),
    )
    return row


def visible_templates(*, session: Session, actor: User, page: PageRequest | None = None) -> Page[ReportTemplate]:
    """Uploaded templates an admin sees (an installation admin all, an organisation's admin the provider's and its
    own), by report, language and newest first; one page of them, or all without `page`."""
    access.require_template_manager(session=session, user=actor, organisation_id=actor.organisation_id)
    query = (
        select(ReportTemplate)
        .where(access.where(actor, ReportTemplate))
        .order_by(ReportTemplate.kind, ReportTemplate.language, ReportTemplate.id.desc())
    )
    return page_of(session, query, page)


def in_use(*, session: Session, actor: User, ids: list[int]) -> set[int]:
    """Which of these templates (ids of visible_templates) are the newest of their scope (the others wait behind
    them)."""
    newest = (
        select(func.max(ReportTemplate.id))
        .where(access.where(actor, ReportTemplate))
        .group_by(
            ReportTemplate.organisation_id, ReportTemplate.kind, ReportTemplate.language, ReportTemplate.audit_type
        )
    )
    return set(session.exec(select(ReportTemplate.id).where(ReportTemplate.id.in_(ids), ReportTemplate.id.in_(newest))))


def get_template(*, session: Session, actor: User, template_id: int) -> ReportTemplate:
    row = session.get(ReportTemplate, template_id)
    if row is None:
        raise NotFound(N_("No template with this id."))
    access.require(
        session=session, user=actor, record=row, can=access.Can.VIEW, missing=N_("No template with this id.")
    )
    return row


def delete_template(*, session: Session, actor: User, template_id: int) -> None:
    """Remove an upload; the one before it in the same scope (or the starter) is used again."""
    row = get_template(session=session, actor=actor, template_id=template_id)
    access.require(
        session=session, user=actor, record=row, can=access.Can.MANAGE, missing=N_("No template with this id.")
    )
    trail.record(
        session=session,
        actor=actor,
        action="delete",
        entity="report_template",
        entity_id=row.id,
        before=trail.snapshot("report_template", row),
    )
    session.delete(row)
