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
    claims(a, b, claimant, expires, PRIMARY KEY (a, b), CHECK (a < b))

``a < b`` are the two representation names in sorted order. ``direction`` is 'forward' for
``measure(a, b)`` and 'backward' for ``measure(b, a)`` (asymmetric measures only). ``seed`` is
the pair's subsampling seed (:func:`rtdkit.allpairs.pair_seed`); ``value`` NULL means NaN.

``claims`` lets several processes share one store and split its pairs: a process claims a
pair for ``lease`` seconds (``expires`` is a Unix time), renews its claims while it works and
drops each one in the transaction that stores the pair, so a pair is never both unclaimed and
unstored. A killed process stops renewing; once its leases expire its pairs are taken again.
Older stores gain the table when opened; it holds only work in progress.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Concatenate, NamedTuple, ParamSpec, TypeVar

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
    """CREATE TABLE IF NOT EXISTS claims (
        a TEXT NOT NULL,
        b TEXT NOT NULL,
        claimant TEXT NOT NULL,
        expires REAL NOT NULL,
        PRIMARY KEY (a, b),
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


# The clock of the leases: Unix time, shared by every process on the machine.
_clock = time.time

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _reporting_damage(
    method: Callable[Concatenate[ResultStore, _P], _R],
) -> Callable[Concatenate[ResultStore, _P], _R]:
    """Turn SQLite's errors inside a store method (a page damaged in the middle of the file,
    a full disk, a lock held too long) into one :class:`RTDInputError` naming the store."""

    @functools.wraps(method)
    def wrapper(self: ResultStore, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise RTDInputError(self._unusable(exc)) from exc

    return wrapper


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
        self._timeout = timeout
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
            raise RTDInputError(self._unusable(exc)) from exc
        return con

    def _unusable(self, exc: sqlite3.DatabaseError) -> str:
        reason = str(exc)
        if "locked" in reason or "busy" in reason:
            return (
                f"store {self.path!r} stayed locked by another process for {self._timeout:g} s "
                f"({reason}); let that process finish, or pass a new store file"
            )
        if "full" in reason:
            return (
                f"store {self.path!r}: the disk is full ({reason}); free space and rerun with "
                "the same store, which keeps every pair stored so far"
            )
        return (
            f"{self.path} is not a usable rtdkit store: it is damaged or not a store ({reason}); "
            "pass a new store file (`sqlite3 FILE .recover` may rescue the stored rows)"
        )

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

    @_reporting_damage
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

        def listed(params: dict[str, Any]) -> str:
            # name=value, as the options are spelled (the CLI rewrites them as --name value)
            return ", ".join(f"{k}={params.get(k)!r}" for k in keys)

        return (
            f"store {self.path!r} holds {measure!r} results computed with {listed(stored)}, "
            f"but this run asks for {listed(asked)}; rerun with the stored values to resume "
            "that study, or pass a new store file; results computed with different parameters "
            "are never mixed"
        )

    @_reporting_damage
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

    @_reporting_damage
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

    @_reporting_damage
    def write(self, rows: Iterable[ResultRow], *, claimant: str | None = None) -> None:
        """Commit ``rows`` in one transaction; rows already stored are left as they are.

        With ``claimant``, that claimant's claims on the rows' pairs are dropped in the same
        transaction (the pairs are done).
        """
        version, created = _package_version(), _now()
        records = [(*row[:5], _nan_to_null(row.value), row.seed) for row in rows]
        with _transaction(self._con):
            self._con.executemany(
                _INSERT,
                [(*r, self._params_of(r[2]), version, created) for r in records],
            )
            if claimant is not None:
                self._drop_claims(claimant, {(r[0], r[1]) for r in records})

    @_reporting_damage
    def claim(
        self, pairs: Sequence[tuple[str, str]], *, claimant: str, lease: float, limit: int = 1
    ) -> list[tuple[str, str]]:
        """Claim, atomically, up to ``limit`` of ``pairs`` (``(a, b)`` with ``a < b``, in the
        order given) that no other claimant holds, for ``lease`` seconds.

        Claims whose lease has expired are free (their claimant stopped renewing: it was
        killed). Pairs this claimant already holds are renewed and count towards ``limit``.
        An empty list means every one of ``pairs`` is held by another live claimant.

        Examples
        --------
        >>> with ResultStore() as db:
        ...     db.claim([("a", "b"), ("a", "c")], claimant="w1", lease=60)
        ...     db.claim([("a", "b"), ("a", "c")], claimant="w2", lease=60, limit=5)
        [('a', 'b')]
        [('a', 'c')]
        """
        now = _clock()
        with _transaction(self._con):
            held = {
                (a, b)
                for a, b in self._con.execute(
                    "SELECT a, b FROM claims WHERE expires > ? AND claimant != ?",
                    (now, claimant),
                )
            }
            taken = [pair for pair in pairs if pair not in held][:limit]
            self._con.executemany(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?)",
                [(a, b, claimant, now + lease) for a, b in taken],
            )
        return taken

    @_reporting_damage
    def renew(self, claimant: str, *, lease: float) -> int:
        """Extend every claim ``claimant`` still holds to ``lease`` seconds from now; return
        how many it holds (fewer than it took if a lease expired and was taken over)."""
        with _transaction(self._con):
            cursor = self._con.execute(
                "UPDATE claims SET expires = ? WHERE claimant = ?", (_clock() + lease, claimant)
            )
        return cursor.rowcount

    @_reporting_damage
    def release(self, claimant: str, pairs: Iterable[tuple[str, str]] | None = None) -> None:
        """Drop ``claimant``'s claims on ``pairs`` (all of them by default), e.g. when it is
        interrupted, so that other processes take those pairs at once."""
        with _transaction(self._con):
            if pairs is None:
                self._con.execute("DELETE FROM claims WHERE claimant = ?", (claimant,))
            else:
                self._drop_claims(claimant, pairs)

    def _drop_claims(self, claimant: str, pairs: Iterable[tuple[str, str]]) -> None:
        self._con.executemany(
            "DELETE FROM claims WHERE a = ? AND b = ? AND claimant = ?",
            [(a, b, claimant) for a, b in pairs],
        )

    @_reporting_damage
    def claims(self) -> dict[tuple[str, str], tuple[str, float]]:
        """``{(a, b): (claimant, expires)}`` for every claim, expired ones included."""
        rows = self._con.execute("SELECT a, b, claimant, expires FROM claims")
        return {(a, b): (c, e) for a, b, c, e in rows}

    def _params_of(self, measure: str) -> str:
        if measure not in self._params:
            raise RTDInputError(f"register_measure({measure!r}, ...) must precede writing it")
        return self._params[measure]

    @_reporting_damage
    def values(self, measure: str) -> dict[tuple[str, str, str, int], float]:
        """``{(a, b, direction, trial): value}`` for every stored row of ``measure``."""
        rows = self._con.execute(
            "SELECT a, b, direction, trial, value FROM results WHERE measure = ?", (measure,)
        )
        return {(a, b, d, t): float("nan") if v is None else v for a, b, d, t, v in rows}

    @_reporting_damage
    def count(self) -> int:
        """Number of stored result rows."""
        return int(self._con.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    @_reporting_damage
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
        if con.in_transaction:  # SQLite rolls back by itself on some errors (a full disk)
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
