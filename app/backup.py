"""Online backups of the SQLite database through SQLite's own backup API."""

import os
import sqlite3
from contextlib import closing
from pathlib import Path


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy the live database at `source` to `target` as one consistent snapshot.

    Safe while the site serves: in WAL mode the copy reads one snapshot and writers carry on.
    The copy is written next to `target` and renamed into place, so `target` is never half
    written; it is readable by its owner only (it holds password hashes). Returns its size.
    """
    if not source.is_file():
        raise FileNotFoundError(f"there is no database at {source}")
    if target.exists() and target.samefile(source):
        raise ValueError("the backup cannot overwrite the database it copies")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with (
            closing(sqlite3.connect(source, timeout=30)) as src,
            closing(sqlite3.connect(partial)) as dst,
        ):
            src.backup(dst)
            # A self-contained file: no -wal/-shm companions to forget when it is moved.
            dst.execute("PRAGMA journal_mode=DELETE")
            (check,) = dst.execute("PRAGMA quick_check").fetchone()
        if check != "ok":
            raise RuntimeError(f"the copy failed its integrity check: {check}")
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target.stat().st_size
