"""CSRF on every state change made with the session cookie, and the security headers."""

from sqlmodel import select

from auditor.models import Finding, Organisation, Response
from auditor.security import CSRF_HEADER


def test_a_forged_or_missing_csrf_token_is_refused_and_nothing_changes(login, lead, make_audit, first_item_id, session):
    audit = make_audit()
    client = login(lead, csrf=False)
    attempts = [
        client.put(f"/api/v1/audits/{audit.id}/responses/{first_item_id}", json={"verdict": "conform", "version": 0}),
        client.put(
            f"/api/v1/audits/{audit.id}/responses/{first_item_id}",
            json={"verdict": "conform", "version": 0},
            headers={CSRF_HEADER: "forged"},
        ),
        client.post(f"/audits/{audit.id}/findings", data={"kind": "ofi", "statement": "x", "csrf_token": "forged"}),
        client.post(
            f"/audits/{audit.id}/findings", data={"kind": "ofi", "statement": "x"}, headers={"HX-Request": "true"}
        ),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert "did not come from this site" in response.text
    assert session.exec(select(Response)).all() == [] and session.exec(select(Finding)).all() == []


def test_the_csrf_token_in_a_form_field_is_accepted(login, lead, make_audit, settings):
    from auditor.security import _sign
    from tests.conftest import CSRF_VALUE

    audit = make_audit()
    client = login(lead, csrf=False)
    response = client.post(
        f"/audits/{audit.id}/findings",
        data={"kind": "ofi", "statement": "Via form", "csrf_token": _sign(settings.secret_key, CSRF_VALUE)},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_a_token_signed_with_another_secret_is_refused(login, admin, session):
    from auditor.security import _sign
    from tests.conftest import CSRF_VALUE

    client = login(admin, csrf=False)
    response = client.post(
        "/api/v1/organisations", json={"name": "X"}, headers={CSRF_HEADER: _sign("another secret", CSRF_VALUE)}
    )
    assert response.status_code == 403
    assert session.exec(select(Organisation).where(Organisation.name == "X")).first() is None


def test_pages_carry_the_token_for_forms_htmx_and_fetch(client, make_audit):
    audit = make_audit()
    page = client.get(f"/audits/{audit.id}/conduct").text
    assert '<meta name="csrf-token" content="' in page
    assert 'hx-headers=\'{"X-CSRF-Token": "' in page
    assert 'name="csrf_token" value="' in page


def test_security_headers(client, anonymous):
    for response in (client.get("/"), anonymous.get("/login"), client.get("/api/v1/audits")):
        headers = response.headers
        assert (
            "script-src 'self'" in headers["Content-Security-Policy"]
            and "unsafe-inline" not in headers["Content-Security-Policy"]
        )
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_no_inline_script_in_pages(client, make_audit):
    """The CSP forbids inline script; pages carry only data blocks (application/json) and external scripts."""
    import re

    audit = make_audit()
    for path in (
        "/",
        f"/audits/{audit.id}",
        f"/audits/{audit.id}/conduct",
        f"/audits/{audit.id}/findings",
        "/organisations",
        "/account",
        "/users",
    ):
        html = client.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert " onclick=" not in html and ' style="' not in html, path


def test_output_is_escaped(client, make_audit):
    audit = make_audit(title="<script>alert(1)</script>")
    page = client.get(f"/audits/{audit.id}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_api_docs_come_from_our_own_files_under_our_own_policy(anonymous):
    from html.parser import HTMLParser

    class Page(HTMLParser):
        def __init__(self):
            super().__init__()
            self.urls, self.inline_scripts, self._in_script = [], [], False

        def handle_starttag(self, tag, attrs):
            attributes = dict(attrs)
            self.urls += [attributes[name] for name in ("src", "href") if attributes.get(name)]
            self._in_script = tag == "script"

        def handle_data(self, data):
            if self._in_script and data.strip():
                self.inline_scripts.append(data)

        def handle_endtag(self, tag):
            self._in_script = False

    response = anonymous.get("/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "http" not in policy
    page = Page()
    page.feed(response.text)
    assert page.inline_scripts == []
    assert any(url.endswith(".js") for url in page.urls) and any(url.endswith(".css") for url in page.urls)
    for url in page.urls:
        assert url.startswith("/") and not url.startswith("//"), url  # this site only
        assert anonymous.get(url).status_code == 200, url


def test_a_form_is_not_read_when_its_token_cannot_matter(app, login, lead, make_audit, settings):
    """Without a session cookie the answer is the login page and without the CSRF cookie 403, whatever the form says:
    the body is left unread (deps.get_signed_in_csrf, deps.get_submitted_csrf). With both, the token is read from the form."""
    from concurrent.futures import ThreadPoolExecutor

    import anyio

    from auditor.security import CSRF_COOKIE, SESSION_COOKIE, _sign
    from tests.conftest import CSRF_VALUE

    audit = make_audit()
    session_token = login(lead).cookies[SESSION_COOKIE]
    form = f"kind=ofi&statement=x&csrf_token={_sign(settings.secret_key, CSRF_VALUE)}".encode()

    def post(cookies: dict[str, str]) -> tuple[int, str, bool]:
        """The status, where it sends the browser, and whether the app read the body."""
        read, answers = [], []

        async def receive():
            read.append(True)
            return {"type": "http.request", "body": form, "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                headers = dict(message["headers"])
                answers.append((message["status"], headers.get(b"location", b"").decode().split("?")[0]))

        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": f"/audits/{audit.id}/findings",
            "raw_path": f"/audits/{audit.id}/findings".encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"testserver"),
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"content-length", str(len(form)).encode()),
                *([(b"cookie", cookie.encode())] if cookie else []),
            ],
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        }
        # In a thread of its own: a browser test earlier in this worker may have left its event loop running here
        with ThreadPoolExecutor(1) as thread:
            thread.submit(anyio.run, app, scope, receive, send).result()
        return *answers[0], bool(read)

    assert post({}) == (303, "/login", False)
    assert post({CSRF_COOKIE: CSRF_VALUE}) == (303, "/login", False)
    assert post({SESSION_COOKIE: session_token}) == (403, "", False)
    assert post({SESSION_COOKIE: session_token, CSRF_COOKIE: CSRF_VALUE}) == (303, f"/audits/{audit.id}/findings", True)
