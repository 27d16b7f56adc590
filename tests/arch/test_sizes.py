#!/usr/bin/env python3
"""Sizes a newcomer can read (issue #12): no C++ source over 500 lines, no function over 80.

Functions are found by brace matching: a `{` that closes a header with a parameter list and is
not a control statement, namespace, class, struct, enum or initializer opens a body; its length
runs to the matching `}` (lambdas count toward the function that holds them). Table-like code
(one entry per line) is exempt by name below, with the reason. Usage: test_sizes.py SOURCE_DIR
"""
import os
import re
import sys

MAX_FILE = 500
MAX_FUNCTION = 80
# (file, function name): why it may be longer.
TABLE_LIKE = {
}

SKIP_DIRS = {"build", ".git", ".run", "node_modules", "coverage"}
NOT_A_FUNCTION = re.compile(
    r"^\s*(?:}\s*)?(?:if|else|for|while|switch|do|try|catch|namespace|class|struct|enum|union|"
    r"return|case|default)\b|=\s*$|=\s*\{?$|\[[^\]]*\]\s*\([^)]*\)\s*(?:mutable\s*)?(?:->[^{]*)?$")


def strip(line):
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(?:\\.|[^'\\])'", "''", line)
    return line.split("//", 1)[0]


def functions(lines):
    """Yields (name, first line, length) of each function body."""
    header = ""
    depth = 0
    open_at = None  # (depth, name, first line)
    in_block_comment = False
    for i, raw in enumerate(lines, 1):
        line = raw
        if in_block_comment:
            if "*/" not in line:
                continue
            line = line.split("*/", 1)[1]
            in_block_comment = False
        if "/*" in line and "*/" not in line.split("/*", 1)[1]:
            line = line.split("/*", 1)[0]
            in_block_comment = True
        line = strip(line)
        if line.lstrip().startswith("#"):
            continue
        for ch in line:
            if ch == "{":
                h = header.strip()
                if (open_at is None and "(" in h and h.endswith((")", "const", "override", "noexcept",
                                                                "mutable", "final"))
                        or open_at is None and re.search(r"\)\s*(?:const\s*)?(?:noexcept\s*)?->\s*[\w:<>, ]+$", h)
                        or open_at is None and re.search(r"\)\s*:\s*.*\)$", h)):
                    if not NOT_A_FUNCTION.search(h):
                        m = re.search(r"([\w:~]+)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)[^()]*$", h)
                        name = m.group(1) if m else h[:40]
                        open_at = (depth, name, i)
                depth += 1
                header = ""
            elif ch == "}":
                depth -= 1
                if open_at is not None and depth == open_at[0]:
                    yield open_at[1], open_at[2], i - open_at[2] + 1
                    open_at = None
                header = ""
            elif ch == ";":
                header = ""
            else:
                header += ch
        header += " "


def main():
    src = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    problems = []
    checked = 0
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith("build")]
        for name in sorted(filenames):
            if not name.endswith((".cpp", ".hpp")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, src)
            lines = open(path, encoding="utf-8").read().split("\n")
            checked += 1
            if len(lines) > MAX_FILE:
                problems.append(f"{rel}: {len(lines)} lines (at most {MAX_FILE}); split it by job")
            for fn, first, length in functions(lines):
                if length > MAX_FUNCTION and (rel, fn) not in TABLE_LIKE:
                    problems.append(f"{rel}:{first}: {fn} is {length} lines (at most {MAX_FUNCTION})")
    for p in problems:
        print(p)
    print(f"{checked} C++ files checked: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
