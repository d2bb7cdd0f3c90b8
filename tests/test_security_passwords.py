"""SECURITY.md rows 15-20: password storage and policy, no user enumeration, login throttling."""

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.config import ConfigError, Settings
from app.models import LoginThrottle, User
from app.security import hash_password, verify_password
from app.services import Throttled, throttle
from app.services import users as users_service
from app.services.validation import check_password, common_passwords
from tests.conftest import PASSWORD, Browser, get_user
from tests.test_auth import field_error

GENERIC_FAILURE = "Those details do not match an account: check the username or email"


def user_count(db: Session) -> int:
    return db.exec(select(func.count()).select_from(User)).one()


def register(b: Browser, password: str, username: str = "carol"):  # type: ignore[no-untyped-def]
    return b.register(username, email=f"{username}@example.com", password=password)


def test_sec15_bcrypt_default_cost_and_unique_salts():
    assert Settings.model_fields["bcrypt_rounds"].default == 12
    first, second = hash_password(PASSWORD, 12), hash_password(PASSWORD, 12)
    assert first != second
    assert first.startswith("$2b$12$") and second.startswith("$2b$12$")
    assert first[7:29] != second[7:29]  # the 22-character salts differ
    assert verify_password(PASSWORD, first, 12) and not verify_password("wrong", first, 12)


def test_sec15_production_needs_cost_ten_or_more():
    key = "Vq3lY0cN2bWm7Hk1sTz9aRf4Ue6Pj8Lx"
    with pytest.raises(ConfigError, match="BCRYPT_ROUNDS must be at least 10"):
        Settings(_env_file=None, env="production", secret_key=key, bcrypt_rounds=9)
    assert (
        Settings(
            _env_file=None, env="production", secret_key=key, site_url="https://a.test"
        ).bcrypt_rounds
        == 12
    )


def test_sec15_stored_hashes_are_bcrypt_with_their_own_salt(make_browser, db):
    register(make_browser(), PASSWORD, "carol")
    register(make_browser(), PASSWORD, "dave")
    carol, dave = get_user(db, "carol"), get_user(db, "dave")
    assert carol.password_hash.startswith("$2b$04$") and carol.password_hash != dave.password_hash
    assert PASSWORD not in carol.password_hash


@pytest.mark.parametrize("password", ["é" * 40, "a" * 73, "🙂" * 19, "passphrase " * 7])
def test_sec16_over_72_bytes_is_a_clear_form_error(make_browser, db, password):
    assert len(password.encode()) > 72
    response = register(make_browser(), password)
    assert response.status_code == 422
    assert "at most 72 bytes" in field_error(response.text, "password")
    assert user_count(db) == 0


def test_sec16_over_72_bytes_at_login_is_the_generic_failure(alice, make_browser):
    for password in ("é" * 40, PASSWORD + "x" * 72):
        response = make_browser().login(password=password)
        assert response.status_code == 400 and GENERIC_FAILURE in response.text


def test_sec16_never_truncated(make_browser, db):
    # 72 bytes exactly is allowed, and the 72nd byte counts: bcrypt sees all of it.
    password = "a fine passphrase that is exactly seventy-two bytes long, really, tru1y!"
    assert len(password.encode()) == 72
    assert register(make_browser(), password).status_code == 303
    assert make_browser().login("carol", password[:-1] + "X").status_code == 400
    assert make_browser().login("carol", password).status_code == 303


@pytest.mark.parametrize("password", ["seven77", "short", "", "       "])
def test_sec17_under_8_characters_is_refused(make_browser, db, password):
    response = register(make_browser(), password)
    assert response.status_code == 422
    assert "at least 8" in field_error(response.text, "password")
    assert user_count(db) == 0


@pytest.mark.parametrize(
    "password",
    [
        "a" * 64,  # long and plain: no composition rules
        "correct horse battery staple and a few more words to reach sixty4",
        "qzwxecrv",  # eight lowercase letters
        "84736251904",  # digits only
        "ñandú über straße",  # any characters, spaces included
    ],
)
def test_sec17_long_or_plain_passwords_are_accepted(make_browser, password):
    assert register(make_browser(), password).status_code == 303
    assert make_browser().login("carol", password).status_code == 303


def test_sec18_the_shipped_list_has_at_least_10000_entries():
    assert len(common_passwords()) >= 10_000


@pytest.mark.parametrize("password", ["password123", "PassWord123", "qwertyuiop", "iloveyou1"])
def test_sec18_common_passwords_are_refused(make_browser, db, password):
    response = register(make_browser(), password)
    assert response.status_code == 422
    assert "too common" in field_error(response.text, "password")
    assert user_count(db) == 0


@pytest.mark.parametrize("password", ["carol_the_great", "CAROL_THE_GREAT", "carol@example.org"])
def test_sec18_username_or_email_as_password_is_refused(make_browser, db, password):
    b = make_browser()
    response = b.register("carol_the_great", email="carol@example.org", password=password)
    assert response.status_code == 422
    assert "username or email" in field_error(response.text, "password")
    assert user_count(db) == 0
    with pytest.raises(ValueError, match="username or email"):
        check_password("CarolXYZ", username="someone", email="carolxyz@example.org")


def test_sec18_password_change_applies_the_same_policy(alice, db):
    old_hash = get_user(db, "alice").password_hash
    for new, message in (("password123", "too common"), ("alice", "at least 8")):
        form = {"current_password": PASSWORD, "new_password": new, "confirm_password": new}
        response = alice.submit("/account/password", form, page="/account")
        assert response.status_code == 422 and message in response.text
    assert get_user(db, "alice").password_hash == old_hash


def normalise(html: str) -> str:
    """The page without the parts that differ by design: the form token and the echoed login."""
    html = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    return re.sub(r'id="email" name="email" type="text" value="[^"]*"', "", html)


def test_sec19_unknown_email_and_wrong_password_look_and_cost_the_same(alice, make_browser, db):
    suspended = make_browser()
    suspended.register("zed")
    zed = get_user(db, "zed")
    zed.is_active = False
    db.add(zed)
    db.commit()

    attempts = {
        "wrong password": ("alice@example.com", "not the password"),
        "unknown email": ("nobody@example.com", "not the password"),
        "unknown username": ("nobody", "not the password"),
        # A suspended account is only disclosed to its right password (test_auth.py).
        "suspended, wrong password": ("zed@example.com", "not the password"),
    }
    results = {}
    for name, (login, password) in attempts.items():
        with mock.patch.object(
            users_service, "verify_password", wraps=users_service.verify_password
        ) as verify:
            response = make_browser().login(login, password)
        results[name] = (response.status_code, normalise(response.text), verify.call_count)
    statuses = {status for status, _, _ in results.values()}
    bodies = {body for _, body, _ in results.values()}
    hash_checks = {count for _, _, count in results.values()}
    assert statuses == {400} and len(bodies) == 1 and hash_checks == {1}
    assert GENERIC_FAILURE in next(iter(bodies))


def test_sec19_registration_does_not_leak_through_the_login_form(alice, make_browser):
    # The sign-up form must say an email is taken, but login never does.
    response = make_browser().login("alice@example.com", "wrong password 1")
    assert "exists" not in response.text and "taken" not in response.text


WRONG = "wrong guess"


def fail_login(b: Browser, login: str = "alice@example.com", password: str = WRONG):  # type: ignore[no-untyped-def]
    return b.submit("/login", {"email": login, "password": password}, page="/login")


def counter(db: Session, key: str) -> LoginThrottle | None:
    db.expire_all()
    return db.get(LoginThrottle, key)


def test_sec20_account_is_locked_after_repeated_failures(alice, make_browser, db, settings):
    alice_id = get_user(db, "alice").id
    b = make_browser()
    limit = settings.login_max_failures_account
    for _ in range(limit):
        assert fail_login(b).status_code == 400
    row = counter(db, f"acct:id:{alice_id}")
    assert row is not None and row.failures == limit and row.locked_until is not None

    response = b.login()  # even the right password waits out the lock
    assert response.status_code == 429
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= settings.login_lock_seconds
    assert "Too many failed logins" in response.text and 'class="site-header"' in response.text
    assert "agora_session" not in response.headers.get("set-cookie", "")
    # Other accounts from elsewhere are not affected.
    make_browser().register("bob")
    assert make_browser().login("bob@example.com").status_code == 303


def test_sec20_every_name_of_an_account_counts_towards_its_lock(alice, make_browser, db, settings):
    alice_id = get_user(db, "alice").id
    b = make_browser()
    limit = settings.login_max_failures_account
    # Email and username are the same account: trying both shares one counter.
    for i in range(limit):
        login = "alice@example.com" if i % 2 else "ALICE"
        assert fail_login(b, login).status_code == 400
    row = counter(db, f"acct:id:{alice_id}")
    assert row is not None and row.failures == limit and row.locked_until is not None
    # Neither name is locked by itself, so the answer is the plain failure (see test_hole_06),
    # but even the right password is not checked while the account is locked.
    response = b.login()
    assert response.status_code == 400 and GENERIC_FAILURE in response.text
    assert "agora_session" not in response.headers.get("set-cookie", "")


def test_sec20_the_lock_is_temporary(alice, make_browser, db, settings, clock):
    b = make_browser()
    for _ in range(settings.login_max_failures_account):
        fail_login(b)
    assert b.login().status_code == 429
    clock.advance(settings.login_lock_seconds + 1)
    assert b.login().status_code == 303
    # A successful login clears the account's counter and the name's.
    assert counter(db, f"acct:id:{get_user(db, 'alice').id}") is None
    assert counter(db, "login:alice@example.com") is None


def test_sec20_a_short_lock_expires_by_itself(make_app, db):
    quick = make_app(login_max_failures_account=2, login_lock_seconds=1)
    client = TestClient(quick, follow_redirects=False)
    b = Browser(client)
    b.register("alice")
    b.logout()
    fail_login(b)
    fail_login(b)
    row = counter(db, f"acct:id:{get_user(db, 'alice').id}")
    wait = (row.locked_until - datetime.now(UTC)).total_seconds()
    assert 0 < wait <= 1
    time.sleep(wait + 0.05)  # nobody clears the lock: it simply runs out
    assert b.login().status_code == 303
    client.close()


def test_sec20_locks_grow_but_stay_bounded(app, db, settings):
    waits = []
    keys = throttle.keys(identifier="victim", account_id=None, ip="192.0.2.1")
    for _ in range(12):
        throttle.reserve(session=db, settings=settings, keys=keys)
        row = counter(db, "login:victim")
        if row.locked_until:
            waits.append(round((row.locked_until - datetime.now(UTC)).total_seconds()))
            row.locked_until = datetime.now(UTC) - timedelta(seconds=1)  # wait it out
            db.add(row)
            db.commit()
    assert waits[0] <= settings.login_lock_seconds
    assert waits == sorted(waits) and waits[-1] <= settings.login_lock_max_seconds
    assert waits[-1] > waits[0]


def test_sec20_ip_is_locked_across_accounts(make_app):
    strict = make_app(login_max_failures_ip=3, login_max_failures_account=100)
    attacker = Browser(TestClient(strict, follow_redirects=False, client=("198.51.100.7", 1)))
    for name in ("ann", "ben", "cat"):
        assert fail_login(attacker, f"{name}@example.com").status_code == 400
    response = fail_login(attacker, "dan@example.com")
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    elsewhere = Browser(TestClient(strict, follow_redirects=False, client=("198.51.100.8", 1)))
    assert fail_login(elsewhere, "dan@example.com").status_code == 400


def test_sec20_counters_are_shared_by_every_worker(make_app):
    # Two app instances on one database behave like two worker processes.
    first = make_app(login_max_failures_account=4)
    second = make_app(login_max_failures_account=4)
    workers = [Browser(TestClient(a, follow_redirects=False)) for a in (first, second)]
    workers[0].register("alice")
    workers[0].logout()
    for i in range(4):
        assert fail_login(workers[i % 2]).status_code == 400
    assert workers[0].login().status_code == 429
    assert workers[1].login().status_code == 429


def test_sec20_parallel_attempts_are_all_counted_and_none_past_the_limit(app, settings):
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    keys = throttle.keys(identifier="x", account_id=None, ip="192.0.2.9")

    def attempt() -> None:
        with Session(app.state.engine) as session:
            barrier.wait()
            try:
                throttle.reserve(session=session, settings=settings, keys=keys)
                outcomes.append("reserved")
            except Throttled:
                outcomes.append("throttled")

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    limit = settings.login_max_failures_account
    assert sorted(outcomes) == ["reserved"] * limit + ["throttled"] * (8 - limit)
    with Session(app.state.engine) as session:
        assert session.get(LoginThrottle, "ip:192.0.2.9").failures == limit
        assert session.get(LoginThrottle, "login:x").failures == limit


def test_sec20_guessing_the_current_password_on_the_account_page_is_throttled(alice, db, settings):
    for _ in range(settings.login_max_failures_account):
        form = {"current_password": "guess", "new_password": "x" * 12, "confirm_password": "x" * 12}
        assert alice.submit("/account/password", form, page="/account").status_code == 422
    form["current_password"] = PASSWORD
    response = alice.submit("/account/password", form, page="/account")
    assert response.status_code == 429 and "retry-after" in response.headers
    assert verify_password(PASSWORD, get_user(db, "alice").password_hash, 4)


def ip_keys(db: Session) -> set[str]:
    db.expire_all()
    return {row.key for row in db.exec(select(LoginThrottle)) if row.key.startswith("ip:")}


def test_sec20_forwarded_for_is_believed_from_a_trusted_proxy(make_app, db):
    proxied = make_app(trusted_proxies="10.0.0.0/8")
    proxy = Browser(TestClient(proxied, follow_redirects=False, client=("10.1.2.3", 1)))
    proxy.client.headers["X-Forwarded-For"] = "spoofed-by-client, 203.0.113.5, 10.9.9.9"
    fail_login(proxy)
    assert ip_keys(db) == {"ip:203.0.113.5"}


def test_sec20_forwarded_for_is_ignored_from_anyone_else(make_app, db):
    direct = make_app(trusted_proxies="10.0.0.0/8")
    attacker = Browser(TestClient(direct, follow_redirects=False, client=("198.51.100.9", 1)))
    for fake in ("203.0.113.1", "203.0.113.2", "10.0.0.1"):
        attacker.client.headers["X-Forwarded-For"] = fake
        fail_login(attacker)
    assert ip_keys(db) == {"ip:198.51.100.9"}
    assert counter(db, "ip:198.51.100.9").failures == 3


def test_sec20_no_trusted_proxies_means_the_peer_address(make_app, db):
    none = make_app(trusted_proxies="")
    local = Browser(TestClient(none, follow_redirects=False, client=("127.0.0.1", 1)))
    local.client.headers["X-Forwarded-For"] = "203.0.113.77"
    fail_login(local)
    assert ip_keys(db) == {"ip:127.0.0.1"}


def test_sec20_ipv6_clients_are_counted_per_64(app, db, settings):
    for suffix in ("1", "2", "ffff:1"):
        keys = throttle.keys(identifier=suffix, account_id=None, ip=f"2001:db8:1:2::{suffix}")
        throttle.reserve(session=db, settings=settings, keys=keys)
    assert counter(db, "ip:2001:db8:1:2::/64").failures == 3


def test_hole_03_ipv4_clients_of_a_dual_stack_socket_are_counted_per_address(make_app):
    # Behind `HOST=::` every IPv4 client arrives as ::ffff:a.b.c.d.
    strict = make_app(login_max_failures_ip=3, login_max_failures_account=100)

    def client(address: str) -> Browser:
        return Browser(TestClient(strict, follow_redirects=False, client=(address, 1)))

    attacker = client("::ffff:198.51.100.7")
    for name in ("ann", "ben", "cat"):
        assert fail_login(attacker, f"{name}@example.com").status_code == 400
    assert fail_login(attacker, "dan@example.com").status_code == 429
    # Its IPv4 neighbour is someone else; the same address without the prefix is the attacker.
    assert fail_login(client("::ffff:198.51.100.8"), "dan@example.com").status_code == 400
    assert fail_login(client("198.51.100.7"), "eve@example.com").status_code == 429


def test_hole_03_a_proxy_on_a_dual_stack_socket_is_still_trusted(make_app, db):
    proxied = make_app(trusted_proxies="127.0.0.1")
    proxy = Browser(TestClient(proxied, follow_redirects=False, client=("::ffff:127.0.0.1", 1)))
    proxy.client.headers["X-Forwarded-For"] = "203.0.113.5"
    fail_login(proxy)
    assert ip_keys(db) == {"ip:203.0.113.5"}


def test_hole_06_a_locked_account_does_not_tell_which_email_is_its(alice, make_browser, settings):
    make_browser().register("bob")
    attacker = make_browser()
    # Usernames are public (profiles); emails are not. Lock alice's account by her username...
    for _ in range(settings.login_max_failures_account):
        assert fail_login(attacker, "alice").status_code == 400
    assert fail_login(attacker, "alice").status_code == 429
    # ...then probe candidate emails: hers answers exactly as anybody else's, or nobody's.
    answers = {}
    for email in ("alice@example.com", "bob@example.com", "nobody@example.com"):
        response = fail_login(attacker, email)
        answers[email] = (response.status_code, normalise(response.text), response.headers.keys())
    assert len({(status, body) for status, body, _ in answers.values()}) == 1
    assert {status for status, _, _ in answers.values()} == {400}
    assert not any("retry-after" in headers for _, _, headers in answers.values())
    # Her own right password, typed as her email, is not checked while the account is locked.
    owner = make_browser().login("alice@example.com")
    assert owner.status_code == 400 and GENERIC_FAILURE in owner.text


def test_hole_17_retry_after_reports_the_longer_of_the_account_and_ip_locks(make_app, clock):
    strict = make_app(login_max_failures_account=2, login_max_failures_ip=4, login_lock_seconds=60)

    def client(address: str) -> Browser:
        return Browser(TestClient(strict, follow_redirects=False, client=(address, 1)))

    client("192.0.2.100").register("alice")
    first = client("198.51.100.1")
    for login in ("alice@example.com", "alice@example.com"):  # the account: locked for 60 s
        fail_login(first, login)
    clock.advance(30)
    for login in ("x@example.com", "y@example.com"):  # the address: locked for 60 s from now
        fail_login(first, login)
    locked = first.login()
    assert locked.status_code == 429 and locked.headers["retry-after"] == "60"  # not 30

    clock.advance(61)  # both locks are over; the account's next one lasts twice as long
    second = client("198.51.100.2")
    assert fail_login(second, "alice@example.com").status_code == 400  # locked for 120 s
    for login in ("p@example.com", "q@example.com", "r@example.com"):  # this address: 60 s
        fail_login(second, login)
    locked = second.login()
    assert locked.status_code == 429 and locked.headers["retry-after"] == "120"  # not 60


def test_hole_17_failures_are_forgotten_once_the_window_has_passed(
    alice, make_browser, settings, clock
):
    b = make_browser()
    almost = settings.login_max_failures_account - 1
    for _ in range(almost):
        assert fail_login(b).status_code == 400
    clock.advance(throttle.WINDOW.total_seconds() + 1)
    for _ in range(almost):  # counted afresh: together they would have locked the account
        assert fail_login(b).status_code == 400
    assert b.login().status_code == 303


def test_sec20_successful_logins_do_not_use_up_their_address(make_app):
    # Each attempt is counted before its password is checked; a right one gives it back, so an
    # office behind one address can log in all day.
    strict = make_app(login_max_failures_ip=3)
    office = Browser(TestClient(strict, follow_redirects=False, client=("198.51.100.20", 1)))
    office.register("alice")
    for _ in range(6):
        office.logout()
        assert office.login().status_code == 303
    office.logout()
    for _ in range(3):  # the address has its whole allowance left
        assert fail_login(office, "nobody@example.com").status_code == 400
    assert fail_login(office, "nobody2@example.com").status_code == 429
