"""What every reader shares: the file checks, the error, and the memory check."""

from __future__ import annotations

import errno
import math
import os
import stat
from pathlib import Path
from typing import Any, NamedTuple

from rtdkit._validation import RTDInputError

__all__ = [
    "Header",
    "RTDFileError",
    "check_fits",
    "check_regular_file",
    "pick",
    "reason",
    "refuse_pickle",
]


class RTDFileError(RTDInputError):
    """A file could not be read as a representation; the message says why and what to do."""


class Header(NamedTuple):
    """What a format's header announces: the array's shape and bytes per element."""

    shape: tuple[int, ...]
    itemsize: int
    is_float64: bool


def reason(exc: BaseException) -> str:
    """The first line of an exception's message, with its type when the message is bare."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_FILE_KINDS = (
    (stat.S_ISFIFO, "named pipe (FIFO)"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


def check_regular_file(path: Path) -> None:
    """``path`` is a regular file (through symlinks), or the error says exactly what it is."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            raise RTDFileError(
                f"{path} is a symbolic link to {os.readlink(path)!r}, which does not exist; "
                "fix the link or pass the file itself"
            ) from None
        raise RTDFileError(f"{path}: no such file; check the path") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RTDFileError(
                f"{path} is a symbolic link loop (the links point back at each other); "
                "point it at a real file"
            ) from None
        if exc.errno == errno.ENOTDIR:
            raise RTDFileError(
                f"{path}: a part of the path before the file name is a file, not a folder; "
                "check the path"
            ) from None
        raise RTDFileError(f"{path} cannot be accessed ({reason(exc)})") from exc
    if stat.S_ISDIR(mode):
        raise RTDFileError(
            f"{path} is a folder; pass one representation file (a folder of them is a study: "
            "rtdkit.pairwise, or `rtdkit matrix FOLDER`)"
        )
    for is_kind, kind in _FILE_KINDS:
        if is_kind(mode):
            raise RTDFileError(
                f"{path} is a {kind}, not a regular file; rtdkit reads representations from "
                "regular files only (reading this could block or never end): save the data "
                "to a file first"
            )


def check_fits(path: Path, header: Header) -> None:
    """Refuse an array whose load (and float64 copy) would need more than the memory left,
    before a byte of it is read."""
    from rtdkit.distances import available_memory, format_size

    count = math.prod(header.shape)
    needed = count * header.itemsize + (0 if header.is_float64 else 8 * count)
    available = available_memory()
    if available is not None and needed > available:
        shape = " x ".join(map(str, header.shape))
        raise RTDFileError(
            f"{path} holds a {shape} array that needs {format_size(needed)} to load but only "
            f"{format_size(available)} of memory are available; save a random subset of its "
            "rows (the RTD is computed on subsets of batch points anyway)"
        )


def pick(entries: dict[str, Any], key: str | None, path: Path) -> Any:
    """Select ``key`` from a multi-array file, or its only entry."""
    names = sorted(entries)
    if key is None:
        if len(names) != 1:
            raise RTDFileError(
                f"{path} holds {len(names)} arrays ({', '.join(names) or 'none'}); "
                "choose one with key=NAME (CLI: FILE:NAME)"
            )
        key = names[0]
    if key not in entries:
        hint = " (everything after the file name's first ':' is the key)" if ":" in key else ""
        raise RTDFileError(
            f"{path} has no array {key!r}{hint}; it holds: {', '.join(names) or 'nothing'}"
        )
    return entries[key]


def refuse_pickle(path: Path, plain: str = "plain numeric arrays") -> RTDFileError:
    return RTDFileError(
        f"{path} stores Python objects or code (a pickle); rtdkit does not unpickle by "
        f"default because it can run arbitrary code. Save {plain}, or pass allow_pickle=True "
        "if you trust the file"
    )
