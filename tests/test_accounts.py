"""Accounts: logging in and out, rate limits, sessions, passwords, user administration, API tokens, the CLI."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from auditor.cli import main
from auditor.models import AuthSession, LoginFailure, User, utcnow
from auditor.security import SESSION_COOKIE
from auditor.services import accounts
from tests.conftest import PASSWORD


def login_page_client(app) -> TestClient:
    """A browser that has loaded the login page (so it holds the CSRF cookie and token)."""
    client = TestClient(app, raise_server_exceptions=False, headers={"Accept-Language": "en"})
    page = client.get("/login")
    client.csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return client


def post_login(client, email, password, next_path="/"):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": client.csrf, "next": next_path},
        follow_redirects=False,
    )


def test_log_in_and_out(app, lead):
    client = login_page_client(app)
    response = post_login(client, "LEAD@test.example ", PASSWORD, "/organisations")
    assert response.status_code == 303 and response.headers["location"] == "/organisations"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/").status_code == 200
    logged_out = client.post("/logout", data={"csrf_token": client.csrf}, follow_redirects=False)
    assert logged_out.headers["location"] == "/login"
    assert logged_out.headers["Clear-Site-Data"] == '"cache"'  # a shared tablet keeps no photo or page of this user
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_session_cookie_is_secure_in_production(app, settings, lead):
    settings.env, settings.secret_key = "production", "p" * 40
    client = login_page_client(app)
    assert "Secure" in post_login(client, lead.email, PASSWORD).headers["set-cookie"]


def test_wrong_password_and_unknown_email_get_the_same_message(app, lead):
    client = login_page_client(app)
    wrong = post_login(client, lead.email, "not the password")
    unknown = post_login(client, "nobody@test.example", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong e-mail or password." in wrong.text and "Wrong e-mail or password." in unknown.text
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")


def test_failures_in_a_row_lock_that_account_from_that_address_even_with_the_right_password(app, lead):
    client = login_page_client(app)
    for _ in range(5):
        assert post_login(client, lead.email, "wrong").status_code == 401
    locked = post_login(client, lead.email, PASSWORD)
    assert locked.status_code == 401 and "Too many failed attempts. Wait a minute" in locked.text
    # an unknown account locks the same way, so the lock does not reveal which accounts exist
    for _ in range(5):
        post_login(client, "ghost@test.example", "wrong")
    assert "Too many failed attempts" in post_login(client, "ghost@test.example", "wrong").text


def _log_in(session, settings, email: str, password: str, address: str, now=None):
    return accounts.log_in(
        session=session, email=email, password=password, address=address, lifetime=settings.session_lifetime, now=now
    )


def _fail(session, settings, email: str, address: str, now=None) -> None:
    """A wrong password, answered as one (not refused as throttled)."""
    with pytest.raises(accounts.Unauthenticated) as error:
        _log_in(session, settings, email, "wrong", address, now)
    assert not isinstance(error.value, accounts.TooManyAttempts)


def test_failures_from_one_address_do_not_lock_the_owner_out_from_another(session, settings, lead):
    for _ in range(5):
        _fail(session, settings, lead.email, "203.0.113.9")
    for _ in range(3):
        with pytest.raises(accounts.TooManyAttempts):
            _log_in(session, settings, lead.email, "wrong", "203.0.113.9")
    assert _log_in(session, settings, lead.email, PASSWORD, "10.0.0.1").user == lead


def test_failures_for_other_accounts_do_not_stop_a_correct_password_from_the_same_address(session, settings, make_user):
    """Everyone behind one NAT or proxy shares an address: over its ceiling it slows only the accounts it failed on."""
    colleague, attacked = make_user("auditor"), make_user("auditor")
    _fail(session, settings, attacked.email, "10.9.9.9")
    for n in range(19):
        _fail(session, settings, f"try{n}@test.example", "10.9.9.9")
    assert _log_in(session, settings, colleague.email, PASSWORD, "10.9.9.9").user == colleague
    with pytest.raises(accounts.TooManyAttempts):
        _log_in(session, settings, attacked.email, PASSWORD, "10.9.9.9")
    assert _log_in(session, settings, attacked.email, PASSWORD, "10.0.0.1").user == attacked


def test_failures_in_a_row_make_the_wait_grow_and_a_throttled_try_is_not_hashed(session, settings, lead, monkeypatch):
    hashed = []
    verify = accounts.password_hash.verify_and_update
    monkeypatch.setattr(accounts.password_hash, "verify_and_update", lambda *args: hashed.append(args) or verify(*args))
    start = utcnow()
    for _ in range(5):
        _fail(session, settings, lead.email, "a", start)
    hashed.clear()
    with pytest.raises(accounts.TooManyAttempts, match="Wait a minute and try again"):
        _log_in(session, settings, lead.email, PASSWORD, "a", start + timedelta(seconds=30))
    assert hashed == []  # refused before the expensive hash
    sixth = start + timedelta(minutes=1, seconds=1)
    _fail(session, settings, lead.email, "a", sixth)
    with pytest.raises(accounts.TooManyAttempts) as error:
        _log_in(session, settings, lead.email, PASSWORD, "a", sixth + timedelta(seconds=1))
    assert error.value.params == {"minutes": 2}
    seventh = sixth + timedelta(minutes=2, seconds=1)
    _fail(session, settings, lead.email, "a", seventh)
    with pytest.raises(accounts.TooManyAttempts) as error:
        _log_in(session, settings, lead.email, PASSWORD, "a", seventh + timedelta(seconds=1))
    assert error.value.params == {"minutes": 4}
    # after the wait the right password works, and clears the pair's failures
    assert _log_in(session, settings, lead.email, PASSWORD, "a", seventh + timedelta(minutes=4, seconds=1)).user == lead
    _fail(session, settings, lead.email, "a", seventh + timedelta(minutes=5))


def test_failures_are_forgotten_after_a_quiet_day(session, lead, settings):
    past = utcnow() - accounts.FAILURES_KEPT - timedelta(minutes=1)
    for _ in range(5):
        _fail(session, settings, lead.email, "a", past)
    _fail(session, settings, lead.email, "a")
    _fail(session, settings, lead.email, "a")  # the second failure of a new run, not the seventh
    assert all(failure.at > past for failure in session.exec(select(LoginFailure)))


def test_an_expired_session_sends_people_to_login_and_api_clients_get_401(session, login, lead):
    client = login(lead)
    for auth in session.exec(select(AuthSession)):
        auth.expires_at = utcnow() - timedelta(minutes=1)
        session.add(auth)
    session.commit()
    page = client.get("/organisations", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/organisations&expired=1"
    api = client.get("/api/v1/audits")
    assert api.status_code == 401 and api.json() == {
        "code": "unauthenticated",
        "detail": "Your session has expired. Please log in again.",
    }
    assert api.headers["WWW-Authenticate"] == "Bearer"
    htmx = client.post(
        "/organisations",
        data={"name": "X"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/organisations"},
    )
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login?next=/organisations")


def test_the_session_is_extended_while_used(session, login, lead, settings):
    client = login(lead)
    auth = session.exec(select(AuthSession)).one()
    auth.expires_at = utcnow() + timedelta(minutes=5)
    session.add(auth)
    session.commit()
    assert client.get("/").status_code == 200
    session.refresh(auth)
    assert auth.expires_at > utcnow() + settings.session_lifetime - timedelta(minutes=1)


def test_unauthenticated_requests(anonymous):
    assert anonymous.get("/api/v1/audits").status_code == 401
    assert anonymous.get("/api/v1/audits").json() == {"code": "unauthenticated", "detail": "Please log in."}
    assert anonymous.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/login").status_code == 200


def test_a_fresh_installation_says_how_to_create_the_first_admin(anonymous):
    assert "auditor users create" in anonymous.get("/login").text


def test_a_temporary_password_must_be_changed_first(app, session, admin):
    user, temporary = accounts.create_user(
        session=session, actor=admin, email="new@test.example", name="New", role="auditor"
    )
    assert temporary and user.must_change_password
    client = login_page_client(app)
    assert post_login(client, user.email, temporary).headers["location"] == "/account?must_change=1"
    assert client.get("/", follow_redirects=False).headers["location"] == "/account?must_change=1"
    account = client.get("/account")
    token = account.text.split('name="csrf_token" value="')[1].split('"')[0]
    short = client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": temporary, "new_password": "short", "repeat_password": "short"},
    )
    assert short.status_code == 422 and "at least 10 characters" in short.text
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": temporary,
            "new_password": "my own long password",
            "repeat_password": "my own long password",
        },
    )
    assert changed.status_code == 200 and "Your password has been changed." in changed.text
    assert client.get("/", follow_redirects=False).status_code == 200


def test_admin_creates_rerolls_deactivates_and_resets(client, session, login, make_organisation):
    organisation = make_organisation()
    created = client.post(
        "/users",
        data={
            "name": "Kvalitetschef",
            "email": "qm@test.example",
            "role": "quality_manager",
            "organisation_id": str(organisation.id),
        },
    )
    assert created.status_code == 200 and "shown only this once" in created.text
    user = session.exec(select(User).where(User.email == "qm@test.example")).one()
    assert (user.role, user.organisation_id, user.must_change_password) == ("quality_manager", organisation.id, True)
    # a client role needs an organisation; a duplicate e-mail is refused
    assert client.post("/users", data={"name": "X", "email": "x@test.example", "role": "viewer"}).status_code == 422
    assert (
        client.post(
            "/users",
            data={"name": "Y", "email": "QM@test.example", "role": "viewer", "organisation_id": str(organisation.id)},
        ).status_code
        == 422
    )

    user.must_change_password = False
    user.password_hash = accounts.password_hash.hash(PASSWORD)
    session.add(user)
    session.commit()
    their_client = login(user)
    assert their_client.get("/api/v1/audits").status_code == 200
    assert (
        client.post(
            f"/users/{user.id}",
            data={"name": "Kvalitetschef", "role": "viewer", "is_active": "on"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    session.refresh(user)
    assert user.role == "viewer"
    client.post(f"/users/{user.id}", data={"name": "Kvalitetschef", "role": "viewer"})  # unchecked: deactivate
    session.refresh(user)
    assert user.is_active is False
    assert their_client.get("/api/v1/audits").status_code == 401  # their session ended
    reset = client.post(f"/users/{user.id}/reset-password")
    assert "shown only this once" in reset.text


def test_an_admin_cannot_deactivate_themself(client, admin):
    response = client.post(f"/users/{admin.id}", data={"name": admin.name, "role": "admin"})
    assert response.status_code == 422 and "cannot deactivate yourself" in response.text


def test_only_admins_manage_users(login, make_user, lead):
    client = login(lead)
    assert client.get("/users").status_code == 403
    assert client.post("/users", data={"name": "X", "email": "x@test.example", "role": "admin"}).status_code == 403


def test_an_organisations_admin_manages_only_its_own_users(session, login, make_user, make_organisation):
    own, other = make_organisation(name="Own A/S"), make_organisation(name="Other A/S")
    org_admin = make_user("admin", organisation=own)
    outsider = make_user("viewer", organisation=other)
    client = login(org_admin)
    assert outsider.email not in client.get("/users").text
    assert client.get(f"/users/{outsider.id}").status_code == 404
    client.post(
        "/users",
        data={"name": "Member", "email": "member@test.example", "role": "viewer", "organisation_id": str(other.id)},
    )
    member = session.exec(select(User).where(User.email == "member@test.example")).one()
    assert member.organisation_id == own.id  # always their own organisation


# API tokens


def test_api_tokens_work_are_shown_once_and_can_be_revoked(session, anonymous, lead):
    row, token = accounts.create_token(session=session, user=lead, name="script")
    assert token.startswith("aud_") and row.token_hash != token and row.prefix == token[:12]
    bearer = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/api/v1/audits", headers=bearer).status_code == 200
    session.refresh(row)
    assert row.last_used_at is not None
    # a token needs no CSRF token: it is not sent by the browser on its own
    assert anonymous.post("/api/v1/organisations", json={"name": "Via token"}, headers=bearer).status_code == 201
    accounts.revoke_token(session=session, actor=lead, token_id=row.id)
    assert anonymous.get("/api/v1/audits", headers=bearer).json() == {
        "code": "unauthenticated",
        "detail": "This API token is not valid.",
    }


def test_a_deactivated_users_token_is_refused(session, anonymous, admin, lead):
    _, token = accounts.create_token(session=session, user=lead)
    accounts.update_user(session=session, actor=admin, user=lead, is_active=False)
    response = anonymous.get("/api/v1/audits", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.json() == {
        "code": "unauthenticated",
        "detail": "This API token is not valid.",
    }


def test_reactivating_a_user_brings_back_no_token_and_no_session(session, anonymous, login, admin, lead):
    _, token = accounts.create_token(session=session, user=lead)
    browser = login(lead)
    accounts.update_user(session=session, actor=admin, user=lead, is_active=False)
    accounts.update_user(session=session, actor=admin, user=lead, is_active=True)
    assert anonymous.get("/api/v1/audits", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert browser.get("/api/v1/audits").status_code == 401


def test_a_password_reset_ends_every_session_and_revokes_every_token(session, anonymous, login, admin, lead):
    _, token = accounts.create_token(session=session, user=lead)
    browser = login(lead)
    accounts.reset_password(session=session, actor=admin, user=lead)
    assert anonymous.get("/api/v1/audits", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert browser.get("/api/v1/audits").status_code == 401


@pytest.mark.parametrize("revoke", [False, True])
def test_a_password_change_ends_the_other_sessions_and_revokes_tokens_when_asked(
    session, anonymous, login, lead, revoke
):
    _, token = accounts.create_token(session=session, user=lead)
    here, elsewhere = login(lead), login(lead)
    assert "Also revoke your API token" in here.get("/account").text
    form = {
        "current_password": PASSWORD,
        "new_password": "another long password",
        "repeat_password": "another long password",
    }
    changed = here.post("/account/password", data=form | ({"revoke_tokens": "on"} if revoke else {}))
    assert "Your password has been changed." in changed.text
    assert here.get("/api/v1/audits").status_code == 200  # the session that changed it goes on
    assert elsewhere.get("/api/v1/audits").status_code == 401
    assert anonymous.get("/api/v1/audits", headers={"Authorization": f"Bearer {token}"}).status_code == (
        401 if revoke else 200
    )


def test_tokens_from_the_account_page(client, session, admin):
    page = client.post("/account/tokens", data={"name": "Power BI"})
    token = page.text.split('<pre class="token">')[1].split("</pre>")[0]
    assert "shown only this once" in page.text and token.startswith("aud_")
    assert "Power BI" in client.get("/account").text and token not in client.get("/account").text
    row = accounts.list_tokens(session=session, user=admin)[0]
    assert client.post(f"/account/tokens/{row.id}/revoke", follow_redirects=False).status_code == 303
    session.refresh(row)
    assert row.revoked_at is not None


# CLI


def test_cli_users_and_tokens(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AUDITOR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AUDITOR_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a long enough password\n"))
    assert (
        main(
            ["users", "create", "--email", "Boss@Example.org", "--name", "Boss", "--role", "admin", "--password-stdin"]
        )
        == 0
    )
    assert (
        main(["users", "create", "--email", "qm@example.org", "--name", "QM", "--role", "quality_manager"]) == 1
    )  # needs an organisation
    assert "choose one" in capsys.readouterr().err
    assert main(["users", "list"]) == 0
    assert "boss@example.org" in capsys.readouterr().out
    assert main(["tokens", "create", "--email", "boss@example.org"]) == 0
    token = capsys.readouterr().out.split()[-1]
    assert token.startswith("aud_")
    assert main(["tokens", "revoke", token]) == 0
    assert main(["tokens", "revoke", "aud_nothing"]) == 1
