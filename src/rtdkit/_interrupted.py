"""The words the command line prints when Ctrl-C stops it.

A module of its own, importing nothing, so that the console entry (:mod:`rtdkit.__main__`)
can say them before Typer and the commands are imported.
"""

from __future__ import annotations

__all__ = ["EXIT_INTERRUPTED", "INTERRUPTED", "NOTHING_WRITTEN"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C

INTERRUPTED = "rtdkit: interrupted. "
NOTHING_WRITTEN = "Nothing was written: results are written when a command finishes"
