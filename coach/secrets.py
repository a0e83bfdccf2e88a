"""The credential key: sealing provider credentials (Fernet), where the key lives, checking
it opens what is stored, and re-sealing everything under a new key.

The key is `COACH_SECRET_KEY` when set (several comma-separated keys: the first seals, all
open), else the file `secret.key` in the data directory, created on first start while no
credential is stored yet. Start-up refuses a key that cannot open stored credentials:
otherwise every connection would fail later, one push at a time.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import func, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from coach.db.database import Database
from coach.db.tables import ConnectionRow
from coach.errors import CoachError
from coach.settings import Settings

log = logging.getLogger("coach.secrets")

KEY_ENV = "COACH_SECRET_KEY"
# Where earlier versions kept the key file, relative to the working directory.
LEGACY_KEY_FILE = Path(".coach/secret.key")
# Connections whose credentials start-up opens: the newest (what a key made elsewhere
# would have sealed) and the oldest (what the key of the first start sealed).
CHECK_NEWEST, CHECK_OLDEST = 4, 1
RESEAL_BATCH = 200


class SecretsError(CoachError, RuntimeError):
    pass


def parse_keys(text: str, origin: str) -> tuple[bytes, ...]:
    """Keys separated by commas or whitespace, each a Fernet key; `origin` names the source."""
    keys = tuple(part.encode() for part in text.replace(",", " ").split())
    if not keys:
        raise SecretsError(f"{origin} holds no key")
    for key in keys:
        try:
            Fernet(key)
        except ValueError as exc:
            raise SecretsError(
                f"{origin} must hold Fernet keys (32 url-safe base64 bytes each, comma-separated)"
            ) from exc
    return keys


@dataclass(frozen=True)
class KeySource:
    """The keys in use and where they came from: a file (`path`) or the environment."""

    keys: tuple[bytes, ...]
    path: Path | None = None

    def describe(self) -> str:
        return f"the key file {self.path}" if self.path is not None else KEY_ENV


def read_keys(settings: Settings) -> KeySource | None:
    """COACH_SECRET_KEY, else the key file; None when there is neither."""
    if settings.secret_key is not None:
        return KeySource(parse_keys(settings.secret_key.get_secret_value(), KEY_ENV))
    path = settings.secret_key_file
    try:
        text = path.read_text(encoding="ascii")
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretsError(f"cannot read the key file {path}: {exc}") from exc
    if mode & 0o077:
        log.warning("the key file %s is readable by others (mode %o): chmod 600 it", path, mode)
    return KeySource(parse_keys(text, f"the key file {path}"), path)


def write_key_file(path: Path, keys: Sequence[bytes], *, exclusive: bool = False) -> None:
    """Write the keys atomically, readable by the owner only.

    `exclusive`: fail with FileExistsError when the file exists (two first starts racing).
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-", suffix=".tmp")
    try:
        # mkstemp creates the file 0600: the key is never readable by others, not even briefly.
        with os.fdopen(fd, "wb") as handle:
            handle.write(b"\n".join(keys) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            os.link(tmp, path)  # fails when the file exists, unlike rename
        else:
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def create_key_file(path: Path) -> KeySource:
    """A new key in a new file; the file another process created meanwhile wins."""
    try:
        write_key_file(path, [Fernet.generate_key()], exclusive=True)
    except FileExistsError:
        text = path.read_text(encoding="ascii")
        return KeySource(parse_keys(text, f"the key file {path}"), path)
    log.warning(
        "created the credential key file %s (mode 0600). It opens every provider credential "
        "stored from now on: back it up with the database, or set %s instead",
        path,
        KEY_ENV,
    )
    return KeySource(parse_keys(path.read_text(encoding="ascii"), f"the key file {path}"), path)


class CredentialBox:
    """Seals credential dicts with the first key and opens them with any of the keys."""

    def __init__(self, keys: bytes | Sequence[bytes]) -> None:
        listed = [keys] if isinstance(keys, bytes) else list(keys)
        try:
            fernets = [Fernet(key) for key in listed]
        except ValueError as exc:
            raise SecretsError(
                f"{KEY_ENV} must be a Fernet key (32 url-safe base64 bytes)"
            ) from exc
        if not fernets:
            raise SecretsError(f"{KEY_ENV} holds no key")
        self._first = fernets[0]
        self._first_key = listed[0]
        self._fernet = MultiFernet(fernets)

    def derive(self, purpose: str) -> bytes:
        """A secret for `purpose` (e.g. signing stream tokens), derived from the first key:
        every process that shares the credential key derives the same one."""
        return hmac.new(self._first_key, f"coach-agent:{purpose}".encode(), "sha256").digest()

    def seal(self, credentials: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(credentials).encode()).decode()

    def open(self, sealed: str) -> dict[str, Any]:
        try:
            opened: dict[str, Any] = json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken as exc:
            raise SecretsError("credentials were sealed with another key") from exc
        return opened

    def can_open(self, sealed: str) -> bool:
        try:
            self._fernet.decrypt(sealed.encode())
        except InvalidToken:
            return False
        return True

    def reseal(self, sealed: str) -> str | None:
        """The same credentials sealed with the first key; None when that key sealed them
        already. Raises SecretsError when no key opens them."""
        try:
            self._first.decrypt(sealed.encode())
            return None
        except InvalidToken:
            pass
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken as exc:
            raise SecretsError("credentials were sealed with another key") from exc


def _stored_count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(ConnectionRow)).one())


def _missing_key_message(settings: Settings, stored: int) -> str:
    message = (
        f"the database holds {stored} sealed provider credential(s) but there is no "
        f"credential key: set {KEY_ENV} to the key that sealed them, or put it in the key "
        f"file {settings.secret_key_file} (a new key is made only while no credential is "
        "stored)"
    )
    legacy = LEGACY_KEY_FILE.resolve()
    if legacy.exists() and legacy != settings.secret_key_file:
        message += f". {legacy} is where earlier versions kept the key file: move it there"
    return message


def _sample(session: Session) -> list[tuple[int, str]]:
    active = select(ConnectionRow.id, ConnectionRow.credentials_encrypted).where(
        col(ConnectionRow.disconnected_at).is_(None)
    )
    newest = session.exec(active.order_by(col(ConnectionRow.id).desc()).limit(CHECK_NEWEST))
    oldest = session.exec(active.order_by(col(ConnectionRow.id)).limit(CHECK_OLDEST))
    rows = {row_id or 0: sealed for row_id, sealed in [*newest.all(), *oldest.all()]}
    return sorted(rows.items())


def check_opens_stored(db: Database, box: CredentialBox, source: KeySource) -> None:
    """Refuse a key that cannot open the credentials of a few stored connections."""
    lost = [row_id for row_id, sealed in db.call(_sample) if not box.can_open(sealed)]
    if lost:
        where = f", or put that key in {source.path} instead of this one" if source.path else ""
        raise SecretsError(
            f"{source.describe()} cannot open the stored credentials of connection(s) "
            f"{', '.join(map(str, lost))}: start with {KEY_ENV} set to the key that sealed "
            f"them (several keys may be given comma-separated: the first seals, all open){where}"
        )


def service_box(settings: Settings, db: Database) -> CredentialBox:
    """The box a service seals with, once it is known to open what is stored.

    A service also starts while its database is down (`/healthz` says so); its key is
    then checked at the next start. Without a key it does not start: a key made then
    could not be known to fit the credentials the database may hold.
    """
    source = read_keys(settings)
    try:
        if source is None:
            stored = db.call(_stored_count)
            if stored:
                raise SecretsError(_missing_key_message(settings, stored))
            source = create_key_file(settings.secret_key_file)
        box = CredentialBox(source.keys)
        check_opens_stored(db, box, source)
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        if source is None:
            raise SecretsError(
                f"there is no credential key, and the database cannot be read to tell whether "
                f"it holds credentials ({reason}): set {KEY_ENV}, or start once the database "
                "can be read"
            ) from exc
        log.warning(
            "%s is not checked against the stored credentials: the database cannot be read (%s)",
            source.describe(),
            reason,
        )
        box = CredentialBox(source.keys)
    log.info("credential key: %s (%d key(s))", source.describe(), len(source.keys))
    return box


@dataclass
class ResealReport:
    """What re-sealing every stored credential did."""

    total: int = 0
    resealed: int = 0
    # Changed by a running service while being re-sealed, sealed with its key: such a row
    # may still need an old key.
    changed_meanwhile: int = 0
    unreadable: list[int] = field(default_factory=list)


def _reseal_batch(
    session: Session, *, box: CredentialBox, after: int, report: ResealReport
) -> int | None:
    rows = session.exec(
        select(ConnectionRow.id, ConnectionRow.credentials_encrypted)
        .where(col(ConnectionRow.id) > after)
        .order_by(col(ConnectionRow.id))
        .limit(RESEAL_BATCH)
    ).all()
    for row_id, sealed in rows:
        report.total += 1
        try:
            resealed = box.reseal(sealed)
        except SecretsError:
            report.unreadable.append(row_id or 0)
            continue
        if resealed is None:
            continue
        # Compare-and-set: a running service may have sealed new tokens here meanwhile.
        done = cast(
            "CursorResult[Any]",
            session.execute(
                update(ConnectionRow)
                .where(
                    col(ConnectionRow.id) == row_id,
                    col(ConnectionRow.credentials_encrypted) == sealed,
                )
                .values(credentials_encrypted=resealed)
                .execution_options(synchronize_session=False)
            ),
        )
        if done.rowcount:
            report.resealed += 1
        else:
            report.changed_meanwhile += 1
    return rows[-1][0] if rows else None


def reseal_all(db: Database, box: CredentialBox, *, passes: int = 3) -> ResealReport:
    """Seal every stored credential (disconnected ones too) with the box's first key, in
    batches; rows a running service changed meanwhile are tried again, a few passes."""
    resealed = 0
    for _ in range(passes):
        report = ResealReport()
        after: int | None = 0
        while after is not None:
            after = db.call(partial(_reseal_batch, box=box, after=after, report=report))
        resealed += report.resealed
        if not report.changed_meanwhile:
            break
    report.resealed = resealed
    return report


@dataclass
class Rotation:
    """A new key, and where it must go: written to `path`, or to be set in the environment."""

    new_key: bytes
    keys: tuple[bytes, ...]  # the keys that open everything now, the new one first
    path: Path | None
    report: ResealReport


def rotate(settings: Settings, db: Database) -> Rotation:
    """Seal every stored credential with a new key.

    From a key file: the file gets the new key alone once every credential is re-sealed
    (both keys while it runs, so a crash midway loses nothing). From the environment: the
    database is re-sealed and the caller prints the new value, new key first; the old keys
    stay valid until the operator drops them.
    """
    source = read_keys(settings)
    if source is None:
        stored = db.call(_stored_count)
        if stored:
            raise SecretsError(_missing_key_message(settings, stored))
        source = KeySource((), settings.secret_key_file)
    new_key = Fernet.generate_key()
    keys = (new_key, *source.keys)
    if source.path is not None:
        write_key_file(source.path, keys)
    report = reseal_all(db, CredentialBox(keys))
    if source.path is not None and not report.changed_meanwhile:
        write_key_file(source.path, [new_key])
        keys = (new_key,)
    return Rotation(new_key=new_key, keys=keys, path=source.path, report=report)


def reseal(settings: Settings, db: Database) -> tuple[KeySource, ResealReport]:
    """Seal everything with the first key; a key file then keeps that key alone."""
    source = read_keys(settings)
    if source is None:
        stored = db.call(_stored_count)
        if stored:
            raise SecretsError(_missing_key_message(settings, stored))
        raise SecretsError(
            f"there is no credential key: {KEY_ENV} is not set and there is no key file "
            f"{settings.secret_key_file}"
        )
    report = reseal_all(db, CredentialBox(source.keys))
    if source.path is not None and not report.changed_meanwhile and len(source.keys) > 1:
        write_key_file(source.path, source.keys[:1])
        source = KeySource(source.keys[:1], source.path)
    return source, report
