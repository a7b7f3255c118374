"""The reports as their readers see them: rendered by LibreOffice (headless) to PDF and by poppler to PNG
pages. `.ci/run` installs both (libreoffice-writer-nogui, poppler-utils)."""

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from sqlmodel import select

from auditor.demo import create_demo
from auditor.models import User
from auditor.services import findings, photos
from auditor.services.reports import render_report

KINDS = ("audit_report", "nonconformity_report", "checklist")
A4_POINTS = (595, 842)


def run(*command: str, cwd: Path) -> str:
    assert shutil.which(command[0]), f"{command[0]} is not installed (see .ci/run)"
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True, timeout=180).stdout


def pdf_info(pdf: Path) -> tuple[int, tuple[int, int]]:
    info = run("pdfinfo", str(pdf), cwd=pdf.parent)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    width, height = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    return pages, (round(float(width)), round(float(height)))


@pytest.fixture
def demo_with_photos(session, library, settings):
    demo = create_demo(session=session, library=library)
    lead = session.exec(select(User).where(User.email == "lead@auditor.example")).one()
    picture = io.BytesIO()
    Image.new("RGB", (1200, 900), (40, 90, 160)).save(picture, "JPEG")
    first = findings.list_findings(session=session, audit=demo.audit)[0]
    photos.add_photo(
        session=session,
        actor=lead,
        audit=demo.audit,
        item_id="iso45003.5.2.communicated",
        content=picture.getvalue(),
        caption="Opslagstavle i kantinen",
    )
    photos.add_photo(
        session=session,
        actor=lead,
        audit=demo.audit,
        finding_id=first.id,
        content=picture.getvalue(),
        caption="Vagtplan uden vikarer",
    )
    return demo.audit


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_report_opens_in_libreoffice_on_a4_with_a_sane_page_count(
    session, settings, demo_with_photos, tmp_path, lang
):
    for kind in KINDS:
        _, content = render_report(
            session=session, audit=demo_with_photos, kind=kind, policy=settings.deadline_policy, lang=lang
        )
        (tmp_path / f"{kind}.docx").write_bytes(content)
    run(
        "soffice",
        "--headless",
        f"-env:UserInstallation=file://{tmp_path}/profile",
        "--convert-to",
        "pdf",
        "--outdir",
        str(tmp_path),
        *(f"{kind}.docx" for kind in KINDS),
        cwd=tmp_path,
    )

    pages = {}
    for kind in KINDS:
        count, size = pdf_info(tmp_path / f"{kind}.pdf")
        assert size == A4_POINTS, kind
        pages[kind] = count
    items = demo_with_photos.item_total  # the ISO checklist's questions
    assert 8 <= pages["audit_report"] <= 40, pages
    assert 2 <= pages["nonconformity_report"] <= 6, pages  # a cover and one page per NC (two in the demo)
    assert 4 <= pages["checklist"] <= items // 4, pages

    # The footer's "page X of Y" and the contents' page numbers are computed, not placeholders
    text = run("pdftotext", "-layout", "audit_report.pdf", "-", cwd=tmp_path)
    sheets = text.split("\f")
    of = "af" if lang == "da" else "of"
    assert re.search(rf"\b1 {of} {pages['audit_report']}\b", sheets[0])
    assert re.search(rf"\b{pages['audit_report']} {of} {pages['audit_report']}\b", sheets[pages["audit_report"] - 1])
    heading = "Svar i tjeklisterne" if lang == "da" else "Checklist responses"
    listed = int(re.search(rf"{heading}\s*\.+\s*(\d+)", sheets[0]).group(1))
    assert listed > 2 and heading in sheets[listed - 1] and heading not in sheets[listed - 2]

    # Pages as pictures: the first has ink on it, and a page with a photo is not blank (the cover and the table of
    # contents fill one page or more, as the checklists' sections go, so the photo's page is found by its caption)
    photo_page = next(n for n, sheet in enumerate(sheets, start=1) if "Vagtplan uden vikarer" in sheet)
    for page in (1, photo_page):
        run(
            "pdftoppm",
            "-png",
            "-r",
            "40",
            "-f",
            str(page),
            "-l",
            str(page),
            "audit_report.pdf",
            f"page-{page}",
            cwd=tmp_path,
        )
    assert photo_page > 1 and len(list(tmp_path.glob("page-*.png"))) == 2
    for png in sorted(tmp_path.glob("page-*.png")):
        image = Image.open(png).convert("L")
        assert image.size[1] > image.size[0]  # portrait
        assert ImageStat.Stat(image).mean[0] < 250, f"{png.name} is blank"
