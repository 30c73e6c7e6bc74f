"""Loading representations from files, safely.

Supported: ``.npy``, ``.npz`` (with ``key=`` when it holds several arrays), ``.csv``/``.tsv``/
``.txt`` (numbers only, an optional header row is skipped), ``.pt``/``.pth`` (a tensor, loaded
with ``weights_only=True``; needs the ``torch`` extra) and ``.safetensors`` (needs the
``torch`` extra's ``safetensors``). Pickles are never loaded unless ``allow_pickle=True``.
Files are only read, never modified.

A damaged file of any kind raises :class:`RTDFileError` naming the file and the problem. The
shape of an ``.npy`` array, of an ``.npz`` member and of a ``.safetensors`` tensor is read
from its header first (:func:`stored_shape`), so a truncated file or an array too large for
the memory left is refused before any data are read or decompressed.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from rtdkit._validation import RTDInputError
from rtdkit.io._arrays import load_npy, load_npz, load_text, npy_shape, npz_shape
from rtdkit.io._files import RTDFileError, check_regular_file, reason
from rtdkit.io._tensors import load_safetensors, load_torch, safetensors_shape

__all__ = [
    "SUFFIXES",
    "RTDFileError",
    "find_representations",
    "load_array",
    "read_if_path",
    "split_path_key",
    "stored_rows",
    "stored_shape",
]


def load_array(
    path: str | Path, *, key: str | None = None, allow_pickle: bool = False
) -> NDArray[Any]:
    """Read one array from ``path``; ``key`` picks an entry of an .npz/.safetensors/.pt dict.

    Raises
    ------
    RTDFileError
        The file is missing, not a regular file, damaged, holds a pickle (without
        ``allow_pickle=True``), or holds an array larger than the memory left.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "a.npy"); np.save(f, np.eye(3))
    >>> load_array(f).shape
    (3, 3)
    """
    path = Path(path)
    load, _ = _format(path)
    with _damage_reported(path):
        return load(path, key, allow_pickle)


def stored_shape(path: str | Path, *, key: str | None = None) -> tuple[int, ...] | None:
    """The shape of the array :func:`load_array` would return, read from the file's header
    alone (nothing is loaded or decompressed); None for formats without one (text, PyTorch).

    Entry points use it to refuse work too large for the memory before reading the file.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "a.npz"); np.savez_compressed(f, x=np.eye(3))
    >>> stored_shape(f)
    (3, 3)
    """
    path = Path(path)
    _, shape_of = _format(path)
    if shape_of is None:
        return None
    with _damage_reported(path):
        return shape_of(path, key)


def stored_rows(path: str | Path, *, key: str | None = None) -> int | None:
    """The number of rows the file's header announces, or None when it cannot tell: a format
    without a header, or a file that is missing or damaged (whose reader names the problem,
    in its turn). Memory checks made before reading anything use it.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "a.npy"); np.save(f, np.ones((7, 2)))
    >>> stored_rows(f), stored_rows(f + ".missing.npy")
    (7, None)
    """
    try:
        shape = stored_shape(path, key=key)
    except RTDFileError:
        return None
    return shape[0] if shape else None


Reader = Callable[[Path, str | None, bool], NDArray[Any]]
ShapeReader = Callable[[Path, str | None], tuple[int, ...]]
# Each suffix's reader, and the reader of the shape in its header where it has one.
_FORMATS: dict[str, tuple[Reader, ShapeReader | None]] = {
    ".npy": (load_npy, npy_shape),
    ".npz": (load_npz, npz_shape),
    ".csv": (load_text, None),
    ".tsv": (load_text, None),
    ".txt": (load_text, None),
    ".pt": (load_torch, None),
    ".pth": (load_torch, None),
    ".safetensors": (load_safetensors, safetensors_shape),
}
SUFFIXES = tuple(_FORMATS)


def _format(path: Path) -> tuple[Reader, ShapeReader | None]:
    """The readers of a regular file's format, or an error that says what is wrong."""
    check_regular_file(path)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise RTDFileError(
            f"{path}: unsupported file type {suffix!r}; use one of {', '.join(SUFFIXES)}"
        )
    return _FORMATS[suffix]


@contextmanager
def _damage_reported(path: Path) -> Iterator[None]:
    """Any parser's failure on a damaged file (e.g. ``SafetensorError``, ``zlib.error``)
    as one :class:`RTDFileError` naming the file."""
    try:
        yield
    except RTDInputError:
        raise
    except MemoryError as exc:
        raise RTDFileError(
            f"{path}: not enough memory to load it; save a random subset of its rows"
        ) from exc
    except Exception as exc:
        raise RTDFileError(
            f"{path} could not be read as a {path.suffix} file ({reason(exc)}); it is damaged "
            "or not what its suffix says: save it again"
        ) from exc


def read_if_path(x: Any, *, check_rows: Callable[[int], None] | None = None) -> Any:
    """A path (``str`` or ``os.PathLike``, ``FILE.npz:KEY`` too) read as :func:`pairwise` reads
    it, without pickles; anything else is returned unchanged.

    This is how :func:`rtdkit.rtd`, :func:`rtdkit.cross_barcode` and
    :func:`rtdkit.pairwise` all accept file names. To load a trusted pickle, call
    :func:`load_array` with ``allow_pickle=True`` and pass the array. ``check_rows`` is
    called with the number of rows the file's header announces (:func:`stored_shape`)
    before anything is loaded, so that a caller can refuse too large an input up front.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "a.npy"); np.save(f, np.eye(3))
    >>> read_if_path(f).shape, read_if_path([1.0, 2.0])
    ((3, 3), [1.0, 2.0])
    """
    if isinstance(x, str) or isinstance(x, os.PathLike):
        path, key = split_path_key(os.fspath(x))
        if check_rows is not None and (shape := stored_shape(path, key=key)):
            check_rows(shape[0])
        return load_array(path, key=key)
    return x


def split_path_key(spec: str) -> tuple[Path, str | None]:
    """``"acts.npz:layer3"`` → ``(Path("acts.npz"), "layer3")``; a plain path has no key.

    The key is everything after the first ``:`` that follows a supported suffix, so keys may
    contain ``:`` themselves; a path that exists as written is never split.

    Examples
    --------
    >>> split_path_key("acts.npz:block:3")
    (PosixPath('acts.npz'), 'block:3')
    """
    if os.path.lexists(spec):
        return Path(spec), None
    start = 0
    while (colon := spec.find(":", start)) > 0:
        if Path(spec[:colon]).suffix.lower() in SUFFIXES:
            if colon == len(spec) - 1:
                raise RTDFileError(f"{spec!r}: nothing follows ':'; write FILE:KEY or FILE")
            return Path(spec[:colon]), spec[colon + 1 :]
        start = colon + 1
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
