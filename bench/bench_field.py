"""Field mode in the browser, measured: making a 1,020-item audit available offline, and sending 200 queued changes
(190 answers with notes and 10 photos) from the tablet's outbox after the network returns. Prints figures; it checks
no budget.

    python bench/bench_field.py                                   # SQLite in a temporary folder
    python bench/bench_field.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/auditor_bench_field

One `auditor serve` process; headless Chromium (Debian's, /usr/bin/chromium) on an iPad viewport, signed in through
the login form as the audit team's auditor. "Available offline" stores the audit's three pages, its offline copy and
its thumbnails; the seconds are from the switch to "stored", the bytes those the tablet recorded. The changes are
queued through the page's own outbox (static/outbox.mjs) while the browser is offline, then the browser goes online
and the seconds run until the outbox is empty.
"""

from __future__ import annotations

import argparse
import io
import signal
import sys
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._database import fresh_database  # noqa: E402
from bench._servers import HOST, Servers, app_command, free_port  # noqa: E402
from bench.bench_save import SIZE, cpu_ms, load  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSWERS, PHOTOS = 190, 10

QUEUE = """async ({ auditId, itemIds, photo }) => {
  const { field } = await import('/static/field.mjs');
  const { outbox } = await field;
  const bytes = Uint8Array.from(atob(photo), (c) => c.charCodeAt(0));
  for (const [n, itemId] of itemIds.answers.entries()) {
    await outbox.setAnswer(auditId, itemId, { verdict: 'conform', note: `Set og bekræftet ved interview (${n}).` }, 0);
  }
  for (const [n, itemId] of itemIds.photos.entries()) {
    await outbox.addPhoto(auditId, { itemId }, new Blob([bytes], { type: 'image/jpeg' }), { caption: `Foto ${n}` });
  }
  return (await outbox.counts()).total;
}"""

COUNT = "async () => { const { field } = await import('/static/field.mjs'); return (await (await field).outbox.counts()).total; }"
STORED_BYTES = """async (auditId) => {
  const { field } = await import('/static/field.mjs');
  return (await (await field).outbox.offlineAudit(auditId)).bytes;
}"""


def tablet_photo() -> str:
    """A tablet-sized JPEG (about 0.5 MB), base64."""
    import base64

    image = Image.effect_noise((1600, 1200), 40).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return base64.b64encode(buffer.getvalue()).decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url", help="a PostgreSQL database to use (emptied first); default: SQLite in a temporary folder"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    url, workdir = fresh_database(args.database_url, prefix="auditor-bench-field-")
    (workdir / "checklists").mkdir()
    audit_id, item_ids, _ = load(url, workdir / "checklists")
    env = {
        "AUDITOR_DATABASE_URL": url,
        "AUDITOR_DATA_DIR": str(workdir),
        "AUDITOR_CHECKLISTS_DIR": str(workdir / "checklists"),
    }
    photo = tablet_photo()
    with Servers(workdir, env) as servers, sync_playwright() as playwright:
        port = free_port()
        pid = servers.start(app_command(port, workers=1), "app")
        base = f"http://{HOST}:{port}"
        device = {k: v for k, v in playwright.devices["iPad Pro 11"].items() if k != "default_browser_type"}
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(**device, locale="da-DK")
        page = context.new_page()
        page.goto(f"{base}/login")
        page.locator("[name=email]").fill("auditor@bench.example")
        page.locator("[name=password]").fill("bench password 123")
        page.locator("form[action='/login'] [type=submit]").click()
        page.wait_for_url(f"{base}/")

        page.goto(f"{base}/audits/{audit_id}/conduct", wait_until="domcontentloaded")
        switch = page.locator(".offline-switch")
        started = time.perf_counter()
        switch.locator("input[type=checkbox]").check()
        switch.and_(page.locator("[data-state=stored]")).wait_for(timeout=120_000)
        store_s = time.perf_counter() - started
        stored = page.evaluate(STORED_BYTES, audit_id)
        print(
            f"available offline, {SIZE}-item audit (3 pages, offline copy, no photos): {stored / 1024 / 1024:.2f} MB stored in {store_s:.1f} s"
        )

        context.set_offline(True)
        queued = page.evaluate(
            QUEUE,
            {
                "auditId": audit_id,
                "itemIds": {"answers": item_ids[:ANSWERS], "photos": item_ids[ANSWERS : ANSWERS + PHOTOS]},
                "photo": photo,
            },
        )
        assert queued == ANSWERS + PHOTOS, queued
        started, cpu = time.perf_counter(), cpu_ms(pid)
        context.set_offline(False)
        while page.evaluate(COUNT):  # the outbox's own count of what is still on the tablet
            time.sleep(0.05)
        sync_s, cpu = time.perf_counter() - started, cpu_ms(pid) - cpu
        on_server = page.evaluate(
            """async (auditId) => {
          const answers = await (await fetch(`/api/v1/audits/${auditId}/responses?limit=200`)).json();  // one page holds them
          const copy = await (await fetch(`/api/v1/audits/${auditId}/offline`)).json();
          return [answers.filter((a) => a.note.startsWith('Set og')).length, copy.photos.length];
        }""",
            audit_id,
        )
        assert on_server == [ANSWERS, PHOTOS], on_server
        print(
            f"sync after reconnecting: {queued} changes ({ANSWERS} answers with notes, {PHOTOS} photos of {len(photo) * 3 // 4 // 1024} KiB) "
            f"in {sync_s:.1f} s ({queued / sync_s:.0f} changes/s), server CPU {cpu / 1000:.2f} s, {url.split(':', 1)[0]}"
        )
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
