"""docs/ stays in step with --help, and every relative link in the docs leads somewhere."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import VAMI

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

# Markdown pages whose links are checked: the README and everything under docs/.
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]

_FENCE = re.compile(r"^ {0,3}(```|~~~)")
# [text](target) and [text](target "title"); images too. Targets with spaces are not used.
_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")


def prose_lines(text):
    """The lines of a Markdown page outside fenced code blocks."""
    inside = None
    for line in text.splitlines():
        fence = _FENCE.match(line)
        if fence:
            if inside is None:
                inside = fence.group(1)
            elif fence.group(1) == inside:
                inside = None
            continue
        if inside is None:
            yield line


def anchor_of(heading):
    """GitHub's anchor of a heading: lower case, inline markup dropped, punctuation other than
    '-' and '_' removed, spaces become '-'."""
    text = _INLINE_CODE.sub(lambda m: m.group(2), heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = text.replace("*", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page):
    """Every anchor a page defines, numbered like GitHub's when a heading repeats."""
    seen = {}
    result = set()
    for line in prose_lines(page.read_text()):
        match = _HEADING.match(line)
        if not match:
            continue
        anchor = anchor_of(match.group(2))
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        result.add(anchor if count == 0 else f"{anchor}-{count}")
    return result


def links(page):
    """The target of every link of a page, outside code blocks and inline code."""
    found = []
    for line in prose_lines(page.read_text()):
        without_code = _INLINE_CODE.sub("", line)
        found += [match.group(1) for match in _LINK.finditer(without_code)]
        definition = _REFERENCE_DEFINITION.match(without_code)
        if definition:
            found.append(definition.group(1))
    return found


def is_external(target):
    return re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) is not None


def broken_links(page):
    """Every relative link of `page` whose file or anchor does not exist, as messages."""
    problems = []
    for target in links(page):
        if is_external(target):
            continue
        path_part, _, fragment = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        where = f"{page.relative_to(ROOT)}: link {target!r}"
        if not destination.exists():
            problems.append(f"{where}: {path_part} does not exist")
            continue
        if fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            problems.append(f"{where}: no heading with anchor #{fragment} in "
                            f"{destination.relative_to(ROOT)}")
    return problems


def test_command_reference_matches_the_binarys_help():
    generated = subprocess.run([str(ROOT / "scripts" / "command-reference.sh"), VAMI],
                               capture_output=True, text=True, check=True).stdout
    assert generated == (ROOT / "docs" / "commands.md").read_text(), \
        "docs/commands.md is stale: run scripts/command-reference.sh build/cli/vami > docs/commands.md"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_an_existing_file_and_heading(page):
    assert broken_links(page) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_table_cell_is_split_by_a_pipe_in_inline_code(page):
    # GitHub splits table rows at every unescaped '|', even inside `code`.
    split = [line for line in prose_lines(page.read_text()) if line.lstrip().startswith("|")
             and any("|" in code.replace("\\|", "") for _, code in _INLINE_CODE.findall(line))]
    assert split == []


def test_the_docs_index_links_every_page():
    index = DOCS / "README.md"
    linked = {(index.parent / target.partition("#")[0]).resolve()
              for target in links(index) if not is_external(target)}
    pages = {p.resolve() for p in DOCS.rglob("*.md") if p != index and "man" not in p.parts}
    missing = sorted(str(p.relative_to(ROOT)) for p in pages - linked)
    assert missing == [], "docs/README.md does not link these pages"


def test_the_readme_links_the_docs_index():
    targets = set(links(ROOT / "README.md"))
    assert "docs/README.md" in targets


# The checker itself: a link checker that finds nothing wrong must still be able to.
def test_link_checker_reports_a_missing_file_and_a_missing_anchor(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "other.md").write_text("# Title\n\n## `vami route` and exit 4: a conflict\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[fine](other.md#vami-route-and-exit-4-a-conflict) [self](#top-heading)\n"
        "# Top heading\n"
        "[gone](missing.md) [bad anchor](other.md#nowhere) [web](https://example.com/x.md)\n"
        "`[in code](missing-too.md)`\n"
        "```\n[in a fence](missing-three.md)\n```\n")
    assert broken_links(page) == [
        "page.md: link 'missing.md': missing.md does not exist",
        "page.md: link 'other.md#nowhere': no heading with anchor #nowhere in other.md",
    ]


def test_anchor_of_follows_githubs_rules():
    assert anchor_of("6. Exit 4: a conflict, and what to do") == "6-exit-4-a-conflict-and-what-to-do"
    assert anchor_of("Operations (the journal)") == "operations-the-journal"
    assert anchor_of("`vami route`: where a call goes") == "vami-route-where-a-call-goes"
    assert anchor_of("vami numbers buy") == "vami-numbers-buy"
