#!/usr/bin/env python3
"""Nothing the project ships refers to a file it does not contain (issue #16).

Checks every Markdown file of the repository and the man page's extra text: each relative link
`[text](path)` must name a file or folder that exists (from the document's folder), and each
repository path written in backticks (`scripts/test.sh`, `config/examples/demo.yaml`,
`docs/design.md §4`) must exist from the repository root. Paths under build output (build*/,
.run/) and absolute or templated paths (/etc/…, <state_dir>/…) are not the repository's and are
skipped. Also: no source comment points at a design document outside the repository.

  python3 tests/arch/test_docs.py REPO_ROOT
"""
import os
import re
import subprocess
import sys

SKIP_DIRS = {".git", "node_modules", "coverage", "__pycache__"}
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
TICKED = re.compile(r"`([^`\s]+)")


def documents(root):
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        dirs[:] = [d for d in dirs
                   if d not in SKIP_DIRS and not d.startswith("build") and not (rel == "." and d.startswith("."))]
        for f in files:
            if f.endswith(".md") or f.endswith(".h2m"):
                yield os.path.join(folder, f)


def tracked_paths(root):
    """Every file git tracks and every folder above one, or None outside a git checkout: a stale
    untracked file must not make a dangling reference look fine."""
    r = subprocess.run(["git", "-C", root, "ls-files"], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    out = set()
    for f in r.stdout.splitlines():
        parts = f.split("/")
        for i in range(1, len(parts) + 1):
            out.add("/".join(parts[:i]))
    return out


def exists(root, rel, tracked):
    rel = os.path.normpath(rel).rstrip("/")
    if tracked is not None and not rel.startswith(".."):
        return rel in tracked or rel == "."
    return os.path.exists(os.path.join(root, rel))


def problems_in(root, path, top_dirs, tracked):
    out = []
    text = open(path, encoding="utf-8").read()
    here = os.path.dirname(path)
    name = os.path.relpath(path, root)
    for n, line in enumerate(text.splitlines(), 1):
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue  # http:, https:, mailto:, file:, in-page anchors
            target = target.split("#", 1)[0]
            if target and not exists(root, os.path.relpath(os.path.join(here, target), root), tracked):
                out.append(f"{name}:{n}: link to {target}, which the repository does not contain")
        for token in TICKED.findall(line):
            token = token.rstrip(".,:;)")
            first = token.split("/", 1)[0]
            if "/" not in token or first not in top_dirs or any(c in token for c in "<>{}*$…?=|"):
                continue
            if not exists(root, token, tracked):
                out.append(f"{name}:{n}: names {token}, which the repository does not contain")
    return out


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../.."))
    top_dirs = {d for d in os.listdir(root)
                if os.path.isdir(os.path.join(root, d)) and not d.startswith((".", "build"))}
    problems, checked = [], 0
    tracked = tracked_paths(root)
    for path in documents(root):
        checked += 1
        problems += problems_in(root, path, top_dirs, tracked)
    # Source comments may cite the design notes only where they are: docs/design.md.
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith((".", "build"))]
        for f in files:
            if f.endswith((".cpp", ".hpp", ".py", ".sh", ".txt", ".cmake")):
                p = os.path.join(folder, f)
                for n, line in enumerate(open(p, encoding="utf-8", errors="replace"), 1):
                    if re.search(r"\b(DESIGN|STYLE|STACK)(\.md| §)", line) and p != os.path.abspath(__file__):
                        problems.append(f"{os.path.relpath(p, root)}:{n}: cites a design document outside "
                                        "the repository; cite docs/design.md or docs/style.md")
    for p in problems:
        print(p)
    print(f"{checked} documents checked: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
