"""Loading representations from files, safely.

Supported: ``.npy``, ``.npz`` (with ``key=`` when it holds several arrays), ``.csv``/``.tsv``/
``.txt`` (numbers only, an optional header row is skipped), ``.pt``/``.pth`` (a tensor, loaded
with ``weights_only=True``; needs the ``torch`` extra) and ``.safetensors`` (needs the
``torch`` extra's ``safetensors``). Pickles are never loaded unless ``allow_pickle=True``.
Files are only read, never modified.
"""

from __future__ import annotations

import glob
import os
import pickle
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import RTDInputError, to_numpy

__all__ = [
    "SUFFIXES",
    "RTDFileError",
    "find_representations",
    "load_array",
    "read_if_path",
    "split_path_key",
]

SUFFIXES = (".npy", ".npz", ".csv", ".tsv", ".txt", ".pt", ".pth", ".safetensors")


class RTDFileError(RTDInputError):
    """A file could not be read as a representation; the message says why and what to do."""


def load_array(
    path: str | Path, *, key: str | None = None, allow_pickle: bool = False
) -> NDArray[Any]:
    """Read one array from ``path``; ``key`` picks an entry of an .npz/.safetensors/.pt dict.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "a.npy"); np.save(f, np.eye(3))
    >>> load_array(f).shape
    (3, 3)
    """
    path = Path(path)
    if path.is_dir():
        raise RTDFileError(
            f"{path} is a folder; pass one representation file (a folder of them is a study: "
            "rtdkit.pairwise, or `rtdkit matrix FOLDER`)"
        )
    if not path.is_file():
        raise RTDFileError(f"{path}: no such file; check the path")
    suffix = path.suffix.lower()
    readers = {
        ".npy": _load_npy,
        ".npz": _load_npz,
        ".csv": _load_text,
        ".tsv": _load_text,
        ".txt": _load_text,
        ".pt": _load_torch,
        ".pth": _load_torch,
        ".safetensors": _load_safetensors,
    }
    if suffix not in readers:
        raise RTDFileError(
            f"{path}: unsupported file type {suffix!r}; use one of {', '.join(SUFFIXES)}"
        )
    try:
        return readers[suffix](path, key, allow_pickle)
    except RTDInputError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, zipfile.BadZipFile) as exc:
        raise RTDFileError(f"{path}: could not be read ({exc})") from exc


def _pick(entries: dict[str, Any], key: str | None, path: Path) -> Any:
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
        raise RTDFileError(f"{path} has no array {key!r}; it holds: {', '.join(names)}")
    return entries[key]


def _check_magic(path: Path, magic: bytes, kind: str) -> None:
    # np.load treats any unknown content as a pickle; say plainly that it is not our format.
    with path.open("rb") as fh:
        if fh.read(len(magic)) != magic:
            raise RTDFileError(f"{path} is not a valid {kind} file (wrong header); re-save it")


def _load_npy(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
    if key is not None:
        raise RTDFileError(f"{path}: an .npy file holds one array; drop the key {key!r}")
    _check_magic(path, b"\x93NUMPY", ".npy")
    return _no_pickle(lambda: np.load(path, allow_pickle=allow_pickle), path)


def _load_npz(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
    _check_magic(path, b"PK\x03\x04", ".npz")

    def read() -> NDArray[Any]:
        with np.load(path, allow_pickle=allow_pickle) as archive:
            return np.asarray(_pick({k: archive[k] for k in archive.files}, key, path))

    return _no_pickle(read, path)


def _no_pickle(read: Any, path: Path) -> NDArray[Any]:
    try:
        out: NDArray[Any] = read()
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise RTDFileError(
                f"{path} stores Python objects (a pickle); rtdkit does not unpickle by default "
                "because it can run arbitrary code. Save plain numeric arrays, or pass "
                "allow_pickle=True if you trust the file"
            ) from exc
        raise
    return out


def _load_text(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
    if key is not None:
        raise RTDFileError(f"{path}: a text file holds one table; drop the key {key!r}")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with path.open("r", encoding="utf-8") as fh:
        first = fh.readline()
    if path.suffix.lower() == ".txt" and delimiter not in first:
        delimiter = None  # type: ignore[assignment]  # whitespace-separated
    if not first.strip():
        raise RTDFileError(f"{path} is empty; write one point per row, numbers only")
    skip = 0 if _is_numeric_row(first, delimiter) else 1
    try:
        with warnings.catch_warnings():
            # A header-only file: numpy warns (with its own source line) and returns no rows;
            # the "too few points" check that follows says what matters.
            warnings.simplefilter("ignore", UserWarning)
            data = np.loadtxt(path, delimiter=delimiter, skiprows=skip, ndmin=2, dtype=np.float64)
    except ValueError as exc:
        raise RTDFileError(
            f"{path}: not a numeric table ({exc}); keep only numbers, one point per row"
        ) from exc
    return data


def _is_numeric_row(line: str, delimiter: str | None) -> bool:
    try:
        [float(cell) for cell in line.strip().split(delimiter) if cell.strip()]
    except ValueError:
        return False
    return True


def _require_torch(path: Path) -> Any:
    try:
        import torch
    except ImportError as exc:
        raise RTDFileError(
            f"{path}: reading {path.suffix} files needs PyTorch; pip install 'rtdkit[torch]'"
        ) from exc
    return torch


def _load_torch(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
    torch = _require_torch(path)
    with path.open("rb") as fh:
        # torch.save writes a zip archive (a pickle before PyTorch 1.6); anything else is
        # damaged, and torch would call it an unsafe pickle.
        if not fh.read(4).startswith((b"PK\x03\x04", b"\x80")):
            raise RTDFileError(
                f"{path} is not a PyTorch file (wrong header): corrupt or mislabelled"
            )
    try:
        obj = torch.load(path, map_location="cpu", weights_only=not allow_pickle)
    except pickle.UnpicklingError as exc:
        if allow_pickle or "Unsupported global" not in str(exc):
            raise _corrupt(path, exc) from exc
        raise RTDFileError(
            f"{path} stores Python objects besides tensors (a pickle); rtdkit does not "
            "unpickle by default because it can run arbitrary code. Save a plain tensor or a "
            "dict of tensors, or pass allow_pickle=True if you trust the file"
        ) from exc
    except Exception as exc:  # a truncated or foreign file: torch raises RuntimeError and others
        raise _corrupt(path, exc) from exc
    if isinstance(obj, dict):
        obj = _pick(obj, key, path)
    elif key is not None:
        raise RTDFileError(f"{path} holds a single tensor; drop the key {key!r}")
    return to_numpy(obj, str(path))


def _corrupt(path: Path, exc: Exception) -> RTDFileError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return RTDFileError(
        f"{path} is not a readable PyTorch file (corrupt or truncated: {reason.split('. ')[0]}); "
        "save it again with torch.save"
    )


def _load_safetensors(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
    try:
        from safetensors.numpy import load_file
    except ImportError as exc:
        raise RTDFileError(
            f"{path}: reading .safetensors needs safetensors; pip install 'rtdkit[torch]'"
        ) from exc
    return np.asarray(_pick(load_file(str(path)), key, path))


def read_if_path(x: Any) -> Any:
    """A path (``str`` or ``os.PathLike``, ``FILE.npz:KEY`` too) read as :func:`pairwise` reads
    it, without pickles; anything else is returned unchanged.

    This is how :func:`rtdkit.rtd`, :func:`rtdkit.cross_barcode` and
    :func:`rtdkit.pairwise` all accept file names. To load a trusted pickle, call
    :func:`load_array` with ``allow_pickle=True`` and pass the array.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "a.npy"); np.save(f, np.eye(3))
    >>> read_if_path(f).shape, read_if_path([1.0, 2.0])
    ((3, 3), [1.0, 2.0])
    """
    if isinstance(x, str) or isinstance(x, os.PathLike):
        path, key = split_path_key(os.fspath(x))
        return load_array(path, key=key)
    return x


def split_path_key(spec: str) -> tuple[Path, str | None]:
    """``"acts.npz:layer3"`` → ``(Path("acts.npz"), "layer3")``; a plain path has no key."""
    path, sep, key = spec.rpartition(":")
    if sep and path and Path(path).suffix.lower() in SUFFIXES and not Path(spec).exists():
        return Path(path), key
    return Path(spec), None


def find_representations(specs: str | Sequence[str]) -> dict[str, str]:
    """Name -> file for directories, glob patterns or files; names are the file stems.

    A directory contributes its files with a supported suffix (not recursively); ``**`` in a
    pattern recurses; ``FILE.npz:KEY`` picks one array and is named ``STEM:KEY``. When stems
    collide (``run1/layer3.npy``, ``run2/layer3.npy``) the names are the paths relative to
    the common folder, without suffix (``run1/layer3``).

    Examples
    --------
    >>> import tempfile, numpy as np, os
    >>> d = tempfile.mkdtemp(); np.save(os.path.join(d, "a.npy"), np.eye(3))
    >>> list(find_representations(d))
    ['a']
    """
    files: list[str] = []
    for spec in [specs] if isinstance(specs, str) else specs:
        found = _expand(spec)
        if not found:
            raise RTDInputError(f"{spec!r} matches no representation file (.npy, .npz, ...)")
        files.extend(found)
    if len(set(files)) != len(files):
        raise RTDInputError("a file is listed twice; list each representation once")
    names = [_name(spec, None) for spec in files]
    if len(set(names)) != len(names):
        root = os.path.commonpath([split_path_key(spec)[0].resolve().parent for spec in files])
        names = [_name(spec, Path(root)) for spec in files]
    return dict(zip(names, files, strict=True))


def _expand(spec: str) -> list[str]:
    path = Path(spec)
    if path.is_dir():
        return [str(p) for p in sorted(path.iterdir()) if p.suffix.lower() in SUFFIXES]
    if path.exists() or split_path_key(spec)[1] is not None:
        return [spec]
    matches = sorted(glob.glob(spec, recursive=True))
    return [p for p in matches if Path(p).suffix.lower() in SUFFIXES]


def _name(spec: str, root: Path | None) -> str:
    """The file stem, or with ``root`` the path below ``root`` without suffix."""
    path, key = split_path_key(spec)
    stem = (
        path.stem if root is None else path.resolve().relative_to(root).with_suffix("").as_posix()
    )
    return stem if key is None else f"{stem}:{key}"
