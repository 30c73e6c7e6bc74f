"""File loading: formats, keys, and refusal of pickles."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rtdkit.io import RTDFileError, load_array, read_if_path, split_path_key, stored_shape

X = np.arange(12, dtype=float).reshape(4, 3)


def test_npy_npz_csv_roundtrip(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", X)
    np.savez(tmp_path / "b.npz", first=X, second=2 * X)
    np.savez(tmp_path / "c.npz", only=X)
    np.savetxt(tmp_path / "d.csv", X, delimiter=",", header="x,y,z", comments="")
    np.savetxt(tmp_path / "e.txt", X)
    np.testing.assert_array_equal(load_array(tmp_path / "a.npy"), X)
    np.testing.assert_array_equal(load_array(tmp_path / "b.npz", key="second"), 2 * X)
    np.testing.assert_array_equal(load_array(tmp_path / "c.npz"), X)
    np.testing.assert_array_equal(load_array(tmp_path / "d.csv"), X)
    np.testing.assert_array_equal(load_array(tmp_path / "e.txt"), X)


def test_npz_needs_a_key_when_ambiguous(tmp_path: Path) -> None:
    np.savez(tmp_path / "b.npz", first=X, second=X)
    with pytest.raises(RTDFileError, match="choose one with key"):
        load_array(tmp_path / "b.npz")
    with pytest.raises(RTDFileError, match="no array 'third'"):
        load_array(tmp_path / "b.npz", key="third")


def test_pickles_are_refused_unless_allowed(tmp_path: Path) -> None:
    path = tmp_path / "obj.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    before = path.read_bytes()
    with pytest.raises(RTDFileError, match="pickle"):
        load_array(path)
    assert load_array(path, allow_pickle=True)[0] == {"a": 1}
    assert path.read_bytes() == before


def test_missing_unknown_and_garbage_files(tmp_path: Path) -> None:
    with pytest.raises(RTDFileError, match="no such file"):
        load_array(tmp_path / "missing.npy")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(RTDFileError, match="unsupported file type"):
        load_array(tmp_path / "x.json")
    (tmp_path / "bad.csv").write_text("a,b\n1,zz\n")
    with pytest.raises(RTDFileError, match="not a numeric table"):
        load_array(tmp_path / "bad.csv")
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    with pytest.raises(RTDFileError, match=r"not a valid \.npy file"):
        load_array(tmp_path / "bad.npy")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04-truncated")
    with pytest.raises(RTDFileError, match="could not be read"):
        load_array(tmp_path / "bad.npz")


def test_torch_files_load_with_weights_only(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    torch.save({"layer": torch.tensor(X)}, tmp_path / "t.pt")
    np.testing.assert_array_equal(load_array(tmp_path / "t.pt", key="layer"), X)
    torch.save(Path("not a tensor"), tmp_path / "evil.pt")
    with pytest.raises(RTDFileError, match=r"a pickle.*allow_pickle=True"):
        load_array(tmp_path / "evil.pt")
    assert isinstance(load_array(tmp_path / "evil.pt", allow_pickle=True), np.ndarray)
    (tmp_path / "cut.pt").write_bytes((tmp_path / "t.pt").read_bytes()[:200])
    with pytest.raises(RTDFileError, match="corrupt or truncated"):
        load_array(tmp_path / "cut.pt")


def test_safetensors(tmp_path: Path) -> None:
    pytest.importorskip("safetensors")
    from safetensors.numpy import save_file

    save_file({"h": X.astype(np.float32)}, str(tmp_path / "s.safetensors"))
    np.testing.assert_array_equal(load_array(tmp_path / "s.safetensors"), X)


def test_split_path_key(tmp_path: Path) -> None:
    assert split_path_key("acts.npz:layer3") == (Path("acts.npz"), "layer3")
    assert split_path_key("acts.npy") == (Path("acts.npy"), None)


# ----------------------------------------------------------------------------------------------
# Damaged files: one RTDFileError naming the file and the problem, never a parser's exception
# ----------------------------------------------------------------------------------------------


def _npy_bytes(header: dict[str, object], data: bytes = b"", version: bytes = b"\x01\x00") -> bytes:
    """An .npy file with a hand-written header (padded as numpy pads it)."""
    text = repr(header).encode("latin1")
    size = 2 if version == b"\x01\x00" else 4
    text += b" " * (-(6 + 2 + size + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY" + version + len(text).to_bytes(size, "little") + text + data


def _safetensors_bytes(header: object, data: bytes = b"", length: int | None = None) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return (len(text) if length is None else length).to_bytes(8, "little") + text + data


_F64 = {"descr": "<f8", "fortran_order": False}
_DAMAGED = {
    "empty.npy": (b"", "is empty"),
    "magic.npy": (b"\x93NUMPX\x01\x00", r"not a valid \.npy file"),
    "version.npy": (b"\x93NUMPY\x09\x00" + b"\x00" * 60, r"format version \(9, 0\)"),
    "cut.npy": (_npy_bytes({**_F64, "shape": (4, 3)}, b"\0" * 50), "truncated"),
    "absurd.npy": (
        _npy_bytes({**_F64, "shape": (10**9, 10**9)}),
        r"announces a \(1000000000, 1000000000\)",
    ),
    "negative.npy": (_npy_bytes({**_F64, "shape": (-4, 3)}), "could not be read as a .npy"),
    "garbage-header.npy": (_npy_bytes({**_F64, "shape": "x"})[:-1] + b"}", "could not be read"),
    "long-header.npy": (
        b"\x93NUMPY\x02\x00" + (2**31).to_bytes(4, "little") + b"{",
        "its header claims 2147483648 bytes",
    ),
    "empty.npz": (b"", "is empty"),
    "magic.npz": (b"GZ\x03\x04 not a zip", r"not a valid \.npz file"),
    "cut.npz": (b"PK\x03\x04-truncated", "could not be read as a .npz"),
    "empty.safetensors": (b"", "is empty"),
    "prefix.safetensors": (b"\x10\x00\x00", "is truncated"),
    "length.safetensors": (_safetensors_bytes({}, length=2**62), "header length"),
    "json.safetensors": (_safetensors_bytes(b"{not json"), "not valid JSON"),
    "array.safetensors": (_safetensors_bytes([1, 2]), "not a JSON object"),
    "dtype.safetensors": (
        _safetensors_bytes({"x": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}),
        "no known dtype",
    ),
    "shape.safetensors": (
        _safetensors_bytes({"x": {"dtype": "F64", "shape": [-1, 2], "data_offsets": [0, 8]}}),
        "invalid shape",
    ),
    "absurd.safetensors": (
        _safetensors_bytes(
            {"x": {"dtype": "F64", "shape": [10**12, 10**12], "data_offsets": [0, 8 * 10**24]}}
        ),
        "truncated: tensor 'x' ends at byte 8" + "0" * 24,
    ),
    "mismatch.safetensors": (
        _safetensors_bytes({"x": {"dtype": "F64", "shape": [10, 10], "data_offsets": [0, 8]}}),
        r"has shape \[10, 10\] but 8 bytes",
    ),
    "offsets.safetensors": (
        _safetensors_bytes({"x": {"dtype": "F64", "shape": [1], "data_offsets": [8, 0]}}),
        "invalid data offsets",
    ),
    "bf16.safetensors": (
        _safetensors_bytes(
            {"x": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4
        ),
        "numpy cannot hold",
    ),
    "binary.csv": (b"\xff\xfe\x00\x01garbage\n", "not UTF-8 text"),
    "ragged.csv": (b"1,2,3\n4,5\n", "not a numeric table"),
    "empty.pt": (b"", "is empty"),
}


@pytest.mark.parametrize("name", sorted(_DAMAGED))
def test_damaged_files_give_one_clear_error(tmp_path: Path, name: str) -> None:
    content, message = _DAMAGED[name]
    if name.endswith(".pt"):
        pytest.importorskip("torch")
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RTDFileError, match=message) as caught:
        load_array(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == content  # only read, never modified


def test_damaged_safetensors_never_leak_the_parser_error(tmp_path: Path) -> None:
    pytest.importorskip("safetensors")
    from safetensors.numpy import save_file

    save_file({"h": X}, str(tmp_path / "s.safetensors"))
    whole = (tmp_path / "s.safetensors").read_bytes()
    for cut in range(0, len(whole) - 1, 7):  # every truncation, header and data alike
        (tmp_path / "cut.safetensors").write_bytes(whole[:cut])
        with pytest.raises(RTDFileError, match=r"cut\.safetensors"):
            load_array(tmp_path / "cut.safetensors")


def test_damaged_npz_members(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "m.npz", "w") as archive:
        archive.writestr("cut.npy", _npy_bytes({**_F64, "shape": (4, 3)}, b"\0" * 50))
        archive.writestr("text.npy", b"hello")
    with pytest.raises(RTDFileError, match=r"member cut\.npy\) is truncated"):
        load_array(tmp_path / "m.npz", key="cut")
    with pytest.raises(RTDFileError, match=r"member text\.npy\) is not a valid \.npy"):
        load_array(tmp_path / "m.npz", key="text")
    np.savez(tmp_path / "crc.npz", x=X)  # stored uncompressed: flip one byte of the data
    data = bytearray((tmp_path / "crc.npz").read_bytes())
    data[data.index(X.tobytes()) + 5] ^= 0xFF
    (tmp_path / "crc.npz").write_bytes(bytes(data))
    with pytest.raises(RTDFileError, match=r"crc\.npz could not be read.*CRC"):
        load_array(tmp_path / "crc.npz")


def test_truncated_npy_at_every_length(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", X)
    whole = (tmp_path / "a.npy").read_bytes()
    for cut in range(len(whole)):
        (tmp_path / "cut.npy").write_bytes(whole[:cut])
        with pytest.raises(RTDFileError, match=r"cut\.npy"):
            load_array(tmp_path / "cut.npy")


def test_a_too_large_array_is_refused_from_its_header_before_decompressing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    np.savez_compressed(tmp_path / "big.npz", acts=np.zeros((1000, 1000)))
    np.save(tmp_path / "big.npy", np.zeros((1000, 1000), dtype=np.float32))
    assert (tmp_path / "big.npz").stat().st_size < 100_000  # 8 MB of zeros, deflated

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the array data were read")

    monkeypatch.setattr(np.lib.format, "read_array", never)
    monkeypatch.setattr("rtdkit.distances.available_memory", lambda: 2**20)
    assert stored_shape(tmp_path / "big.npz") == (1000, 1000)
    assert stored_shape(tmp_path / "big.npz", key="acts") == (1000, 1000)
    with pytest.raises(
        RTDFileError, match=r"1000 x 1000 array that needs 7\.6 MiB to load but only 1\.0 MiB"
    ):
        load_array(tmp_path / "big.npz")
    # float32 on disk: 4 bytes per value read plus the float64 copy every entry point makes
    with pytest.raises(RTDFileError, match=r"needs 11\.4 MiB"):
        load_array(tmp_path / "big.npy")


def test_stored_shape_of_each_format(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", X)
    np.savez(tmp_path / "b.npz", first=X, second=X[:2])
    np.savetxt(tmp_path / "c.csv", X, delimiter=",")
    assert stored_shape(tmp_path / "a.npy") == (4, 3)
    assert stored_shape(tmp_path / "b.npz", key="second") == (2, 3)
    assert stored_shape(tmp_path / "c.csv") is None  # text has no header to read
    with pytest.raises(RTDFileError, match="choose one with key"):
        stored_shape(tmp_path / "b.npz")
    pytest.importorskip("safetensors")
    from safetensors.numpy import save_file

    save_file({"h": X[:3].astype(np.float32)}, str(tmp_path / "s.safetensors"))
    assert stored_shape(tmp_path / "s.safetensors") == (3, 3)
    np.testing.assert_array_equal(load_array(tmp_path / "s.safetensors", key="h"), X[:3])


def test_a_pt_holding_code_says_pickle_not_corrupt(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    torch.save(os.system, tmp_path / "system.pt")
    torch.save({"x": torch.zeros(3, 2), "run": os.system}, tmp_path / "mixed.pt")
    for name in ("system.pt", "mixed.pt"):
        with pytest.raises(RTDFileError, match=r"Python objects or code.*allow_pickle=True") as e:
            load_array(tmp_path / name)
        assert "corrupt" not in str(e.value)


def test_special_files_get_their_own_message(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", X)
    os.mkfifo(tmp_path / "pipe.npy")  # reading it would block until a writer came
    with pytest.raises(RTDFileError, match=r"named pipe \(FIFO\), not a regular file"):
        load_array(tmp_path / "pipe.npy")
    os.symlink(tmp_path / "loop2.npy", tmp_path / "loop1.npy")
    os.symlink(tmp_path / "loop1.npy", tmp_path / "loop2.npy")
    with pytest.raises(RTDFileError, match="symbolic link loop"):
        load_array(tmp_path / "loop1.npy")
    os.symlink(tmp_path / "gone.npy", tmp_path / "dangling.npy")
    with pytest.raises(RTDFileError, match=r"symbolic link to .*gone\.npy.*which does not exist"):
        load_array(tmp_path / "dangling.npy")
    os.symlink("/dev/zero", tmp_path / "zero.csv")  # would be read for ever
    with pytest.raises(RTDFileError, match="character device"):
        load_array(tmp_path / "zero.csv")
    with pytest.raises(RTDFileError, match="a part of the path before the file name is a file"):
        load_array(tmp_path / "a.npy" / "x.npy")
    (tmp_path / "folder.npy").mkdir()
    with pytest.raises(RTDFileError, match="is a folder"):
        load_array(tmp_path / "folder.npy")


def test_member_specs_with_colons(tmp_path: Path) -> None:
    np.savez(tmp_path / "layers.npz", layer3=X, **{"block:1": 2 * X})
    spec = str(tmp_path / "layers.npz")
    np.testing.assert_array_equal(read_if_path(f"{spec}:block:1"), 2 * X)
    with pytest.raises(RTDFileError, match=r"no array 'layer3:extra' \(everything after"):
        read_if_path(f"{spec}:layer3:extra")
    with pytest.raises(RTDFileError, match="nothing follows ':'"):
        read_if_path(f"{spec}:")
    with pytest.raises(RTDFileError, match=r"missing\.npz: no such file"):
        read_if_path(str(tmp_path / "missing.npz:layer3:extra"))


def test_read_if_path_lets_the_caller_refuse_from_the_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    np.savez_compressed(tmp_path / "acts.npz", layer=np.zeros((500, 40)))
    seen: list[int] = []

    def refuse(n_rows: int) -> None:
        seen.append(n_rows)
        raise RTDFileError(f"{n_rows} rows are too many")

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the array data were read")

    monkeypatch.setattr(np.lib.format, "read_array", never)
    with pytest.raises(RTDFileError, match="500 rows are too many"):
        read_if_path(f"{tmp_path / 'acts.npz'}:layer", check_rows=refuse)
    assert seen == [500]
    monkeypatch.undo()
    rows = read_if_path(str(tmp_path / "acts.npz"), check_rows=seen.append)
    assert rows.shape == (500, 40) and seen == [500, 500]
