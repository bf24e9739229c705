"""Reading JSON strictly and writing files atomically: the one copy every stage uses."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sitecircle.errors import InstanceError, Problem


class _DuplicateKeys:
    """``object_pairs_hook`` that remembers duplicate keys instead of silently keeping one."""

    def __init__(self) -> None:
        self.duplicates: list[str] = []

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                rid = next((v for k, v in pairs if k == "id"), None)
                where = f" in the record with id {rid!r}" if isinstance(rid, str) else ""
                self.duplicates.append(f"key {key!r} appears twice{where}")
            out[key] = value
        return out


def load_json(path: str | Path) -> Any:
    """Read a JSON document, turning every failure into an :class:`InstanceError`.

    Parameters
    ----------
    path
        File to read.

    Returns
    -------
    Any
        The decoded document.

    Raises
    ------
    InstanceError
        Missing file, a folder, unreadable, not UTF-8, empty, invalid JSON or duplicate keys.
    """
    p = Path(path)
    where = str(p)
    if not p.exists():
        raise InstanceError([Problem(where, "file not found")])
    if p.is_dir():
        raise InstanceError([Problem(where, "is a folder, not an instance file")])
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InstanceError([Problem(where, f"cannot read: {exc.strerror}")]) from exc
    if not raw.strip():
        raise InstanceError([Problem(where, "file is empty; expected a JSON instance")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"not UTF-8 (byte {exc.start}); save the file as UTF-8"
        raise InstanceError([Problem(where, msg)]) from exc
    hook = _DuplicateKeys()
    try:
        data = json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        msg = f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise InstanceError([Problem(where, msg)]) from exc
    except RecursionError as exc:
        raise InstanceError([Problem(where, "JSON nested too deeply")]) from exc
    except ValueError as exc:  # e.g. an integer literal longer than Python converts
        raise InstanceError([Problem(where, f"invalid JSON: {exc}")]) from exc
    if hook.duplicates:
        raise InstanceError([Problem(where, d + "; keep one") for d in hook.duplicates[:20]])
    return data


def write_json_atomic(document: Any, path: str | Path) -> None:
    """Write JSON to ``path`` atomically, creating missing parent folders.

    Parameters
    ----------
    document
        JSON-serialisable data.
    path
        Destination; replaced only once the new content is completely written.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual permissions
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(document, fh, ensure_ascii=False, indent=1, allow_nan=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, creating missing folders.

    Parameters
    ----------
    path
        Destination.
    text
        Content.

    Returns
    -------
    Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return path


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[str]:
    """A temporary file beside ``path`` that replaces it on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

