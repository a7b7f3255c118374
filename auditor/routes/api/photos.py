"""Photo evidence on checklist items and findings."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import AfterValidator
from sqlmodel import Session

from auditor import schemas
from auditor.config import Settings
from auditor.deps import (
    AuditDep,
    ConductAuditDep,
    CurrentUser,
    FindingDep,
    PageDep,
    PathId,
    SessionDep,
    SettingsDep,
    send_page,
)
from auditor.models import Audit, Photo, User
from auditor.routes.api.refusals import CHANGE, NAMED
from auditor.schemas import PhotoOut
from auditor.services import photos
from auditor.text import refuse_unstorable

router = APIRouter(tags=["photos"], responses=NAMED)


def photo_out(photo: Photo) -> PhotoOut:
    base = f"/api/v1/audits/{photo.audit_id}/photos/{photo.id}"
    return PhotoOut(
        **photo.model_dump(include=set(PhotoOut.model_fields) - {"url", "thumbnail_url"}),
        url=f"{base}.jpg",
        thumbnail_url=f"{base}/thumbnail.jpg",
    )


PhotoFile = Annotated[UploadFile, File(description="A JPEG, PNG or WebP photo")]
Caption = Annotated[schemas.Caption, AfterValidator(refuse_unstorable), Form()]
Confidential = Annotated[bool, Form()]
ClientId = Annotated[
    UUID | None,
    Form(
        description="A UUID the client made for this upload. Sent again with the same id, the upload "
        "answers with the photo stored the first time and stores nothing new"
    ),
]


def _add_photo(
    file: UploadFile,
    *,
    session: Session,
    user: User,
    settings: Settings,
    audit: Audit,
    caption: str,
    confidential: bool,
    client_id: UUID | None,
    item_id: str | None = None,
    finding_id: int | None = None,
) -> PhotoOut:
    """Read the upload no further than the size limit, then keep it on the item or the finding."""
    max_bytes = int(settings.photo_max_mb * 1024 * 1024)
    content = file.file.read(max_bytes + 1)
    photo = photos.add_photo(
        session=session,
        actor=user,
        audit=audit,
        item_id=item_id,
        finding_id=finding_id,
        content=content,
        caption=caption,
        confidential=confidential,
        keep_original=settings.keep_photo_originals,
        max_bytes=max_bytes,
        client_id=client_id,
    )
    return photo_out(photo)


@router.post("/audits/{audit_id}/responses/{item_id}/photos", status_code=201, responses=CHANGE)
def create_photo(
    audit: ConductAuditDep,
    item_id: str,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    file: PhotoFile,
    caption: Caption = "",
    confidential: Confidential = False,
    client_id: ClientId = None,
) -> PhotoOut:
    """Add a photo to a checklist item; location and other metadata are removed, orientation applied."""
    return _add_photo(
        file,
        session=session,
        user=user,
        settings=settings,
        audit=audit,
        item_id=item_id,
        caption=caption,
        confidential=confidential,
        client_id=client_id,
    )


@router.get("/audits/{audit_id}/responses/{item_id}/photos")
def list_photos(
    request: Request,
    response: Response,
    audit: AuditDep,
    item_id: str,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
) -> list[PhotoOut]:
    """The photos on one item that you may see, oldest first; paged (Link and X-Total-Count headers)."""
    found = photos.list_photos(session=session, actor=user, audit=audit, item_id=item_id, page=page)
    return send_page(found.with_items([photo_out(p) for p in found.items]), request, response)


@router.post("/audits/{audit_id}/findings/{finding_id}/photos", status_code=201, responses=CHANGE)
def create_finding_photo(
    audit: ConductAuditDep,
    finding: FindingDep,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    file: PhotoFile,
    caption: Caption = "",
    confidential: Confidential = False,
    client_id: ClientId = None,
) -> PhotoOut:
    """Add a photo to a finding; location and other metadata are removed, orientation applied."""
    return _add_photo(
        file,
        session=session,
        user=user,
        settings=settings,
        audit=audit,
        finding_id=finding.id,
        caption=caption,
        confidential=confidential,
        client_id=client_id,
    )


@router.get("/audits/{audit_id}/findings/{finding_id}/photos")
def list_finding_photos(
    request: Request,
    response: Response,
    audit: AuditDep,
    finding: FindingDep,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
) -> list[PhotoOut]:
    """The photos on one finding that you may see, oldest first; paged (Link and X-Total-Count headers)."""
    found = photos.list_photos(session=session, actor=user, audit=audit, finding_id=finding.id, page=page)
    return send_page(found.with_items([photo_out(p) for p in found.items]), request, response)


@router.get("/audits/{audit_id}/photos/{photo_id}.jpg", response_class=Response)
def download_photo(audit: AuditDep, photo_id: PathId, session: SessionDep, user: CurrentUser) -> Response:
    """The photo (downscaled, without metadata)."""
    return _jpeg(session=session, user=user, audit=audit, photo_id=photo_id, thumbnail=False)


@router.get("/audits/{audit_id}/photos/{photo_id}/thumbnail.jpg", response_class=Response)
def download_thumbnail(audit: AuditDep, photo_id: PathId, session: SessionDep, user: CurrentUser) -> Response:
    """A small version for lists and the tablet screen."""
    return _jpeg(session=session, user=user, audit=audit, photo_id=photo_id, thumbnail=True)


def _jpeg(*, session: Session, user: User, audit: Audit, photo_id: PathId, thumbnail: bool) -> Response:
    photo = photos.get_photo(session=session, actor=user, audit=audit, photo_id=photo_id)
    # A confidential photo is never kept in a (shared tablet's) browser cache; the others for an hour, for this user only.
    caching = "no-store" if photo.confidential else "private, max-age=3600"
    return Response(
        photos.read_image(session=session, photo=photo, thumbnail=thumbnail),
        media_type="image/jpeg",
        headers={"Cache-Control": caching},
    )


@router.delete("/audits/{audit_id}/photos/{photo_id}", status_code=204, responses=CHANGE)
def delete_photo(audit: ConductAuditDep, photo_id: PathId, session: SessionDep, user: CurrentUser) -> Response:
    """Remove a photo; one that is already gone answers 404 `not_found`."""
    photos.delete_photo(session=session, actor=user, audit=audit, photo_id=photo_id)
    return Response(status_code=204)
