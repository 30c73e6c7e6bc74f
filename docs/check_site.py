"""Fail when the built documentation site shows Sphinx role markup as text.

``mkdocs build --strict`` catches a broken cross-reference but not a role that was never
turned into one (``:func:`rtd``` rendered as ``:func:<code>rtd</code>``): docs/griffe_roles.py
rewrites the roles of the docstrings, and this check (run by .ci/run after the build) proves
that none got through, from a docstring or from a page.

Usage: ``python docs/check_site.py SITE_DIR``; exits 1 and lists each page and role found.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

TAG = re.compile(r"<[^>]+>")
# The role name followed by its target, as left after the HTML tags are stripped.
ROLE_TEXT = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj|const):`?[\w~.]")


def literal_roles(page: Path) -> list[str]:
    """The role markup in the text of one HTML page, each with a little context."""
    text = html.unescape(TAG.sub("", page.read_text(encoding="utf-8")))
    return [text[max(m.start() - 30, 0) : m.end() + 30].strip() for m in ROLE_TEXT.finditer(text)]


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: python docs/check_site.py SITE_DIR (a folder built by mkdocs)")
        return 2
    site = Path(argv[0])
    pages = sorted(site.rglob("*.html"))
    found = {page: literal_roles(page) for page in pages}
    found = {page: roles for page, roles in found.items() if roles}
    for page, roles in found.items():
        for role in roles:
            print(f"{page.relative_to(site)}: literal role markup: ...{role}...")
    if found:
        print(f"{sum(map(len, found.values()))} literal roles on {len(found)} pages; see above")
        return 1
    print(f"no literal role markup in {len(pages)} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
