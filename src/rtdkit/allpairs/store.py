"""A SQLite results store that makes long all-pairs studies resumable.

Every finished trial of every pair is one row, committed as soon as the pair completes, so a
run killed at any moment loses only the pairs that were still being computed. Rerunning with
the same file skips what is stored. The store remembers the parameters each measure was
computed with and the contents of each representation, and refuses a run that would mix in
numbers computed differently.

Schema (``PRAGMA user_version = 1``)::

    measures(measure PK, params JSON, fingerprint, version, created)
    representations(name PK, digest, n_rows, n_cols)
    results(a, b, measure, direction, trial, value, seed, params JSON, version, created,
            PRIMARY KEY (a, b, measure, direction, trial), CHECK (a < b))

``a < b`` are the two representation names in sorted order. ``direction`` is 'forward' for
``measure(a, b)`` and 'backward' for ``measure(b, a)`` (asymmetric measures only). ``seed`` is
the pair's subsampling seed (:func:`rtdkit.allpairs.pair_seed`); ``value`` NULL means NaN.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from rtdkit._validation import RTDInputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RepInfo", "ResultRow", "ResultStore", "canonical_json"]

SCHEMA_VERSION = 1

_TABLES = (
    """CREATE TABLE IF NOT EXISTS measures (
        measure TEXT PRIMARY KEY,
        params TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        version TEXT NOT NULL,
        created TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS representations (
        name TEXT PRIMARY KEY,
        digest TEXT NOT NULL,
        n_rows INTEGER NOT NULL,
        n_cols INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS results (
        a TEXT NOT NULL,
        b TEXT NOT NULL,
        measure TEXT NOT NULL REFERENCES measures (measure),
        direction TEXT NOT NULL CHECK (direction IN ('forward', 'backward')),
        trial INTEGER NOT NULL CHECK (trial >= 0),
        value REAL,
        seed INTEGER NOT NULL,
        params TEXT NOT NULL,
        version TEXT NOT NULL,
        created TEXT NOT NULL,
        PRIMARY KEY (a, b, measure, direction, trial),
        CHECK (a < b)
    ) WITHOUT ROWID""",
)

_INSERT = (
    "INSERT INTO results (a, b, measure, direction, trial, value, seed, params, version, "
    "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


class ResultRow(NamedTuple):
    """One stored number: ``measure(a, b)`` ('forward') or ``measure(b, a)`` on one subsample."""

    a: str
    b: str
    measure: str
    direction: str
    trial: int
    value: float
    seed: int


class RepInfo(NamedTuple):
    """What the store remembers of a representation: a content digest and its shape."""

    digest: str
    n_rows: int
    n_cols: int


def canonical_json(params: Mapping[str, Any], what: str) -> str:
    """``params`` as sorted, compact JSON, so equal parameters always give equal text."""
    try:
        return json.dumps(params, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise RTDInputError(
            f"{what} must be JSON-serialisable plain values (numbers, strings, lists, dicts) "
            f"so they can be recorded in the store; got {params!r} ({exc})"
        ) from exc


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _package_version() -> str:
    # Imported late: rtdkit/__init__ imports this module's importers.
    from rtdkit._version import __version__

    return __version__


class ResultStore:
    """Per-trial results of pairwise comparisons in one SQLite file (or in memory).

    Parameters
    ----------
    path : str, path-like or None
        The database file, created if missing. None keeps the results in memory (nothing
        survives the process; this is what :func:`rtdkit.pairwise` uses without ``store=``).
    timeout : float, default 60
        Seconds a writer waits for another process's transaction before giving up.

    Notes
    -----
    The file uses write-ahead logging, so readers never block the writer, and every write is
    one ``BEGIN IMMEDIATE`` transaction, so several processes may write the same file; rows
    are keyed by (pair, measure, direction, trial) and a duplicate insert is ignored. Keep the
    file on a local disk: SQLite's locking is unreliable on network file systems.

    Examples
    --------
    >>> with ResultStore() as db:
    ...     db.register_measure("rtd", {"batch": 100, "seed": 0})
    ...     db.write([ResultRow("a", "b", "rtd", "forward", 0, 1.5, 7)])
    ...     db.values("rtd")
    {('a', 'b', 'forward', 0): 1.5}
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, timeout: float = 60.0):
        self.path = None if path is None else os.fspath(path)
        self._params: dict[str, str] = {}
        self._con = self._connect(timeout)

    def _connect(self, timeout: float) -> sqlite3.Connection:
        # isolation_level=None: transactions are opened explicitly (BEGIN IMMEDIATE) below.
        try:
            con = sqlite3.connect(self.path or ":memory:", timeout=timeout, isolation_level=None)
        except sqlite3.OperationalError as exc:
            raise RTDInputError(
                f"store={self.path!r} cannot be opened ({exc}); check that its folder exists "
                "and is writable"
            ) from exc
        try:
            if self.path is not None:
                con.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL keeps committed rows through a crash of the process.
                con.execute("PRAGMA synchronous=NORMAL")
            self._create_schema(con)
        except sqlite3.DatabaseError as exc:
            con.close()
            raise RTDInputError(
                f"{self.path} is not a usable rtdkit store ({exc}); pass a new file name"
            ) from exc
        return con

    def _create_schema(self, con: sqlite3.Connection) -> None:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RTDInputError(
                f"{self.path} was written by a newer rtdkit (store schema {version}); "
                "upgrade rtdkit to read it"
            )
        with _transaction(con):
            for statement in _TABLES:
                con.execute(statement)
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the connection; everything written is already committed."""
        self._con.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def register_measure(self, measure: str, params: Mapping[str, Any]) -> None:
        """Record the parameters ``measure`` is computed with, or check them against the file.

        Raises
        ------
        RTDInputError
            The store already holds results of ``measure`` computed with other parameters.
        """
        text = canonical_json(params, f"the parameters of {measure!r}")
        with _transaction(self._con):
            row = self._con.execute(
                "SELECT params FROM measures WHERE measure = ?", (measure,)
            ).fetchone()
            if row is None:
                fingerprint = hashlib.sha256(text.encode()).hexdigest()
                self._con.execute(
                    "INSERT INTO measures VALUES (?, ?, ?, ?, ?)",
                    (measure, text, fingerprint, _package_version(), _now()),
                )
            elif row[0] != text:
                if self._has_results("measure = ?", (measure,)):
                    raise RTDInputError(self._conflict(measure, json.loads(row[0]), dict(params)))
                # Recorded by a run that stored nothing: nothing could be mixed, so replace it.
                self._con.execute(
                    "UPDATE measures SET params = ?, fingerprint = ? WHERE measure = ?",
                    (text, hashlib.sha256(text.encode()).hexdigest(), measure),
                )
        self._params[measure] = text

    def _has_results(self, where: str, args: tuple[str, ...]) -> bool:
        query = f"SELECT 1 FROM results WHERE {where} LIMIT 1"
        return self._con.execute(query, args).fetchone() is not None

    def _conflict(self, measure: str, stored: dict[str, Any], asked: dict[str, Any]) -> str:
        keys = sorted(k for k in stored.keys() | asked.keys() if stored.get(k) != asked.get(k))
        diff = ", ".join(f"{k}={stored.get(k)!r} (this run: {asked.get(k)!r})" for k in keys)
        return (
            f"store {self.path!r} holds {measure!r} results computed with {diff}; rerun with "
            "the stored values to resume that study, or pass a new store file; results "
            "computed with different parameters are never mixed"
        )

    def register_representations(self, infos: Mapping[str, RepInfo]) -> None:
        """Record each representation's digest and shape, or check them against the file.

        Raises
        ------
        RTDInputError
            A name has stored results computed from different contents (the data changed
            under the same name).
        """
        with _transaction(self._con):
            for name, info in infos.items():
                row = self._con.execute(
                    "SELECT digest, n_rows, n_cols FROM representations WHERE name = ?", (name,)
                ).fetchone()
                if row is None or (
                    RepInfo(*row) != info and not self._has_results("? IN (a, b)", (name,))
                ):
                    self._con.execute(
                        "INSERT OR REPLACE INTO representations VALUES (?, ?, ?, ?)",
                        (name, *info),
                    )
                elif RepInfo(*row) != info:
                    raise RTDInputError(
                        f"store {self.path!r} holds results for a different representation "
                        f"named {name!r} (shape {row[1]}x{row[2]}, digest {row[0][:12]}; now "
                        f"{info.n_rows}x{info.n_cols}, {info.digest[:12]}); its data changed "
                        "since the store was written: rename it or pass a new store file"
                    )

    def completed_trials(self, measure: str, directions: int) -> dict[tuple[str, str], set[int]]:
        """Trials of each pair already stored with all ``directions`` (1 or 2) of ``measure``."""
        rows = self._con.execute(
            "SELECT a, b, trial FROM results WHERE measure = ? "
            "GROUP BY a, b, trial HAVING COUNT(*) = ?",
            (measure, directions),
        )
        done: dict[tuple[str, str], set[int]] = {}
        for a, b, trial in rows:
            done.setdefault((a, b), set()).add(trial)
        return done

    def write(self, rows: Iterable[ResultRow]) -> None:
        """Commit ``rows`` in one transaction; rows already stored are left as they are."""
        version, created = _package_version(), _now()
        records = [(*row[:5], _nan_to_null(row.value), row.seed) for row in rows]
        with _transaction(self._con):
            self._con.executemany(
                _INSERT,
                [(*r, self._params_of(r[2]), version, created) for r in records],
            )

    def _params_of(self, measure: str) -> str:
        if measure not in self._params:
            raise RTDInputError(f"register_measure({measure!r}, ...) must precede writing it")
        return self._params[measure]

    def values(self, measure: str) -> dict[tuple[str, str, str, int], float]:
        """``{(a, b, direction, trial): value}`` for every stored row of ``measure``."""
        rows = self._con.execute(
            "SELECT a, b, direction, trial, value FROM results WHERE measure = ?", (measure,)
        )
        return {(a, b, d, t): float("nan") if v is None else v for a, b, d, t, v in rows}

    def count(self) -> int:
        """Number of stored result rows."""
        return int(self._con.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def to_frame(self) -> pd.DataFrame:
        """Every result row as a long pandas DataFrame (one row per pair/measure/direction/trial).

        Examples
        --------
        >>> ResultStore().to_frame().columns.tolist()[:5]
        ['a', 'b', 'measure', 'direction', 'trial']
        """
        import pandas as pd

        cursor = self._con.execute(
            "SELECT a, b, measure, direction, trial, value, seed, params, version, created "
            "FROM results ORDER BY measure, a, b, direction, trial"
        )
        columns = [c[0] for c in cursor.description]
        frame = pd.DataFrame(cursor.fetchall(), columns=columns)
        frame["value"] = frame["value"].astype(float)
        return frame


def _nan_to_null(value: float) -> float | None:
    # SQLite has no NaN: it would store NULL anyway, so say so explicitly.
    return None if value != value else value


@contextmanager
def _transaction(con: sqlite3.Connection) -> Iterator[None]:
    """One write transaction; IMMEDIATE takes the write lock up front so that two writers
    queue on the busy timeout instead of failing with a deadlock midway."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
