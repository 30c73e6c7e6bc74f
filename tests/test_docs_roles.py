"""The API reference's cross-references: docs/griffe_roles.py turns Sphinx roles into links."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

griffe = pytest.importorskip("griffe")  # the docs toolchain (the dev and docs extras)

DOCS = Path(__file__).resolve().parents[1] / "docs"
LINK = re.compile(r"\[`(?P<shown>[^`]+)`\]\[(?P<anchor>[^\]]+)\]")


@pytest.fixture(scope="module")
def docs() -> tuple[dict[str, str], set[str]]:
    """Every docstring of rtdkit after the extension ran, and the identifiers on API pages."""
    sys.path.insert(0, str(DOCS))
    try:
        import griffe_roles
    finally:
        sys.path.remove(str(DOCS))
    pkg = griffe.load(
        "rtdkit",
        search_paths=[str(DOCS.parent / "src")],
        extensions=griffe.load_extensions(griffe_roles.SphinxRolesToAutorefs()),
    )
    anchors = griffe_roles.rendered_anchors(pkg, griffe_roles.API_PAGES)
    docstrings = {
        obj.path: obj.docstring.value
        for obj in griffe_roles._own_objects(pkg)
        if obj.docstring is not None
    }
    return docstrings, {a for identifiers in anchors.values() for a in identifiers}


def test_no_role_is_left_and_every_link_has_a_target(docs: tuple[dict[str, str], set[str]]) -> None:
    docstrings, anchors = docs
    assert not [path for path, doc in docstrings.items() if re.search(r":[a-z]+:`", doc)]
    links = [m["anchor"] for doc in docstrings.values() for m in LINK.finditer(doc)]
    assert len(links) > 50
    assert set(links) <= anchors


def test_roles_link_to_the_object_as_the_api_pages_show_it(
    docs: tuple[dict[str, str], set[str]],
) -> None:
    docstrings, _ = docs
    # A short name, a full path, a function that hides its submodule's name.
    assert "[`RTDLoss`][rtdkit.torch.RTDLoss]" in docstrings["rtdkit.torch"]
    assert "[`rtdkit.rtd`][rtdkit.rtd]" in docstrings["rtdkit.torch.loss.RTDLoss"]
    assert "[`capture`][rtdkit.torch.capture.capture]" in docstrings["rtdkit.torch"]
    # Not on any API page (a submodule the pages leave out): plain code, not a dead link.
    assert "`ResultStore`" in docstrings["rtdkit.allpairs"]
    assert "][rtdkit.allpairs.store" not in docstrings["rtdkit.allpairs"]
