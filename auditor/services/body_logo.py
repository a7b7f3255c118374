"""The certification body's logo, uploaded by an installation administrator for the reports' covers.

Checked like a photo (Pillow reads the content, the file's name is not trusted; size and pixels limited), stored
without any metadata (only the pixels are written out again: PNG stays PNG, so a transparent logo stays
transparent), downscaled to MAX_EDGE, and kept as a blob in the database. At most one is stored: an upload
replaces it. Without one, the reports use the file the setting AUDITOR_CB_LOGO names.
"""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel import Session, select

from auditor.i18n import N_
from auditor.models import BodyLogo, User
from auditor.services import access, blobs, trail
from auditor.services.photos import Refusals, decode

MAX_BYTES = 5 * 1024 * 1024
MAX_EDGE = 1200  # pixels on the long side: sharp at the 40 mm a report prints it
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg"}  # MPO: the JPEG variant some cameras write
REFUSALS = Refusals(
    N_("The logo is larger than {mb} MB."),
    N_("The logo has more than {megapixels} million pixels. Save it at a lower resolution."),
    N_("This is not a logo we can read. Use a PNG or JPEG image."),
)


def process(content: bytes) -> tuple[bytes, str, int, int]:
    """(the stored image, its content type, width, height): only the pixels, at most MAX_EDGE on the long side."""
    image, source_format = decode(content, max_bytes=MAX_BYTES, formats=set(FORMATS), refusals=REFUSALS, edge=MAX_EDGE)
    png = source_format == "PNG"
    if png:
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB")
    else:
        image = image.convert("RGB")
    image.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    image.info = {}  # Pillow writes back what it read (text chunks, EXIF, XMP, ICC profiles): the pixels alone go
    buffer = io.BytesIO()
    if png:
        image.save(buffer, "PNG", optimize=True)
    else:
        image.save(buffer, "JPEG", quality=90, optimize=True)
    return buffer.getvalue(), "image/png" if png else "image/jpeg", image.width, image.height


def current(*, session: Session) -> BodyLogo | None:
    """The uploaded logo, or None."""
    return session.exec(select(BodyLogo).order_by(BodyLogo.id.desc())).first()


def read(*, session: Session, logo: BodyLogo) -> bytes | None:
    """The logo's image (None if its blob is missing)."""
    return blobs.read(session=session, sha256=logo.sha256)


def upload(*, session: Session, actor: User, content: bytes) -> BodyLogo:
    """Check and keep a new logo in place of the one before (an installation administrator)."""
    access.require_body_logo_manager(session=session, user=actor)
    image, content_type, width, height = process(content)
    before = current(session=session)
    if before is not None:
        _delete(session, actor, before)
    logo = BodyLogo(
        sha256=blobs.keep(session=session, content=image),
        content_type=content_type,
        width=width,
        height=height,
        size=len(image),
        uploaded_by_id=actor.id,
    )
    session.add(logo)
    session.flush()
    trail.record(
        session=session,
        actor=actor,
        action="create",
        entity="body_logo",
        entity_id=logo.id,
        after=trail.snapshot("body_logo", logo),
    )
    return logo


def remove(*, session: Session, actor: User) -> None:
    """Remove the uploaded logo: the reports use the setting's file again, if there is one."""
    access.require_body_logo_manager(session=session, user=actor)
    logo = current(session=session)
    if logo is not None:
        _delete(session, actor, logo)


def _delete(session: Session, actor: User, logo: BodyLogo) -> None:
    trail.record(
        session=session,
        actor=actor,
        action="delete",
        entity="body_logo",
        entity_id=logo.id,
        before=trail.snapshot("body_logo", logo),
    )
    session.delete(logo)
    blobs.release(session=session, digests=(logo.sha256,))
