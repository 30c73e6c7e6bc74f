"""How the command line's help reads: arguments by name, flags without a type.

Typer prints a required argument as ``{a}`` in the usage line and every flag with a
``<bool>`` type, as if it took a value; these classes print ``A B`` and ``--json``, the
way command-line tools write them.
"""

from __future__ import annotations

from typing import Any

import typer.core

__all__ = ["Command", "Group"]


def _plain_params(params: list[Any]) -> None:
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""  # a flag takes no value: no "<bool>" beside it
        elif param.param_type_name == "argument" and param.metavar is None and param.name:
            param.metavar = param.name.upper()


def _usage_pieces(command: Any, ctx: Any) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if param.param_type_name == "argument":
            name = param.metavar or (param.name or "").upper()
            name += "..." if param.nargs != 1 else ""
            pieces.append(name if param.required else f"[{name}]")
    return pieces


class Command(typer.core.TyperCommand):
    """A command whose help shows ``rtdkit compare [OPTIONS] A B`` and bare flags."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _plain_params(self.params)

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        _plain_params(params)  # the --help option is made here, not in __init__
        return params

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage_pieces(self, ctx)


class Group(typer.core.TyperGroup):
    """The ``rtdkit`` group: ``--version`` and ``--help`` shown as the flags they are."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        _plain_params(params)
        return params
