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

import errno
import glob
import json
import math
import os
import pickle
import stat
import warnings
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple

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
    "stored_shape",
]

SUFFIXES = (".npy", ".npz", ".csv", ".tsv", ".txt", ".pt", ".pth", ".safetensors")

# numpy's own default cap on an .npy header (max_header_size); a longer one is damage.
_NPY_MAX_HEADER = 10_000
_NPY_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}
# The safetensors format's own cap on its JSON header; a larger length prefix is damage.
_SAFETENSORS_MAX_HEADER = 100 * 2**20
# Bytes per element of every safetensors dtype, and the numpy dtype where numpy has one.
_SAFETENSORS_DTYPES: dict[str, tuple[int, str | None]] = {
    "BOOL": (1, "bool"),
    "U8": (1, "uint8"),
    "I8": (1, "int8"),
    "U16": (2, "uint16"),
    "I16": (2, "int16"),
    "U32": (4, "uint32"),
    "I32": (4, "int32"),
    "U64": (8, "uint64"),
    "I64": (8, "int64"),
    "F16": (2, "float16"),
    "F32": (4, "float32"),
    "F64": (8, "float64"),
    "BF16": (2, None),
    "F8_E4M3": (1, None),
    "F8_E5M2": (1, None),
}


class RTDFileError(RTDInputError):
    """A file could not be read as a representation; the message says why and what to do."""


class _Header(NamedTuple):
    """What a format's header announces: the array's shape and bytes per element."""

    shape: tuple[int, ...]
    itemsize: int
    is_float64: bool


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
    _check_regular_file(path)
    reader = _reader(path)
    try:
        return reader(path, key, allow_pickle)
    except RTDInputError:
        raise
    except MemoryError as exc:
        raise RTDFileError(
            f"{path}: not enough memory to load it; save a random subset of its rows"
        ) from exc
    except Exception as exc:  # any parser's failure on a damaged file, e.g. SafetensorError
        raise RTDFileError(
            f"{path} could not be read as a {path.suffix} file ({_reason(exc)}); it is damaged "
            "or not what its suffix says: save it again"
        ) from exc


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
    _check_regular_file(path)
    _reader(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            with path.open("rb") as fh:
                return _npy_header(fh, str(path), path.stat().st_size).shape
        if suffix == ".npz":
            with zipfile.ZipFile(path) as archive:
                member = _npz_member(archive, key, path)
                with archive.open(member) as fh:
                    return _npy_header(fh, _member_label(path, member), member.file_size).shape
        if suffix == ".safetensors":
            return _safetensors_entry(_safetensors_header(path), key, path)[0].shape
    except RTDInputError:
        raise
    except Exception as exc:
        raise RTDFileError(
            f"{path}: its header could not be read ({_reason(exc)}); save the file again"
        ) from exc
    return None


def _reader(path: Path) -> Callable[[Path, str | None, bool], NDArray[Any]]:
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
    suffix = path.suffix.lower()
    if suffix not in readers:
        raise RTDFileError(
            f"{path}: unsupported file type {suffix!r}; use one of {', '.join(SUFFIXES)}"
        )
    return readers[suffix]


def _reason(exc: BaseException) -> str:
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


def _check_regular_file(path: Path) -> None:
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
        raise RTDFileError(f"{path} cannot be accessed ({_reason(exc)})") from exc
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


def _check_fits(path: Path, header: _Header) -> None:
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
        hint = " (everything after the file name's first ':' is the key)" if ":" in key else ""
        raise RTDFileError(
            f"{path} has no array {key!r}{hint}; it holds: {', '.join(names) or 'nothing'}"
        )
    return entries[key]


def _npy_header(fh: IO[bytes], where: str, size: int) -> _Header:
    """Read an .npy header from ``fh`` (at its start; ``size`` bytes in all) and check that
    the data it announces are all there; nothing past the header is read."""
    magic = fh.read(6)
    if magic != b"\x93NUMPY":
        # np.load treats any unknown content as a pickle; say plainly that it is not our format.
        what = "is empty" if not magic else "is not a valid .npy file (wrong header)"
        raise RTDFileError(f"{where} {what}; save the array again with np.save")
    fh.seek(0)
    version = np.lib.format.read_magic(fh)
    if version not in _NPY_HEADER_READERS:
        raise RTDFileError(
            f"{where} uses .npy format version {version}, which rtdkit does not read; save "
            "the numeric array again with np.save"
        )
    # numpy reads a header of any announced length before checking it; a damaged length
    # (up to 4 GiB) must not be read, let alone inflated from an archive.
    length = int.from_bytes(fh.read(2 if version == (1, 0) else 4), "little")
    if length > _NPY_MAX_HEADER:
        raise RTDFileError(
            f"{where} is damaged: its header claims {length} bytes; save the array again"
        )
    fh.seek(8)
    shape, _, dtype = _NPY_HEADER_READERS[version](fh)
    header = _Header(tuple(shape), dtype.itemsize, dtype == np.float64)
    if dtype.hasobject:
        return header  # a pickle: refused, or of a size unknown until unpickled
    needed, left = math.prod(header.shape) * header.itemsize, max(size - fh.tell(), 0)
    if needed > left:
        raise RTDFileError(
            f"{where} is truncated or damaged: its header announces a {header.shape} {dtype} "
            f"array ({needed} bytes) but only {left} bytes follow; save it again"
        )
    return header


def _refuse_pickle(path: Path, plain: str = "plain numeric arrays") -> RTDFileError:
    return RTDFileError(
        f"{path} stores Python objects or code (a pickle); rtdkit does not unpickle by "
        f"default because it can run arbitrary code. Save {plain}, or pass allow_pickle=True "
        "if you trust the file"
    )


def _read_npy_stream(
    fh: IO[bytes], path: Path, where: str, size: int, allow_pickle: bool
) -> NDArray[Any]:
    """The array of an .npy stream, its header checked before the data are read."""
    _check_fits(path, _npy_header(fh, where, size))
    fh.seek(0)
    try:
        out: NDArray[Any] = np.lib.format.read_array(fh, allow_pickle=allow_pickle)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise _refuse_pickle(path) from exc
        raise
    return out


def _load_npy(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
    if key is not None:
        raise RTDFileError(f"{path}: an .npy file holds one array; drop the key {key!r}")
    with path.open("rb") as fh:
        return _read_npy_stream(fh, path, str(path), path.stat().st_size, allow_pickle)


def _npz_member(archive: zipfile.ZipFile, key: str | None, path: Path) -> zipfile.ZipInfo:
    members = {
        info.filename.removesuffix(".npy"): info for info in archive.infolist() if not info.is_dir()
    }
    member: zipfile.ZipInfo = _pick(members, key, path)
    return member


def _member_label(path: Path, member: zipfile.ZipInfo) -> str:
    return f"{path} (member {member.filename})"


def _load_npz(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != b"PK\x03\x04":
        what = "is empty" if not magic else "is not a valid .npz file (wrong header)"
        raise RTDFileError(f"{path} {what}; save the arrays again with np.savez")
    with zipfile.ZipFile(path) as archive:
        member = _npz_member(archive, key, path)
        # Only the chosen member is inflated, and only after its header said it fits.
        with archive.open(member) as fh:
            label = _member_label(path, member)
            return _read_npy_stream(fh, path, label, member.file_size, allow_pickle)


def _load_text(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
    if key is not None:
        raise RTDFileError(f"{path}: a text file holds one table; drop the key {key!r}")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        with path.open("r", encoding="utf-8") as fh:
            first = fh.readline()
    except UnicodeDecodeError:
        raise RTDFileError(
            f"{path} is not UTF-8 text (it holds binary data); save the table as text, or "
            "use .npy for binary arrays"
        ) from None
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
            f"{path}: not a numeric table ({_reason(exc)}); keep only numbers, one point per row"
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
        head = fh.read(4)
    if not head.startswith((b"PK\x03\x04", b"\x80")):
        what = "is empty" if not head else "is not a PyTorch file (wrong header)"
        raise RTDFileError(f"{path} {what}: corrupt or mislabelled; save it again with torch.save")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=not allow_pickle)
    except pickle.UnpicklingError as exc:
        if allow_pickle or not _is_blocked_global(exc):
            raise _corrupt(path, exc) from exc
        raise _refuse_pickle(path, "a plain tensor or a dict of tensors") from exc
    except Exception as exc:  # a truncated or foreign file: torch raises RuntimeError and others
        raise _corrupt(path, exc) from exc
    if isinstance(obj, dict):
        obj = _pick(obj, key, path)
    elif key is not None:
        raise RTDFileError(f"{path} holds a single tensor; drop the key {key!r}")
    return to_numpy(obj, str(path))


def _is_blocked_global(exc: Exception) -> bool:
    """Whether torch's weights-only unpickler refused a global (a class or a function such as
    ``os.system``) rather than failing on damaged bytes. PyTorch words it "Unsupported
    global: GLOBAL x" (2.4-2.6) or "unsupported GLOBAL x ... blocked" (later)."""
    return "global" in str(exc).lower()


def _corrupt(path: Path, exc: Exception) -> RTDFileError:
    return RTDFileError(
        f"{path} is not a readable PyTorch file (corrupt or truncated: "
        f"{_reason(exc).split('. ')[0]}); save it again with torch.save"
    )


def _safetensors_header(path: Path) -> dict[str, Any]:
    """The JSON header of a .safetensors file, every entry checked against the file's size."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        prefix = fh.read(8)
        if len(prefix) < 8:
            what = "is empty" if not prefix else "is truncated"
            raise RTDFileError(
                f"{path} {what}: a .safetensors file starts with an 8-byte header length; "
                "save it again"
            )
        length = int.from_bytes(prefix, "little")
        if length > min(size - 8, _SAFETENSORS_MAX_HEADER):
            raise RTDFileError(
                f"{path} is damaged or truncated: its header length ({length} bytes) exceeds "
                f"the file ({size} bytes); save it again"
            )
        text = fh.read(length)
    try:
        header = json.loads(text.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError both
        raise RTDFileError(
            f"{path} is damaged: its header is not valid JSON ({_reason(exc)}); save it again"
        ) from exc
    if not isinstance(header, dict):
        raise RTDFileError(f"{path} is damaged: its header is not a JSON object; save it again")
    header.pop("__metadata__", None)
    data_size = size - 8 - length
    for name, entry in header.items():
        _check_safetensors_entry(path, name, entry, data_size)
    return header


def _check_safetensors_entry(path: Path, name: str, entry: Any, data_size: int) -> None:
    def damaged(problem: str) -> RTDFileError:
        return RTDFileError(f"{path} is damaged: tensor {name!r} {problem}; save it again")

    if not isinstance(entry, dict) or entry.get("dtype") not in _SAFETENSORS_DTYPES:
        raise damaged(f"has no known dtype ({entry!r:.80})")
    shape, offsets = entry.get("shape"), entry.get("data_offsets")
    if not isinstance(shape, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
    ):
        raise damaged(f"has an invalid shape {shape!r:.80}")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in offsets)
        or not 0 <= offsets[0] <= offsets[1]
    ):
        raise damaged(f"has invalid data offsets {offsets!r:.80}")
    needed = math.prod(shape) * _SAFETENSORS_DTYPES[entry["dtype"]][0]
    if offsets[1] - offsets[0] != needed:
        raise damaged(f"has shape {shape} but {offsets[1] - offsets[0]} bytes of data")
    if offsets[1] > data_size:
        raise RTDFileError(
            f"{path} is truncated: tensor {name!r} ends at byte {offsets[1]} of the data but "
            f"the file holds {data_size}; save it again"
        )


def _safetensors_entry(header: dict[str, Any], key: str | None, path: Path) -> tuple[_Header, str]:
    """The chosen tensor's header and name."""
    name = key if key is not None else _only_name(header, path)
    entry = _pick(header, name, path)
    itemsize, numpy_dtype = _SAFETENSORS_DTYPES[entry["dtype"]]
    if numpy_dtype is None:
        raise RTDFileError(
            f"{path}: tensor {name!r} is {entry['dtype']}, which numpy cannot hold; save it "
            "as float32 (tensor.float()) or load it with torch and pass the tensor"
        )
    return _Header(tuple(entry["shape"]), itemsize, numpy_dtype == "float64"), name


def _only_name(header: dict[str, Any], path: Path) -> str:
    name: str = _pick({n: n for n in header}, None, path)
    return name


def _load_safetensors(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
    try:
        from safetensors import safe_open
    except ImportError as exc:
        raise RTDFileError(
            f"{path}: reading .safetensors needs safetensors; pip install 'rtdkit[torch]'"
        ) from exc
    header, name = _safetensors_entry(_safetensors_header(path), key, path)
    _check_fits(path, header)
    with safe_open(str(path), framework="numpy") as tensors:
        return np.asarray(tensors.get_tensor(name))


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
