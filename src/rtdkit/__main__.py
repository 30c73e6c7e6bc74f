"""The ``rtdkit`` console entry, also run by ``python -m rtdkit``.

Importing the command line (Typer, rich, the commands) takes a few tenths of a second, and
Ctrl-C meanwhile would end in Python's traceback. This module imports nothing heavy: it
installs a handler first, then imports and runs :func:`rtdkit.cli.main`, whose commands
report an interruption themselves.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from rtdkit._interrupted import EXIT_INTERRUPTED, INTERRUPTED, NOTHING_WRITTEN

__all__ = ["main"]

_LINE = f"{INTERRUPTED}{NOTHING_WRITTEN}\n"


def _stop_during_start(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C before any command ran: say so in one line and exit at once.

    ``os._exit`` rather than an exception, which would unwind through half-finished
    imports; nothing was computed or opened, so nothing needs cleaning up.
    """
    os.write(sys.stderr.fileno(), _LINE.encode())
    os._exit(EXIT_INTERRUPTED)


def main() -> None:
    """Run the ``rtdkit`` command line; Ctrl-C at any moment prints one line, exit 130.

    A SIGINT that the parent process set to be ignored (``nohup``, a background job of a
    script) stays ignored.
    """
    interruptible = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if interruptible:
        signal.signal(signal.SIGINT, _stop_during_start)
    from rtdkit.cli import main as run_command_line

    if interruptible:
        # From here on Ctrl-C raises KeyboardInterrupt, which each command reports itself
        # (saying what it kept); Typer turns one raised while it parses into exit 130.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        run_command_line()
    except KeyboardInterrupt:  # in the few instructions before Typer's own handling
        sys.stderr.write(_LINE)
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
