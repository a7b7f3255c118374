"""Photo evidence from the tablet: checked, straightened, stripped of location and other metadata, downscaled.

What is kept, as blobs in the database: a JPEG of at most MAX_EDGE pixels on its long side (what reports use), a
thumbnail, and the original only when the installation keeps originals. Photos follow the confidentiality rules of evidence.
"""

from __future__ import annotations

import io
import math
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import false
from sqlmodel import Session, select

from auditor.errors import Invalid, NotFound
from auditor.i18n import N_
from auditor.models import Audit, Finding, Photo, User
from auditor.paging import Page, PageRequest, page_of
from auditor.services import access, blobs, sync, trail
from auditor.services.audits import ensure_open, get_in_audit
from auditor.services.checklists import audit_structure

MAX_EDGE = 1600  # pixels on the long side: sharp on an A4 page, small enough to stream into a report
THUMBNAIL_EDGE = 320
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: the JPEG variant some cameras write
# Decoding costs about 3 bytes of memory per pixel, and a small file can claim a huge picture (an 86 KB PNG of
# 9,400 x 9,400 px took 1 GB and seconds): the size in the file's header is checked before anything is decoded.
# 50 million pixels is more than a 48-megapixel phone camera takes.
MAX_PIXELS = 50_000_000


def _jpeg(image: Image.Image, edge: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    # Pillow writes what it read into `info` (a JPEG comment, XMP, an ICC profile, ...) back out when it saves: only
    # the pixels go along, so no name or place in a comment, profile or text chunk reaches the stored photo.
    copy.info = {}
    buffer = io.BytesIO()
    copy.save(buffer, "JPEG", quality=85, optimize=True)
    return buffer.getvalue()


@dataclass(frozen=True)
class Refusals:
    """What a person is told when an image is refused, in the words of what it was meant to be (a photo, a logo)."""

    too_large: str  # {mb}
    too_many_pixels: str  # {megapixels}
    unreadable: str


PHOTO_REFUSALS = Refusals(
    N_("The photo is larger than {mb} MB."),
    N_("The photo has more than {megapixels} million pixels. Take it again at a lower resolution."),
    N_("This is not a photo we can read. Use a JPEG, PNG or WebP image."),
)


def decode(
    content: bytes, *, max_bytes: int, formats: set[str], refusals: Refusals, edge: int
) -> tuple[Image.Image, str]:
    """(the image upright, its EXIF orientation applied; the format the file is in), decoded only after Pillow read
    its header and found one of `formats` and at most MAX_PIXELS (the name of the file is never trusted); or
    Invalid with a message a person understands. A JPEG is decoded at a reduced size when that still has at least
    `edge` pixels on its long side."""
    if not content:
        raise Invalid(N_("The file is empty."), field="file")
    if len(content) > max_bytes:
        raise Invalid(refusals.too_large, field="file", mb=max_bytes // (1024 * 1024))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                if probe.format not in formats:
                    raise UnidentifiedImageError(probe.format)
                if probe.width * probe.height > MAX_PIXELS:
                    raise Invalid(refusals.too_many_pixels, field="file", megapixels=MAX_PIXELS // 1_000_000)
                probe.verify()
            with Image.open(io.BytesIO(content)) as image:
                # A JPEG decodes at 1/2, 1/4 or 1/8 of its size when that is still at least `edge` on the long
                # side: a 12-megapixel tablet photo decodes in a quarter of the time.
                scale = edge / max(image.size)
                if scale < 1:
                    image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
                image.load()
                return ImageOps.exif_transpose(image), str(image.format)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise Invalid(refusals.unreadable, field="file") from None


def process(content: bytes, *, max_bytes: int) -> tuple[bytes, bytes, int, int]:
    """(photo JPEG, thumbnail JPEG, width, height), or Invalid with a message a person understands."""
    image, _ = decode(content, max_bytes=max_bytes, formats=ACCEPTED_FORMATS, refusals=PHOTO_REFUSALS, edge=MAX_EDGE)
    upright = image.convert("RGB")
    upright.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    photo = _jpeg(upright, MAX_EDGE)
    width, height = upright.size
    return photo, _jpeg(upright, THUMBNAIL_EDGE), width, height  # the thumbnail from the downscaled photo: faster


def add_photo(
    *,
    session: Session,
    actor: User,
    audit: Audit,
    content: bytes,
    caption: str = "",
    confidential: bool = False,
    item_id: str | None = None,
    finding_id: int | None = None,
    keep_original: bool = False,
    max_bytes: int = 20 * 1024 * 1024,
    client_id: UUID | None = None,
) -> Photo:
    """Keep a photo on an item or a finding of the audit (the audit team); sent again with the same `client_id`, the
    photo stored the first time (the upload is not processed again)."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.CONDUCT)
    if (
        stored := sync.earlier(session=session, model=Photo, client_id=client_id, actor=actor, audit=audit)
    ) is not None:
        return stored
    ensure_open(audit)
    if item_id is not None and item_id not in audit_structure(session=session, audit=audit).items:
        raise NotFound(N_("This audit has no checklist item with this id."))
    if finding_id is not None:
        get_in_audit(
            session=session,
            audit=audit,
            model=Finding,
            row_id=finding_id,
            missing=N_("No finding with this id in this audit."),
        )
    if item_id is None and finding_id is None:
        raise Invalid(N_("A photo belongs to a checklist item or a finding."), field="item_id")
    photo, thumbnail, width, height = process(content, max_bytes=max_bytes)
    row = Photo(
        audit_id=audit.id,
        item_id=item_id,
        finding_id=finding_id,
        caption=caption.strip()[:300],
        confidential=confidential,
        sha256=blobs.keep(session=session, content=photo),
        thumbnail_sha256=blobs.keep(session=session, content=thumbnail),
        width=width,
        height=height,
        size=len(photo),
        created_by_id=actor.id,
        original_sha256=blobs.keep(session=session, content=content) if keep_original else None,
        client_id=sync.stored_id(client_id),
    )
    if (stored := sync.insert(session=session, row=row, actor=actor, audit=audit)) is not row:
        return stored
    trail.record(
        session=session,
        actor=actor,
        action="create",
        entity="photo",
        entity_id=row.id,
        audit_id=audit.id,
        after=trail.snapshot("photo", row),
        confidential=confidential,
    )
    return row


def list_photos(
    *,
    session: Session,
    actor: User | None,
    audit: Audit,
    item_id: str | None = None,
    finding_id: int | None = None,
    page: PageRequest | None = None,
) -> Page[Photo]:
    """Photos the actor may see, oldest first (confidential ones only for the audit team); with no actor (a report),
    never those. One page of them, or all without `page`."""
    query = select(Photo).where(Photo.audit_id == audit.id)
    if item_id is not None:
        query = query.where(Photo.item_id == item_id)
    if finding_id is not None:
        query = query.where(Photo.finding_id == finding_id)
    if not access.sees_confidential(session=session, user=actor, audit=audit):
        query = query.where(Photo.confidential == false())
    return page_of(session, query.order_by(Photo.id), page)


def photos_by_finding(*, session: Session, actor: User | None, audit: Audit) -> dict[int, list[Photo]]:
    """The photos the actor may see on each finding of the audit, in one query."""
    grouped: dict[int, list[Photo]] = defaultdict(list)
    for photo in list_photos(session=session, actor=actor, audit=audit).items:
        if photo.finding_id is not None:
            grouped[photo.finding_id].append(photo)
    return dict(grouped)


def get_photo(*, session: Session, actor: User, audit: Audit, photo_id: int) -> Photo:
    photo = get_in_audit(
        session=session, audit=audit, model=Photo, row_id=photo_id, missing=N_("No photo with this id in this audit.")
    )
    if photo.confidential and not access.sees_confidential(session=session, user=actor, audit=audit):
        raise NotFound(N_("No photo with this id in this audit."))
    return photo


def carry_to_finding(
    *, session: Session, actor: User, audit: Audit, finding: Finding, photo_ids: Sequence[int]
) -> list[Photo]:
    """Copies of the audit's photos `photo_ids` on `finding` (a finding raised from an item takes the item's photos
    along): the same stored pictures, no bytes copied. A photo removed meanwhile (on another tablet) is left out, and
    so is one the actor may not see."""
    if not photo_ids:
        return []
    sources = session.exec(
        select(Photo).where(Photo.audit_id == audit.id, Photo.id.in_(set(photo_ids))).order_by(Photo.id)
    ).all()
    sees_confidential = access.sees_confidential(session=session, user=actor, audit=audit)
    copies = []
    for source in sources:
        if source.confidential and not sees_confidential:
            continue
        copy = Photo(
            audit_id=audit.id,
            finding_id=finding.id,
            caption=source.caption,
            confidential=source.confidential,
            sha256=source.sha256,
            thumbnail_sha256=source.thumbnail_sha256,
            original_sha256=source.original_sha256,
            width=source.width,
            height=source.height,
            size=source.size,
            created_by_id=actor.id,
        )
        session.add(copy)
        session.flush()
        trail.record(
            session=session,
            actor=actor,
            action="create",
            entity="photo",
            entity_id=copy.id,
            audit_id=audit.id,
            after=trail.snapshot("photo", copy),
            confidential=copy.confidential,
        )
        copies.append(copy)
    return copies


def delete_finding_photos(*, session: Session, actor: User, audit: Audit, finding_id: int) -> None:
    """Let a finding's photos go with it (the caller commits)."""
    for photo in list(session.exec(select(Photo).where(Photo.audit_id == audit.id, Photo.finding_id == finding_id))):
        _delete(session=session, actor=actor, photo=photo)
    session.flush()


def delete_photo(*, session: Session, actor: User, audit: Audit, photo_id: int) -> Photo:
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.CONDUCT)
    ensure_open(audit)
    photo = get_photo(session=session, actor=actor, audit=audit, photo_id=photo_id)
    _delete(session=session, actor=actor, photo=photo)
    return photo


def read_image(*, session: Session, photo: Photo, thumbnail: bool = False) -> bytes:
    """The stored JPEG of a photo (or its thumbnail)."""
    content = blobs.read(session=session, sha256=photo.thumbnail_sha256 if thumbnail else photo.sha256)
    if content is None:  # only after an upgrade that found the file missing on disk
        raise NotFound(N_("This photo's file is missing."))
    return content


def _delete(*, session: Session, actor: User, photo: Photo) -> None:
    """Delete a photo, and its files where no other record uses them (the caller commits)."""
    trail.record(
        session=session,
        actor=actor,
        action="delete",
        entity="photo",
        entity_id=photo.id,
        audit_id=photo.audit_id,
        before=trail.snapshot("photo", photo),
        confidential=photo.confidential,
    )
    session.delete(photo)
    blobs.release(session=session, digests=(photo.sha256, photo.thumbnail_sha256, photo.original_sha256))
