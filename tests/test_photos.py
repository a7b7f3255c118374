"""Photo evidence: real images only, orientation applied, metadata gone, downscaled, nothing half-stored,
the confidentiality rules of evidence."""

import io
import logging

import pytest
from docx import Document
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import select

from auditor.app import create_app
from auditor.deps import get_session
from auditor.models import AuditEvent, Blob, Photo
from auditor.services import accounts
from tests.conftest import request_session


def jpeg_with_exif(width=3000, height=2000, orientation=6, gps=True) -> bytes:
    """A camera-like JPEG: landscape pixels, an orientation tag saying 'rotate', and a GPS position."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, width // 2, height))  # left half blue, so rotation is visible
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "TabletMaker"
    if gps:
        exif[0x8825] = {1: "N", 2: (55.0, 40.0, 30.0), 3: "E", 4: (12.0, 34.0, 56.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def upload(client, audit, item_id, content, name="photo.jpg", **form):
    return client.post(
        f"/api/v1/audits/{audit.id}/responses/{item_id}/photos",
        files={"file": (name, content, "image/jpeg")},
        data=form,
    )


def test_a_photo_is_straightened_stripped_and_downscaled(client, session, make_audit, first_item_id, settings):
    audit = make_audit()
    response = upload(client, audit, first_item_id, jpeg_with_exif(), caption="Opslag ved stempeluret")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (1067, 1600)  # orientation 6: portrait once applied; long side 1600
    assert body["caption"] == "Opslag ved stempeluret" and body["confidential"] is False
    stored = client.get(body["url"])
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(stored.content)) as image:
        assert image.size == (1067, 1600)
        assert dict(image.getexif()) == {}  # no orientation, maker or GPS left
        top, bottom = image.getpixel((5, 5)), image.getpixel((5, 1590))
    assert top[2] > 150 and bottom[0] > 150  # turned clockwise: the blue left half is now on top, the red at the bottom
    thumbnail = client.get(body["thumbnail_url"])
    with Image.open(io.BytesIO(thumbnail.content)) as image:
        assert max(image.size) == 320
    listed = client.get(f"/api/v1/audits/{audit.id}/responses/{first_item_id}").json()["photos"]
    assert [p["id"] for p in listed] == [body["id"]]
    stored = session.exec(select(Photo)).one()
    assert (
        stored.original_sha256 is None and len(session.exec(select(Blob)).all()) == 2
    )  # originals are not kept unless configured


def test_originals_are_kept_only_when_configured(client, session, make_audit, first_item_id, settings):
    settings.keep_photo_originals = True
    audit = make_audit()
    content = jpeg_with_exif(400, 300)
    upload(client, audit, first_item_id, content)
    photo = session.exec(select(Photo)).one()
    assert session.get(Blob, photo.original_sha256).content == content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.jpg", b"<script>alert(1)</script>", "not a photo we can read"),
        ("photo.jpg", b"", "empty"),
        ("photo.gif", None, "not a photo we can read"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    client, session, make_audit, first_item_id, settings, name, content, message
):
    audit = make_audit()
    if content is None:
        buffer = io.BytesIO()
        Image.new("RGB", (10, 10)).save(buffer, "GIF")
        content = buffer.getvalue()
    response = upload(client, audit, first_item_id, content, name=name)
    assert response.status_code == 422 and message in response.json()["detail"]
    assert session.exec(select(Photo)).all() == []
    assert session.exec(select(Blob)).all() == []


def test_the_size_limit_is_clear(client, make_audit, first_item_id, settings):
    settings.photo_max_mb = 0.01
    audit = make_audit()
    response = upload(client, audit, first_item_id, jpeg_with_exif(1200, 900))
    assert response.status_code == 422 and "larger than" in response.json()["detail"]


def test_confidential_photos_stay_with_the_team(client, session, make_audit, make_user, login, lead, first_item_id):
    audit = make_audit()
    from auditor.models import Organisation

    quality_manager = login(make_user("quality_manager", organisation=session.get(Organisation, audit.organisation_id)))
    team = login(lead)
    secret = upload(
        team, audit, first_item_id, jpeg_with_exif(300, 200), caption="Whiteboard med navne", confidential="true"
    ).json()
    public = upload(team, audit, first_item_id, jpeg_with_exif(300, 200), caption="Opslagstavle").json()
    assert [p["caption"] for p in team.get(f"/api/v1/audits/{audit.id}/responses/{first_item_id}/photos").json()] == [
        "Whiteboard med navne",
        "Opslagstavle",
    ]
    assert [
        p["caption"] for p in quality_manager.get(f"/api/v1/audits/{audit.id}/responses/{first_item_id}/photos").json()
    ] == ["Opslagstavle"]
    assert (
        quality_manager.get(secret["url"]).status_code == 404 and quality_manager.get(public["url"]).status_code == 200
    )
    assert upload(quality_manager, audit, first_item_id, jpeg_with_exif(300, 200)).status_code == 403
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "photo").order_by(AuditEvent.id)).all()
    assert [e.confidential for e in events] == [True, False]


def test_remove_a_photo(client, session, make_audit, first_item_id):
    audit = make_audit()
    photo = upload(client, audit, first_item_id, jpeg_with_exif(300, 200)).json()
    assert client.delete(f"/api/v1/audits/{audit.id}/photos/{photo['id']}").status_code == 204
    assert client.get(photo["url"]).status_code == 404
    assert client.delete(f"/api/v1/audits/{audit.id}/photos/{photo['id']}").status_code == 404


def test_a_photo_needs_a_known_item(client, make_audit):
    audit = make_audit()
    assert upload(client, audit, "no.such.item", jpeg_with_exif(300, 200)).status_code == 404


def test_photos_from_the_tablet_page_without_javascript(client, make_audit, first_item_id):
    """The photo form's own action (the page's script sends photos through the outbox to the API): saved, back to
    the item; a refused photo comes back in the form with the caption kept."""
    audit = make_audit()
    saved = client.post(
        f"/audits/{audit.id}/photos",
        data={"item_id": first_item_id, "caption": "Skilt ved indgangen"},
        files={"file": ("IMG_0001.JPG", jpeg_with_exif(800, 600), "image/jpeg")},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"/audits/{audit.id}/conduct#item-{first_item_id}"
    page = client.get(f"/audits/{audit.id}/conduct").text
    assert 'data-action="add-photo"' in page and "Skilt ved indgangen" in page and 'capture="environment"' in page
    assert "thumbnail.jpg" in page
    refused = client.post(
        f"/audits/{audit.id}/photos",
        data={"item_id": first_item_id, "caption": "Mit billede"},
        files={"file": ("notes.txt", b"just text", "text/plain")},
    )
    assert (
        refused.status_code == 422
        and '<form id="photo-form"' in refused.text
        and "not a photo we can read" in refused.text
    )
    assert 'value="Mit billede"' in refused.text


# Photos on findings


def raise_finding(client, audit, statement="Skiltet om trivselsmålingen hænger bag en dør") -> dict:
    response = client.post(f"/api/v1/audits/{audit.id}/findings", json={"kind": "ofi", "statement": statement})
    assert response.status_code == 201, response.text
    return response.json()


def upload_on_finding(client, audit, finding_id, content, **form):
    return client.post(
        f"/api/v1/audits/{audit.id}/findings/{finding_id}/photos",
        files={"file": ("photo.jpg", content, "image/jpeg")},
        data=form,
    )


def test_a_photo_on_a_finding(client, make_audit):
    audit = make_audit()
    finding = raise_finding(client, audit)
    assert finding["photos"] == []
    response = upload_on_finding(client, audit, finding["id"], jpeg_with_exif(800, 600), caption="Opslaget bag døren")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["finding_id"] == finding["id"] and body["item_id"] is None and body["caption"] == "Opslaget bag døren"
    assert client.get(body["thumbnail_url"]).status_code == 200
    listed = client.get(f"/api/v1/audits/{audit.id}/findings/{finding['id']}/photos").json()
    assert [p["id"] for p in listed] == [body["id"]]
    assert [p["id"] for p in client.get(f"/api/v1/audits/{audit.id}/findings/{finding['id']}").json()["photos"]] == [
        body["id"]
    ]
    assert [[p["id"] for p in f["photos"]] for f in client.get(f"/api/v1/audits/{audit.id}/findings").json()] == [
        [body["id"]]
    ]


def test_a_finding_of_another_audit_takes_no_photo(client, session, make_audit):
    first, second = make_audit(), make_audit()
    finding = raise_finding(client, first)
    assert upload_on_finding(client, second, finding["id"], jpeg_with_exif(300, 200)).status_code == 404
    assert client.get(f"/api/v1/audits/{second.id}/findings/{finding['id']}/photos").status_code == 404
    assert upload_on_finding(client, first, 999_999, jpeg_with_exif(300, 200)).status_code == 404
    assert session.exec(select(Photo)).all() == []


def test_confidential_photos_on_a_finding_stay_with_the_team(session, make_audit, make_user, login, lead):
    from auditor.models import Organisation

    audit = make_audit()
    organisation = session.get(Organisation, audit.organisation_id)
    outsiders = [
        login(make_user("quality_manager", organisation=organisation)),
        login(make_user("viewer", organisation=organisation)),
    ]
    team = login(lead)
    finding = raise_finding(team, audit)
    secret = upload_on_finding(
        team, audit, finding["id"], jpeg_with_exif(300, 200), caption="Whiteboard med navne", confidential="true"
    ).json()
    upload_on_finding(team, audit, finding["id"], jpeg_with_exif(300, 200), caption="Opslagstavle")
    url = f"/api/v1/audits/{audit.id}/findings/{finding['id']}"
    assert [p["caption"] for p in team.get(f"{url}/photos").json()] == ["Whiteboard med navne", "Opslagstavle"]
    for outsider in outsiders:
        assert [p["caption"] for p in outsider.get(f"{url}/photos").json()] == ["Opslagstavle"]
        assert [p["caption"] for p in outsider.get(url).json()["photos"]] == ["Opslagstavle"]
        assert outsider.get(secret["url"]).status_code == 404
        assert "Whiteboard med navne" not in outsider.get(f"/audits/{audit.id}/findings").text
        assert upload_on_finding(outsider, audit, finding["id"], jpeg_with_exif(300, 200)).status_code == 403


def test_photos_on_the_findings_page(client, session, make_audit):
    audit = make_audit()
    finding = raise_finding(client, audit)
    page = client.get(f"/audits/{audit.id}/findings").text
    assert (
        f'id="photos-finding-{finding["id"]}"' in page
        and f'name="finding_id" value="{finding["id"]}"' in page
        and 'capture="environment"' in page
    )
    saved = client.post(
        f"/audits/{audit.id}/photos",
        data={"finding_id": str(finding["id"]), "caption": "Opslaget bag døren", "confidential": "true"},
        files={"file": ("IMG_0002.JPG", jpeg_with_exif(800, 600), "image/jpeg")},
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200, saved.text
    assert saved.headers["HX-Retarget"] == f"[id='photos-finding-{finding['id']}']"
    assert (
        "thumbnail.jpg" in saved.text
        and "Opslaget bag døren" in saved.text
        and f'id="photo-form-finding-{finding["id"]}"' in saved.text
    )
    photo = session.exec(select(Photo)).one()
    assert (photo.finding_id, photo.item_id, photo.confidential) == (finding["id"], None, True)
    for page in (
        client.get(f"/audits/{audit.id}/findings").text,
        client.get(f"/audits/{audit.id}/findings/{finding['id']}/edit").text,
    ):
        assert (
            f"/photos/{photo.id}/thumbnail.jpg" in page
            and 'data-action="enlarge-photo"' in page
            and 'id="photo-view"' in page
        )
    refused = client.post(
        f"/audits/{audit.id}/photos",
        data={"finding_id": str(finding["id"]), "caption": "Mit billede"},
        files={"file": ("notes.txt", b"just text", "text/plain")},
        headers={"HX-Request": "true"},
    )
    assert (
        refused.status_code == 422
        and f'<form id="photo-form-finding-{finding["id"]}"' in refused.text
        and 'value="Mit billede"' in refused.text
    )
    removed = client.post(f"/audits/{audit.id}/photos/{photo.id}/delete", follow_redirects=False)
    assert removed.status_code == 303
    assert removed.headers["location"] == f"/audits/{audit.id}/findings#finding-{finding['id']}"
    assert session.exec(select(Photo)).all() == []
    again = client.post(
        f"/audits/{audit.id}/photos",
        data={"finding_id": str(finding["id"])},
        files={"file": ("a.jpg", jpeg_with_exif(300, 200), "image/jpeg")},
        follow_redirects=False,
    )
    assert (
        again.status_code == 303 and again.headers["location"] == f"/audits/{audit.id}/findings#finding-{finding['id']}"
    )


def test_deleting_a_finding_removes_its_photos(client, session, make_audit, first_item_id):
    audit = make_audit()
    finding = raise_finding(client, audit)
    upload_on_finding(client, audit, finding["id"], jpeg_with_exif(300, 200))
    upload(client, audit, first_item_id, jpeg_with_exif(300, 200), caption="Stays with the item")
    assert client.delete(f"/api/v1/audits/{audit.id}/findings/{finding['id']}").status_code == 204
    assert [p.caption for p in session.exec(select(Photo)).all()] == ["Stays with the item"]


# Files live in the database: any machine serves any photo, and a photo's files go with the last record using them


def report_photos(docx: bytes) -> list[bytes]:
    """The JPEG images in a Word file's body (not the file's own preview picture)."""
    return [
        part.blob
        for part in Document(io.BytesIO(docx)).part.package.iter_parts()
        if part.content_type == "image/jpeg" and part.partname.startswith("/word/media/")
    ]


def test_a_photo_uploaded_through_one_machine_is_served_and_reported_by_another(
    client, session, settings, engine, library, make_audit, first_item_id, admin, tmp_path
):
    audit = make_audit()
    body = upload(client, audit, first_item_id, jpeg_with_exif(800, 600), caption="Opslag ved kantinen").json()
    other_machine = create_app(
        settings.model_copy(update={"data_dir": tmp_path / "machine-b"}), engine=engine, library=library
    )
    other_machine.dependency_overrides[get_session] = request_session(session)
    _, token = accounts.create_token(session=session, user=admin, name="machine b")
    with TestClient(
        other_machine, raise_server_exceptions=False, headers={"Authorization": f"Bearer {token}"}
    ) as machine_b:
        served = machine_b.get(body["url"])
        assert served.status_code == 200 and served.content == client.get(body["url"]).content
        assert machine_b.get(body["thumbnail_url"]).content == client.get(body["thumbnail_url"]).content
        report = machine_b.get(f"/api/v1/audits/{audit.id}/report.docx")
    assert report.status_code == 200
    assert served.content in report_photos(report.content)


def test_a_photos_files_go_with_the_last_record_that_uses_them(client, session, make_audit, first_item_id):
    audit = make_audit()
    content = jpeg_with_exif(400, 300)
    first, second = (upload(client, audit, first_item_id, content).json() for _ in range(2))
    assert len(session.exec(select(Blob)).all()) == 2  # the photo and its thumbnail, kept once for both records
    assert client.delete(f"/api/v1/audits/{audit.id}/photos/{first['id']}").status_code == 204
    assert len(session.exec(select(Blob)).all()) == 2 and client.get(second["url"]).status_code == 200
    assert client.delete(f"/api/v1/audits/{audit.id}/photos/{second['id']}").status_code == 204
    assert session.exec(select(Blob)).all() == []


def test_deleting_a_finding_removes_the_files_of_its_confidential_photos(
    client, session, make_audit, first_item_id, settings
):
    settings.keep_photo_originals = True
    audit = make_audit()
    finding = raise_finding(client, audit)
    upload_on_finding(client, audit, finding["id"], jpeg_with_exif(800, 600), confidential="true")
    assert len(session.exec(select(Blob)).all()) == 3  # the photo, its thumbnail and the original
    assert client.delete(f"/api/v1/audits/{audit.id}/findings/{finding['id']}").status_code == 204
    assert session.exec(select(Blob)).all() == []


def test_a_photo_the_report_cannot_read_is_logged(client, session, make_audit, first_item_id, caplog):
    audit = make_audit()
    body = upload(client, audit, first_item_id, jpeg_with_exif(300, 200), caption="Opslag").json()
    image = client.get(body["url"]).content
    assert image in report_photos(client.get(f"/api/v1/audits/{audit.id}/report.docx").content)
    session.delete(session.get(Blob, session.get(Photo, body["id"]).sha256))
    session.flush()
    with caplog.at_level(logging.WARNING, logger="auditor"):
        report = client.get(f"/api/v1/audits/{audit.id}/report.docx")
    assert report.status_code == 200 and image not in report_photos(report.content)
    assert f"Photo {body['id']} of audit {audit.id} is left out of the report" in caplog.text
    missing = client.get(body["url"])
    assert missing.status_code == 404 and "missing" in missing.json()["detail"]


# No metadata at all in what is kept: not EXIF only, but XMP, IPTC, ICC profiles, JPEG comments and PNG text too

SECRET = b"Interview med Hanne Jensen"


def jpeg_with_every_kind_of_metadata() -> bytes:
    """A JPEG carrying a comment, EXIF, XMP, an ICC profile and an IPTC (Photoshop APP13) block, each naming someone."""
    from PIL import ImageCms

    exif = Image.Exif()
    exif[0x010E] = SECRET.decode()  # ImageDescription
    profile = (
        ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() + SECRET
    )  # a profile whose bytes name someone
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 30)).save(
        buffer, "JPEG", comment=SECRET, exif=exif, xmp=b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>", icc_profile=profile
    )
    content = buffer.getvalue()
    iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + len(SECRET).to_bytes(4, "big") + SECRET
    return content[:2] + b"\xff\xed" + (len(iptc) + 2).to_bytes(2, "big") + iptc + content[2:]  # APP13 right after SOI


def png_with_text() -> bytes:
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Author", SECRET.decode())
    text.add_itxt("Description", SECRET.decode())
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 200, 30)).save(buffer, "PNG", pnginfo=text)
    return buffer.getvalue()


def jpeg_segments(content: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to the image data."""
    markers, at = [], 2
    while content[at] == 0xFF and content[at + 1] != 0xDA:  # SOS: the image data follows
        markers.append(content[at + 1])
        at += 2 + int.from_bytes(content[at + 2 : at + 4], "big")
    return markers


@pytest.mark.parametrize("original", [jpeg_with_every_kind_of_metadata(), png_with_text()], ids=["jpeg", "png"])
def test_stored_images_carry_no_metadata_at_all(client, session, make_audit, first_item_id, original):
    assert SECRET in original
    audit = make_audit()
    body = upload(client, audit, first_item_id, original, caption="Opslag").json()
    photo = session.get(Photo, body["id"])
    kept = [
        session.get(Blob, photo.sha256).content,
        session.get(Blob, photo.thumbnail_sha256).content,
        client.get(body["url"]).content,
        client.get(body["thumbnail_url"]).content,
    ]
    kept += report_photos(client.get(f"/api/v1/audits/{audit.id}/report.docx").content)
    assert len(kept) == 5
    for index, image in enumerate(kept):
        assert SECRET not in image
        # only the start of frame, quantisation and Huffman tables, and the JFIF header: no APPn but APP0, no COM
        assert set(jpeg_segments(image)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xC2, 0xDD}, (
            index,
            [hex(m) for m in jpeg_segments(image)],
        )


def test_confidential_photos_are_never_kept_in_the_browser_cache(client, make_audit, first_item_id):
    audit = make_audit()
    confidential = upload(client, audit, first_item_id, jpeg_with_exif(400, 300), confidential="true").json()
    ordinary = upload(client, audit, first_item_id, jpeg_with_exif(300, 200)).json()
    for url in (confidential["url"], confidential["thumbnail_url"]):
        assert client.get(url).headers["cache-control"] == "no-store"
    for url in (ordinary["url"], ordinary["thumbnail_url"]):
        assert client.get(url).headers["cache-control"] == "private, max-age=3600"


def test_a_photo_of_too_many_pixels_is_refused_before_it_is_decoded(client, session, make_audit, first_item_id):
    """A small file can claim a huge picture: its header is checked, not its pixels (50.4 million here, in 10 KB)."""
    buffer = io.BytesIO()
    Image.new("1", (7100, 7100)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < 100_000
    audit = make_audit()
    response = upload(client, audit, first_item_id, buffer.getvalue(), name="bomb.png")
    assert response.status_code == 422 and "more than 50 million pixels" in response.json()["detail"]
    assert session.exec(select(Photo)).all() == []


def test_the_page_keeps_the_apis_caption_limit(client, session, make_audit, first_item_id):
    audit = make_audit()
    page = client.post(
        f"/audits/{audit.id}/photos",
        data={"item_id": first_item_id, "caption": "x" * 301},
        files={"file": ("p.jpg", jpeg_with_exif(300, 200), "image/jpeg")},
    )
    assert page.status_code == 422 and "too long" in page.text
    api = upload(client, audit, first_item_id, jpeg_with_exif(300, 200), caption="x" * 301)
    assert api.status_code == 422
    assert session.exec(select(Photo)).all() == []
