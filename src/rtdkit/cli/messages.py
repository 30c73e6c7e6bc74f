"""API errors in the command line's words: ``--n-jobs`` for ``n_jobs=``, A and B for P and Q."""

from __future__ import annotations

import re

from rtdkit._interrupted import INTERRUPTED, NOTHING_WRITTEN

__all__ = ["cli_message", "error_line", "interrupted_line", "warning_line"]

# API spellings in messages, as the command line writes them.
_API_OPTION = re.compile(
    r"\b(allow_pickle|batch|dim|engine|executor|maxdim|method|metric|n_jobs|n_permutations|"
    r"normalize|seed|store|trials)=('[^']*'|[\w.]+)?"
)


# An option named at the start of a message ("n_jobs must be ...").
_API_SUBJECT = re.compile(
    r"^(batch|dim|maxdim|measure|method|metric|n_jobs|n_permutations|seed|trials)\b"
)

# API names the command line spells differently (not only "_" -> "-").
_RENAMED = {"executor": "scheduler", "n_permutations": "permutations"}


def _cli_name(api_name: str) -> str:
    return "--" + _RENAMED.get(api_name, api_name).replace("_", "-")


def _cli_option(match: re.Match[str]) -> str:
    name = _cli_name(match[1]).removeprefix("--")
    value = (match[2] or "").strip("'")
    if value == "True":
        return f"--{name}"
    return f"--{name} {'none' if value == 'None' else value}".rstrip()


def cli_message(text: str) -> str:
    """An API error message in the command line's words: options, and A/B for P/Q.

    Examples
    --------
    >>> cli_message("P is not symmetric; pass normalize=None or allow_pickle=True")
    'A is not symmetric; pass --normalize none or --allow-pickle'
    >>> cli_message("n_jobs must be a positive integer")
    '--n-jobs must be a positive integer'
    """
    text = text.replace("key=NAME (CLI: FILE:NAME)", "FILE:NAME")
    text = _API_OPTION.sub(_cli_option, text)
    text = _API_SUBJECT.sub(lambda m: _cli_name(m[1]), text)
    # A lone P or Q (not part of a file name such as Q.npy) is the API's name for A or B.
    return re.sub(r"(?<![\w./-])[PQ](?![\w./-])", lambda m: "AB"[m[0] == "Q"], text)


def error_line(error: Exception) -> str:
    """The one line the command line prints for an input error, in its own words.

    Examples
    --------
    >>> error_line(ValueError("P is empty;   pass another file"))
    'rtdkit: error: A is empty; pass another file'
    """
    return "rtdkit: error: " + " ".join(cli_message(str(error)).split())


def warning_line(text: str) -> str:
    """The one line the command line prints for a warning of rtdkit, in its own words.

    Examples
    --------
    >>> warning_line("P has 5 rows but 60 columns. If P is transposed, pass P.T")
    'rtdkit: warning: A has 5 rows but 60 columns. If A is transposed, save A transposed'
    """
    text = re.sub(r"\bpass ([PQ])\.T\b", r"save \1 transposed", text)
    return "rtdkit: warning: " + " ".join(cli_message(text).split())


def interrupted_line(interrupt: BaseException) -> str:
    """The one line the command line prints when Ctrl-C stops a command: what was kept.

    What was kept travels as notes on the ``KeyboardInterrupt`` (``pairwise`` notes how many
    pairs its store holds); without a note, nothing was: results are written at the end.

    Examples
    --------
    >>> interrupted_line(KeyboardInterrupt())
    'rtdkit: interrupted. Nothing was written: results are written when a command finishes'
    """
    notes = [note.removeprefix("rtdkit: ") for note in getattr(interrupt, "__notes__", [])]
    kept = " ".join(notes) or NOTHING_WRITTEN
    return INTERRUPTED + " ".join(cli_message(kept).split())
