"""A griffe extension: Sphinx roles in rtdkit's docstrings become links in the API reference.

The docstrings are written for Python's ``help()`` and IDEs, in the numpy style with Sphinx
roles (``:func:`cross_barcode```, ``:class:`~rtdkit.stats.MantelResult```). mkdocstrings
would show those roles literally; this extension (mkdocs.yml, handler option ``extensions``)
rewrites each one, before the docstrings are parsed, into an mkdocs-autorefs reference to
the object as the API pages render it, ``[`cross_barcode`][rtdkit.cross_barcode]``.

A role whose object is not rendered on any API page (a private helper, another library)
becomes plain code: a link to nowhere would fail ``mkdocs build --strict``, and a role left
as it is would read as markup. Which objects are rendered is read from the ``:::`` lines of
the pages under ``docs/api``, with the members mkdocstrings shows for each.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import griffe

API_PAGES = Path(__file__).parent / "api"

# :func:`name`, :class:`~pkg.Name`, :py:meth:`Name.method` (the optional "py:" domain).
ROLE = re.compile(
    r":(?:py:)?(?P<kind>func|class|meth|mod|attr|data|exc|obj|const):`(?P<target>[^`]+)`"
)
DIRECTIVE = re.compile(r"^:::\s*(?P<path>\S+)(?P<options>(?:\n[ \t]+\S.*)*)", re.MULTILINE)
PRIVATE_NAME = re.compile(r"_[^_]")
MEMBERS_OPTION = re.compile(r"^\s*members:\s*\[(?P<names>[^\]]*)\]", re.MULTILINE)


class SphinxRolesToAutorefs(griffe.Extension):
    """Rewrite Sphinx roles in every docstring of the package into autorefs links."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        anchors = rendered_anchors(pkg, API_PAGES)
        for obj in _own_objects(pkg):
            if obj.docstring is not None:
                obj.docstring.value = ROLE.sub(
                    lambda role, obj=obj: _reference(role, obj, pkg, anchors),  # type: ignore[misc]
                    obj.docstring.value,
                )


def rendered_anchors(pkg: griffe.Module, pages: Path) -> dict[str, list[str]]:
    """Canonical path -> the identifiers mkdocstrings gives it, for every object on ``pages``."""
    anchors: dict[str, list[str]] = {}
    for page in sorted(pages.glob("*.md")):
        for directive in DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            path = directive["path"]
            if not path.startswith(pkg.name):
                continue
            members = MEMBERS_OPTION.search(directive["options"])
            only = {n.strip() for n in members["names"].split(",")} if members else None
            obj = _lookup(pkg, path)
            if obj is not None:  # else mkdocstrings itself reports the directive
                _add_rendered(obj, path, anchors, only)
    return anchors


def _add_rendered(
    obj: griffe.Object | griffe.Alias,
    identifier: str,
    anchors: dict[str, list[str]],
    only: set[str] | None = None,
) -> None:
    """Record ``obj`` under ``identifier`` and, as mkdocstrings shows them, its members.

    ``only`` is the page's ``members:`` option.
    """
    anchors.setdefault(obj.canonical_path, []).append(identifier)
    for name, member in obj.members.items():
        if only is not None and name not in only:
            continue
        try:
            if _shown(name, member):
                _add_rendered(member, f"{identifier}.{name}", anchors)
        except griffe.AliasResolutionError:  # imported from another library
            continue


def _shown(name: str, member: griffe.Object | griffe.Alias) -> bool:
    """mkdocstrings-python's default choice (filters ``!^_[^_]``, no submodules, documented
    members only; an imported name only where public)."""
    if PRIVATE_NAME.match(name) or member.is_module or not member.has_docstrings:
        return False
    return not member.is_imported or member.is_public


def _own_objects(obj: griffe.Object) -> Iterator[griffe.Object]:
    """``obj`` and every object defined in it, recursively (imported names excluded)."""
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _own_objects(member)  # type: ignore[arg-type]  # not an Alias here


def _reference(
    role: re.Match[str], scope: griffe.Object, pkg: griffe.Module, anchors: dict[str, list[str]]
) -> str:
    """The autorefs link for one role, or plain code when its object is not on the site."""
    path = role["target"].strip()
    tilde = path.startswith("~")  # Sphinx: show the last component only
    path = path.removeprefix("~")
    shown = path.rsplit(".", 1)[-1] if tilde else path
    obj = _resolve(path, scope, pkg)
    if obj is not None and obj.is_module and role["kind"] != "mod":
        obj = _imported_instead(obj, pkg)
    if obj is None or obj.canonical_path not in anchors:
        return f"`{shown}`"
    # An object shown on two pages (rtdkit.pairwise, rtdkit.allpairs.pairwise): the one named.
    identifiers = anchors[obj.canonical_path]
    anchor = obj.path if obj.path in identifiers else identifiers[0]
    return f"[`{shown}`][{anchor}]"


def _resolve(
    name: str, scope: griffe.Object, pkg: griffe.Module
) -> griffe.Object | griffe.Alias | None:
    """The object ``name`` means in ``scope``: a dotted path, a name visible there, or a
    name of the package's top level (``rtdkit.rtd`` as plain ``rtd``)."""
    if name.startswith(f"{pkg.name}."):
        return _lookup(pkg, name)
    head, _, rest = name.partition(".")
    try:
        path = scope.resolve(head)
    except griffe.NameResolutionError:
        path = f"{pkg.name}.{head}"
    return _lookup(pkg, f"{path}.{rest}" if rest else path)


def _imported_instead(
    module: griffe.Object | griffe.Alias, pkg: griffe.Module
) -> griffe.Object | griffe.Alias | None:
    """What a role naming a function or class at a submodule's path means: the package's
    import of that name hides the submodule (``rtdkit.torch.capture`` is the function)."""
    package = module.parent
    imported = package.imports.get(module.name) if package is not None else None
    return _lookup(pkg, imported) if imported else None


def _lookup(pkg: griffe.Module, path: str) -> griffe.Object | griffe.Alias | None:
    """The object at dotted ``path``, or None if it is not in the package (or not at all)."""
    if path != pkg.name and not path.startswith(f"{pkg.name}."):
        return None
    found: griffe.Object | griffe.Alias | None = pkg
    try:
        for name in path.split(".")[1:]:
            found = found.members.get(name) if found is not None else None
        if found is not None:
            found.canonical_path  # noqa: B018 - resolves an alias, which may point outside
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None
    return found
