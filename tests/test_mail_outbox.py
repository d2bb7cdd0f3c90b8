"""The outbox: messages built from templates, claimed safely, delivered to a real SMTP server,
retried while it is down, kept when every retry failed."""

import json
import stat
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.cli import main
from app.models import MailOutbox
from app.services import mail, outbox


def queue(app, to="ann@example.com", kind="reset", **context):  # type: ignore[no-untyped-def]
    values = {"username": "ann", "url": "https://x.test/r/<b>&amp;", "minutes": 60, **context}
    with Session(app.state.engine) as session:
        row = mail.queue(
            session=session, settings=app.state.settings, kind=kind, to=to, context=values
        )
        session.commit()
        session.refresh(row)
        return row


def rows(app) -> list[MailOutbox]:  # type: ignore[no-untyped-def]
    with Session(app.state.engine) as session:
        return list(session.exec(select(MailOutbox).order_by(MailOutbox.id)))


def test_a_message_has_text_and_html_parts_and_the_right_headers(app, mailbox):
    queue(app)
    (message,) = mailbox.deliver()
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Reset your password"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] and message["Message-ID"].startswith("<")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # The text part is not HTML-escaped; the HTML part is.
    assert "https://x.test/r/<b>&amp;" in text
    assert "https://x.test/r/&lt;b&gt;&amp;amp;" in html and "<b>" not in html
    assert rows(app)[0].status == "sent"
    assert rows(app)[0].text_body == ""  # a sent message keeps no link to an account


def test_mail_queued_while_the_server_is_down_arrives_when_it_returns(app, mailbox, monkeypatch):
    queue(app)
    clock = [outbox.utcnow()]
    monkeypatch.setattr(outbox, "utcnow", lambda: clock[0])
    mailbox.refuse = True
    assert mailbox.deliver() == []
    first = rows(app)[0]
    assert first.status == "queued" and first.attempts == 1 and "451" in first.last_error
    # Not retried before its backoff has passed...
    mailbox.refuse = False
    assert mailbox.deliver() == []
    # ...and delivered after, with the same Message-ID and Date it would have had.
    clock[0] += outbox.backoff(1) + timedelta(seconds=1)
    (message,) = mailbox.deliver()
    assert message["Message-ID"] == first.message_id
    assert rows(app)[0].status == "sent"


def test_a_stopped_server_is_retried_with_growing_backoff(app, mailbox, monkeypatch):
    clock = [outbox.utcnow()]
    monkeypatch.setattr(outbox, "utcnow", lambda: clock[0])
    queue(app)
    mailbox.stop()  # nothing listens on the port any more
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS):
        clock[0] += timedelta(hours=3)
        assert outbox.deliver_due(app.state.engine, app.state.settings) == 1
        row = rows(app)[0]
        if row.status == "queued":
            waits.append(row.next_attempt_at - clock[0])
    assert waits == sorted(waits) and waits[0] == outbox.backoff(1)
    failed = rows(app)[0]
    assert failed.status == "failed" and failed.attempts == outbox.MAX_ATTEMPTS
    assert "Connection refused" in failed.last_error or "Errno" in failed.last_error
    clock[0] += timedelta(days=1)
    assert outbox.deliver_due(app.state.engine, app.state.settings) == 0  # kept, not retried


def test_failed_mail_is_shown_to_administrators(app, admin, db, monkeypatch):
    row = queue(app)
    row.status, row.attempts, row.last_error = "failed", 8, "SMTPRecipientsRefused: nope"
    db.add(row)
    db.commit()
    page = admin.get("/admin").text
    assert "1 failed after every retry" in page
    assert "SMTPRecipientsRefused: nope" in page and "ann@example.com" in page


def test_without_smtp_host_development_writes_private_eml_files(app, settings):
    settings.env = "development"
    queue(app)
    assert outbox.deliver_due(app.state.engine, settings) == 1
    (path,) = settings.mail_dir.glob("*.eml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.mail_dir.stat().st_mode) == 0o700
    assert "Subject: Reset your password" in path.read_text()


def test_without_smtp_host_production_keeps_mail_queued_and_says_so(app, admin, settings, caplog):
    queue(app, url="https://x.test/secret-link")
    settings.env = "production"
    assert outbox.deliver_due(app.state.engine, settings) == 0
    assert rows(app)[0].status == "queued" and rows(app)[0].attempts == 0
    assert not settings.mail_dir.exists()
    assert "secret-link" not in caplog.text
    page = admin.get("/admin").text
    assert "Mail is not configured" in page


def test_a_live_lease_keeps_a_message_from_a_second_claimer(app):
    queue(app)
    first = outbox.claim(app.state.engine)
    assert first is not None
    assert outbox.claim(app.state.engine) is None
    # A claimer that died: once its lease runs out, another takes the message over.
    later = outbox.utcnow() + outbox.LEASE + timedelta(seconds=1)
    again = outbox.claim(app.state.engine, now=later)
    assert again is not None and again.id == first.id and again.attempts == 2


CLAIMER = """
import json, sys
from app.config import Settings
from app.db import make_engine
from app.services import outbox
engine = make_engine(Settings(_env_file=None, env="test", database_url=sys.argv[1]))
print("ready", flush=True)
sys.stdin.readline()
ids = []
while (row := outbox.claim(engine)) is not None:
    ids.append(row.id)
print(json.dumps(ids))
"""


def test_two_processes_never_claim_the_same_message(app, settings):
    for n in range(60):
        queue(app, to=f"u{n}@example.com")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, settings.database_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:  # both start claiming at the same moment
        proc.stdin.write("go\n")
        proc.stdin.flush()
    claimed = [json.loads(proc.communicate(timeout=60)[0]) for proc in procs]
    everything = claimed[0] + claimed[1]
    assert len(everything) == 60 and len(set(everything)) == 60


def test_agora_mail_status_shows_the_queue(app, settings, monkeypatch, capsys):
    queue(app)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("INSTANCE_DIR", str(settings.instance_dir))
    monkeypatch.delenv("SMTP_HOST", raising=False)
    assert main(["mail", "status"]) == 0
    out = capsys.readouterr().out
    assert "queued: 1" in out and "failed: 0" in out


@pytest.mark.parametrize("kind", sorted(mail.SUBJECTS))
def test_every_kind_of_mail_renders(settings, kind):
    context = {
        "username": "ann",
        "email": "a@x.test",
        "new_email": "b@x.test",
        "url": "u",
        "reset_url": "r",
        "forgot_url": "f",
        "hours": 48,
        "minutes": 60,
    }
    subject, text, html = mail.compose(settings=settings, kind=kind, context=context)
    assert subject and "ann" in text and "ann" in html and "<html" in html


def test_the_server_process_delivers_the_outbox_in_the_background(make_app, mailbox):
    import time

    from fastapi.testclient import TestClient

    served = make_app(
        mail_worker=True, smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_security="none"
    )
    with TestClient(served):  # runs the lifespan: the worker starts, and stops at the end
        queue(served)
        deadline = time.monotonic() + 10
        while not mailbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [m["To"] for m in mailbox.messages] == ["ann@example.com"]


def test_agora_run_and_serve_turn_the_worker_on(monkeypatch):
    import uvicorn

    seen = []
    monkeypatch.setattr(
        uvicorn, "run", lambda *a, **k: seen.append(__import__("os").environ["MAIL_WORKER"])
    )
    monkeypatch.setenv("SITE_URL", "https://a.test")
    monkeypatch.setenv("SECRET_KEY", "kQ8vz2LpR7wXm3Nc9Bt5Yh1Jd6Fg4Ks0Ae8Ui2Oo7Pq")
    # Set first, so the values the commands write are undone when the test ends.
    monkeypatch.setenv("MAIL_WORKER", "0")
    monkeypatch.setenv("ENV", "development")
    assert main(["run"]) == 0
    assert main(["serve"]) == 0
    assert seen == ["1", "1"]
