"""PyTorch (``.pt``/``.pth``, weights only) and ``.safetensors`` files."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import to_numpy
from rtdkit.io._files import Header, RTDFileError, check_fits, pick, reason, refuse_pickle

__all__ = ["load_safetensors", "load_torch", "safetensors_shape"]

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


def _require_torch(path: Path) -> Any:
    try:
        import torch
    except ImportError as exc:
        raise RTDFileError(
            f"{path}: reading {path.suffix} files needs PyTorch; pip install 'rtdkit[torch]'"
        ) from exc
    return torch


def load_torch(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
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
        raise refuse_pickle(path, "a plain tensor or a dict of tensors") from exc
    except Exception as exc:  # a truncated or foreign file: torch raises RuntimeError and others
        raise _corrupt(path, exc) from exc
    if isinstance(obj, dict):
        obj = pick(obj, key, path)
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
        f"{reason(exc).split('. ')[0]}); save it again with torch.save"
    )


def safetensors_shape(path: Path, key: str | None) -> tuple[int, ...]:
    return _safetensors_entry(_safetensors_header(path), key, path)[0].shape


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
            f"{path} is damaged: its header is not valid JSON ({reason(exc)}); save it again"
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


def _safetensors_entry(header: dict[str, Any], key: str | None, path: Path) -> tuple[Header, str]:
    """The chosen tensor's header and name."""
    name = key if key is not None else _only_name(header, path)
    entry = pick(header, name, path)
    itemsize, numpy_dtype = _SAFETENSORS_DTYPES[entry["dtype"]]
    if numpy_dtype is None:
        raise RTDFileError(
            f"{path}: tensor {name!r} is {entry['dtype']}, which numpy cannot hold; save it "
            "as float32 (tensor.float()) or load it with torch and pass the tensor"
        )
    return Header(tuple(entry["shape"]), itemsize, numpy_dtype == "float64"), name


def _only_name(header: dict[str, Any], path: Path) -> str:
    name: str = pick({n: n for n in header}, None, path)
    return name


def load_safetensors(path: Path, key: str | None, allow_pickle: bool) -> NDArray[Any]:
    try:
        from safetensors import safe_open
    except ImportError as exc:
        raise RTDFileError(
            f"{path}: reading .safetensors needs safetensors; pip install 'rtdkit[torch]'"
        ) from exc
    header, name = _safetensors_entry(_safetensors_header(path), key, path)
    check_fits(path, header)
    with safe_open(str(path), framework="numpy") as tensors:
        return np.asarray(tensors.get_tensor(name))
