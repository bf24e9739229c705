"""Reading JSON strictly and writing files atomically: the one copy every stage uses."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
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


def write_json_atomic(document: Any, path: str | Path) -> Path:
    """Write JSON to ``path`` atomically, creating missing parent folders.

    Parameters
    ----------
    document
        JSON-serialisable data.
    path
        Destination; replaced only once the new content is completely written.

    Returns
    -------
    Path
        ``path``.
    """
    text = json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
    return write_text_atomic(path, text)


def write_text_atomic(path: str | Path, text: str) -> Path:
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
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, creating missing folders.

    Parameters
    ----------
    path
        Destination.
    data
        Content.

    Returns
    -------
    Path
        ``path``.
    """
    p = Path(path)
    with atomic_path(p) as tmp:
        tmp.write_bytes(data)
    return p


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A path to write instead of ``path``; it replaces ``path`` only when the block succeeds.

    The one atomic mechanism of every writer (JSON, text, PNG, HTML, GeoPackage, GeoJSON): the
    block writes a file of the same name (so a library that picks the format from the suffix
    still sees it) in a new private folder beside ``path``; on success the file is flushed to
    disk and renamed over ``path`` (:func:`os.replace`, atomic on one file system), and the
    folder with any side files (a GeoPackage's journal) is removed. On failure ``path`` is left
    as it was. Missing parent folders are created; the file gets the usual permissions (umask).

    Parameters
    ----------
    path
        Final destination.

    Yields
    ------
    Path
        Where to write; it does not exist yet.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    tmp = folder / final.name
    try:
        yield tmp
        if not tmp.is_file():
            msg = f"nothing was written for {final}"
            raise OSError(msg)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
