#!/usr/bin/env python3
"""Line and branch coverage per room, from gcovr's JSON summary (scripts/test.sh --coverage).

  python3 scripts/coverage_rooms.py coverage/summary.json

A room is a top-level folder (common/, config/, …); test files are not counted (gcovr's
--exclude). Prints one line per room and the total, as a Markdown table.
"""
import json
import sys


def main(path):
    with open(path) as f:
        summary = json.load(f)
    rooms = {}
    for entry in summary["files"]:
        room = entry["filename"].split("/", 1)[0]
        r = rooms.setdefault(room, [0, 0, 0, 0])
        r[0] += entry["line_covered"]
        r[1] += entry["line_total"]
        r[2] += entry["branch_covered"]
        r[3] += entry["branch_total"]
    if not rooms:
        sys.exit(f"{path}: no files; did the coverage build run its tests?")

    def pct(a, b):
        return f"{100.0 * a / b:.1f} %" if b else "–"

    print("| room | lines | line coverage | branch coverage |")
    print("|---|---:|---:|---:|")
    total = [0, 0, 0, 0]
    for room in sorted(rooms):
        r = rooms[room]
        total = [t + x for t, x in zip(total, r)]
        print(f"| `{room}/` | {r[1]} | {pct(r[0], r[1])} | {pct(r[2], r[3])} |")
    print(f"| all | {total[1]} | {pct(total[0], total[1])} | {pct(total[2], total[3])} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
