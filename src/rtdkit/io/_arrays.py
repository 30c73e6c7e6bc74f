"""numpy's formats (``.npy``, ``.npz``) and numeric text tables, headers read first."""

from __future__ import annotations

import math
import warnings
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from rtdkit.io._files import Header, RTDFileError, check_fits, pick, reason, refuse_pickle

__all__ = ["load_npy", "load_npz", "load_text", "npy_shape", "npz_shape"]

# numpy's own default cap on an .npy header (max_header_size); a longer one is damage.
_NPY_MAX_HEADER = 10_000
_NPY_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _npy_header(fh: IO[bytes], where: str, size: int) -> Header:
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
    header = Header(tuple(shape), dtype.itemsize, dtype == np.float64)
    if dtype.hasobject:
        return header  # a pickle: refused, or of a size unknown until unpickled
    needed, left = math.prod(header.shape) * header.itemsize, max(size - fh.tell(), 0)
    if needed > left:
        raise RTDFileError(
            f"{where} is truncated or damaged: its header announces a {header.shape} {dtype} "
            f"array ({needed} bytes) but only {left} bytes follow; save it again"
        )
    return header


def _read_npy_stream(
    fh: IO[bytes], path: Path, where: str, size: int, allow_pickle: bool
) -> NDArray[Any]:
    """The array of an .npy stream, its header checked before the data are read."""
    check_fits(path, _npy_header(fh, where, size))
    fh.seek(0)
    try:
        out: NDArray[Any] = np.lib.format.read_array(fh, allow_pickle=allow_pickle)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise refuse_pickle(path) from exc
        raise
    return out


def npy_shape(path: Path, key: str | None) -> tuple[int, ...]:
    _no_key(path, key, "an .npy file holds one array")
    with path.open("rb") as fh:
        return _npy_header(fh, str(path), path.stat().st_size).shape


def load_npy(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
    _no_key(path, key, "an .npy file holds one array")
    with path.open("rb") as fh:
        return _read_npy_stream(fh, path, str(path), path.stat().st_size, allow_pickle)


def _npz_member(archive: zipfile.ZipFile, key: str | None, path: Path) -> zipfile.ZipInfo:
    members = {
        info.filename.removesuffix(".npy"): info for info in archive.infolist() if not info.is_dir()
    }
    member: zipfile.ZipInfo = pick(members, key, path)
    return member


def _member_label(path: Path, member: zipfile.ZipInfo) -> str:
    return f"{path} (member {member.filename})"


def npz_shape(path: Path, key: str | None) -> tuple[int, ...]:
    with zipfile.ZipFile(path) as archive:
        member = _npz_member(archive, key, path)
        with archive.open(member) as fh:
            return _npy_header(fh, _member_label(path, member), member.file_size).shape


def load_npz(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
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


def load_text(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
    _no_key(path, key, "a text file holds one table")
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
            f"{path}: not a numeric table ({reason(exc)}); keep only numbers, one point per row"
        ) from exc
    return data


def _is_numeric_row(line: str, delimiter: str | None) -> bool:
    try:
        [float(cell) for cell in line.strip().split(delimiter) if cell.strip()]
    except ValueError:
        return False
    return True


def _no_key(path: Path, key: str | None, holds: str) -> None:
    if key is not None:
        raise RTDFileError(f"{path}: {holds}; drop the key {key!r}")
