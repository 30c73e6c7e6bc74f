"""File loading: formats, keys, and refusal of pickles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rtdkit.io import RTDFileError, load_array, split_path_key

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
