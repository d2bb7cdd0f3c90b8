"""Delivering the outbox: claim a message with a short lease, send it, mark it.

Several processes may run this at once (each `agora serve` worker does). A message is claimed
by one UPDATE that only succeeds while no live lease holds it, committed at once; the SMTP
conversation then happens outside any transaction (on SQLite an open write transaction would
block every write on the site), and the result is written in a second short one. A process
that dies mid-send leaves a lease that expires, so another retries the message: delivery is at
least once, rarely twice, and always with the same Message-ID. On PostgreSQL the candidate is
picked with FOR UPDATE SKIP LOCKED, so claimers never queue behind each other.
"""

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.config import Settings, write_private
from app.models import MailOutbox

log = logging.getLogger("agora.mail")

LEASE = timedelta(seconds=90)  # longer than one SMTP conversation can take (SMTP_TIMEOUT)
SMTP_TIMEOUT = 30
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=2)
POLL_SECONDS = 2.0


def utcnow() -> datetime:
    """The outbox's clock (tests move it past a retry's backoff)."""
    return datetime.now(UTC)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: 30 s, 1 min, 2 min ... at most 2 h."""
    wait: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(wait, LONGEST_RETRY)


def mode(settings: Settings) -> str:
    """ "smtp", "files" (development without SMTP_HOST) or "held" (production without it)."""
    if settings.smtp_host:
        return "smtp"
    return "held" if settings.env == "production" else "files"


def build(row: MailOutbox, settings: Settings) -> EmailMessage:
    """The message as sent; every header comes from the row, so a retry sends the same one."""
    message = EmailMessage()
    message["From"] = settings.mail_sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at.astimezone(UTC))
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    return message


def claim(engine: Engine, *, now: datetime | None = None) -> MailOutbox | None:
    """Lease the next due message to this process (committed), or None if none is due."""
    now = now or utcnow()
    free = or_(col(MailOutbox.lease_until).is_(None), col(MailOutbox.lease_until) < now)
    due = select(MailOutbox.id).where(
        MailOutbox.status == "queued", MailOutbox.next_attempt_at <= now, free
    )
    with Session(engine, expire_on_commit=False) as session:
        if engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        candidate = session.exec(due.order_by(col(MailOutbox.next_attempt_at)).limit(1)).first()
        if candidate is None:
            return None
        # The WHERE repeats the test: of two claimers that picked the same row, one updates it.
        claimed = session.exec(
            update(MailOutbox)
            .where(col(MailOutbox.id) == candidate, col(MailOutbox.status) == "queued", free)
            .values(lease_until=now + LEASE, attempts=MailOutbox.attempts + 1)
        )
        session.commit()
        if claimed.rowcount != 1:
            return None
        return session.get(MailOutbox, candidate)


def send(message: EmailMessage, settings: Settings) -> None:
    """Hand one message to the SMTP server (or, in development without one, to a file)."""
    if mode(settings) == "files":
        name = f"{utcnow():%Y%m%d-%H%M%S}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
        write_private(settings.mail_dir / name, bytes(message))
        return
    host, port = settings.smtp_host, settings.smtp_port_effective
    smtp: smtplib.SMTP
    if settings.smtp_security == "tls":
        smtp = smtplib.SMTP_SSL(
            host, port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)


def _finish(engine: Engine, row: MailOutbox, error: str | None, now: datetime) -> None:
    values: dict[str, object]
    if error is None:
        # Sent: the body (a link that opens an account) has done its work; keep the headers.
        values = {"status": "sent", "sent_at": now, "text_body": "", "html_body": ""}
    elif row.attempts >= MAX_ATTEMPTS:
        values = {"status": "failed", "last_error": error[:500]}
    else:
        values = {"next_attempt_at": now + backoff(row.attempts), "last_error": error[:500]}
    with Session(engine) as session:
        session.exec(
            update(MailOutbox)
            .where(col(MailOutbox.id) == row.id)
            .values(lease_until=None, **values)
        )
        session.commit()


def deliver_one(engine: Engine, settings: Settings) -> bool:
    """Claim and deliver one due message; False when there was none to deliver."""
    if mode(settings) == "held":
        return False  # kept queued until SMTP_HOST is set; never written anywhere else
    row = claim(engine)
    if row is None:
        return False
    try:
        send(build(row, settings), settings)
    except (OSError, smtplib.SMTPException) as exc:
        # The error names the server's complaint, never the message: its body is a key.
        error = f"{type(exc).__name__}: {exc}"
        log.warning(
            "mail %s to the SMTP server failed (attempt %d): %s", row.id, row.attempts, error
        )
        _finish(engine, row, error, utcnow())
    else:
        _finish(engine, row, None, utcnow())
    return True


def deliver_due(engine: Engine, settings: Settings, limit: int = 100) -> int:
    """Deliver what is due now (at most `limit`); returns how many were tried."""
    tried = 0
    while tried < limit and deliver_one(engine, settings):
        tried += 1
    return tried


@dataclass(frozen=True)
class Status:
    queued: int
    failed: int
    sent: int
    oldest_queued: datetime | None
    mode: str


def status(session: Session, settings: Settings) -> Status:
    counts = dict(
        session.exec(select(MailOutbox.status, func.count()).group_by(col(MailOutbox.status))).all()
    )
    oldest = session.exec(
        select(func.min(MailOutbox.created_at)).where(MailOutbox.status == "queued")
    ).one()
    return Status(
        queued=int(counts.get("queued", 0)),
        failed=int(counts.get("failed", 0)),
        sent=int(counts.get("sent", 0)),
        oldest_queued=oldest,
        mode=mode(settings),
    )


def failures(session: Session, limit: int = 20) -> list[MailOutbox]:
    """Messages that failed their last retry, newest first (shown to administrators)."""
    return list(
        session.exec(
            select(MailOutbox)
            .where(MailOutbox.status == "failed")
            .order_by(col(MailOutbox.created_at).desc())
            .limit(limit)
        )
    )


class Worker:
    """A thread that delivers the outbox every few seconds, for the life of one server process.

    `chores` run on the same beat after each delivery round: the server's other periodic work
    (lifting suspensions that have run out), without a second thread to start and stop.
    """

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        chores: Sequence[Callable[[Engine], object]] = (),
    ) -> None:
        self.engine, self.settings, self.chores = engine, settings, tuple(chores)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="mail-outbox", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=SMTP_TIMEOUT + 5)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                deliver_due(self.engine, self.settings)
            except Exception:  # a database hiccup must not end delivery for the process's life
                log.exception("the mail worker could not read the outbox; trying again soon")
            for chore in self.chores:
                try:
                    chore(self.engine)
                except Exception:  # nor end the chores
                    log.exception("the worker's chore %s failed; trying again soon", chore)
            self.stopping.wait(POLL_SECONDS)
