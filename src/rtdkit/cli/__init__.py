"""The ``rtdkit`` command line.

Every command turns an :class:`rtdkit.RTDInputError` (bad file, bad option value) into one
line on stderr and exit status 2; results go to stdout, progress bars to stderr.

The package is split by concern: :mod:`~rtdkit.cli.pair_commands` and
:mod:`~rtdkit.cli.study_commands` hold the commands, :mod:`~rtdkit.cli.messages` turns API
errors into the command line's words and :mod:`~rtdkit.cli.figures` checks and saves figures.
Nothing numerical is imported until a command runs, so ``rtdkit --help`` starts at once.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

import typer

from rtdkit._interrupted import EXIT_INTERRUPTED
from rtdkit.cli._help import Command, Group
from rtdkit.cli._options import DEFAULT_JOBS, DEFAULT_TRIALS
from rtdkit.cli.messages import cli_message, error_line, interrupted_line, warning_line
from rtdkit.cli.pair_commands import barcode, compare, permutation_test_command
from rtdkit.cli.study_commands import demo, engines, experiment, matrix

__all__ = [
    "DEFAULT_JOBS",
    "DEFAULT_TRIALS",
    "EXIT_BAD_INPUT",
    "EXIT_INTERRUPTED",
    "app",
    "cli_message",
    "main",
]

EXIT_BAD_INPUT = 2
_P = ParamSpec("_P")
_R = TypeVar("_R")

app = typer.Typer(
    name="rtdkit",
    cls=Group,
    help="Compare two representations of the same data by their multi-scale topology (RTD).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts are Markdown: `code` and paragraphs that rewrap to the terminal's width.
    rich_markup_mode="markdown",
)


def _reporting_interrupts(command: Callable[_P, _R]) -> Callable[_P, _R]:
    """Ctrl-C in a command: one line on stderr saying what was kept, and exit status 130
    (Typer alone exits 130 without a word)."""

    @functools.wraps(command)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt as exc:
            typer.echo(interrupted_line(exc), err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return run


# Registered in the order --help lists them.
app.command(cls=Command)(_reporting_interrupts(compare))
app.command("test", cls=Command)(_reporting_interrupts(permutation_test_command))
for _command in (barcode, demo, matrix, experiment, engines):
    app.command(cls=Command)(_reporting_interrupts(_command))


def _version(value: bool) -> None:
    if value:
        from rtdkit._version import __version__

        typer.echo(f"rtdkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Compare two representations of the same data by their multi-scale topology (RTD)."""


def main() -> None:
    """Console entry point: turn input errors into one line on stderr and exit status 2, and
    rtdkit's warnings into one line each (not Python's two, with a line of its source).

    Usage errors (unknown option, a non-integer where one is needed) are reported by Typer
    itself, also with exit status 2.
    """
    with warnings.catch_warnings():
        show_others = warnings.showwarning

        def show(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
            if category.__module__.startswith("rtdkit."):
                typer.echo(warning_line(str(message)), err=True)
            else:
                show_others(message, category, *args, **kw)

        warnings.showwarning = show
        _run_app()


def _run_app() -> None:
    try:
        app()
    except SystemExit as exc:
        # Ctrl-C outside a command (while Typer parses, or imports what it needs) ends in
        # Typer's own silent exit 130, raised from the KeyboardInterrupt: say it too.
        interrupt = getattr(exc.__context__, "__cause__", None)
        if exc.code == EXIT_INTERRUPTED and isinstance(interrupt, KeyboardInterrupt):
            typer.echo(interrupted_line(interrupt), err=True)
        raise
    except ValueError as exc:
        # Imported only now: numpy (behind rtdkit._validation) stays out of --help and --version.
        from rtdkit._validation import RTDInputError

        if not isinstance(exc, RTDInputError):
            raise
        typer.echo(error_line(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
