#!/usr/bin/env python3
"""md2man.py IN.md NAME SECTION TITLE > OUT: a man page from one of docs/*.md, and --ascii: a roff
page on stdin made plain ASCII.

The page is for a plain terminal: every character outside ASCII is written as the ASCII a reader
would type for it ("..." for an ellipsis, "->" for an arrow, "ok"/"FAIL" for the verdict marks),
so that `man` shows no "???" where a locale lacks a glyph. Handles the Markdown docs/ uses:
headings, paragraphs, lists, fenced code, tables (one .TP entry per row), `code`, **bold** and
links (their text)."""
import re
import sys
import unicodedata

ASCII = {
    "…": "...", "—": "--", "–": "-", "−": "-", "≥": ">=", "≤": "<=", "×": "x", "→": "->",
    "←": "<-", "⇄": "<->", "±": "+/-", "§": "section ", "·": "-", "µ": "u", "✓": "ok", "✗": "FAIL",
    "⚠": "(!)", "❌": "[failed]", "°": " deg", "’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " ",
}


def plain(text):
    """`text` in ASCII: the table above, else the character's decomposition without accents."""
    out = []
    for ch in text:
        if ord(ch) < 128:
            out.append(ch)
        elif ch in ASCII:
            out.append(ASCII[ch])
        else:
            base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(base or "?")
    return "".join(out)


def escape(text):
    """Plain text for roff: backslashes doubled, and no line may start with a control character."""
    text = plain(text).replace("\\", "\\e")
    return re.sub(r"^([.'])", r"\\&\1", text, flags=re.M)


def inline(text):
    text = escape(text)
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)             # links: their text
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)
    return text


def cells(row):
    return [c.strip() for c in row.strip().strip("|").split("|")]


def convert(md, name, section, title):
    out = [f'.TH "{name.upper()}" "{section}" "" "reznet-perfd" "{escape(title)}"',
           ".SH NAME", f"{escape(name)} \\- {escape(title)}"]
    lines = md.splitlines()
    i = 0
    para = []

    def flush():
        if para:
            out.append(".PP")
            out.append(inline(" ".join(para)))
            para.clear()

    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            flush()
            out.append(".PP\n.nf\n.RS 2")
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(escape(lines[i]) if lines[i] else "")
                i += 1
            out.append(".RE\n.fi")
        elif re.fullmatch(r"\s*<!--.*-->\s*", line):
            pass  # a note for the tests (<!-- fragment -->), not for the reader
        elif line.startswith("# "):
            flush()  # the title: NAME says it
        elif line.startswith("## "):
            flush()
            out.append(f'.SH "{escape(line[3:].upper())}"')
        elif line.startswith("### "):
            flush()
            out.append(f'.SS "{escape(line[4:])}"')
        elif line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-| :]+\|$", lines[i + 1]):
            flush()
            head = cells(line)
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                row = cells(lines[i])
                out.append(".TP\n" + inline(row[0]))
                out.append(inline("; ".join(f"{h}: {c}" for h, c in zip(head[1:], row[1:]) if c)))
                i += 1
            continue
        elif re.match(r"^\s*[-*] ", line):
            flush()
            out.append(".IP \\(bu 2")
            item = [re.sub(r"^\s*[-*] ", "", line)]
            while i + 1 < len(lines) and lines[i + 1].startswith("  ") and lines[i + 1].strip():
                i += 1
                item.append(lines[i].strip())
            out.append(inline(" ".join(item)))
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--ascii"]:
        sys.stdout.write(plain(sys.stdin.read()))
    else:
        md_path, name, section, title = sys.argv[1:5]
        with open(md_path, encoding="utf-8") as f:
            sys.stdout.write(convert(f.read(), name, section, title))
