#!/usr/bin/env python3
"""The rooms and their direction (issue #12, docs/design.md §1).

Configures the project into a scratch directory with CMake's file API, reads every target of
ours (its folder, its link dependencies) and every `#include "room/..."` in the sources, and
fails when a room reaches a room above it, or when a folder holds more than one library (the
probes folder holds the interface library plus the one that lists every kind; each kind has
its own folder). Also fails on a unit test file of a room not named after the file it tests, beside
it (docs/style.md, Layout and build 4). Usage: test_layout.py SOURCE_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

# Lowest first: a room may use the rooms before it, never one after it.
ORDER = ["common", "config", "stats", "clients", "probes", "nfr", "telemetry", "suite", "api",
         "daemon"]
# Rooms outside the daemon's stack, with what they may use.
SIDE = {
    "testbed": {"common", "config", "clients"},
    "tests": set(ORDER) | {"tests"},
    "bench": set(ORDER),
}
# A room's unit tests (test binaries, *_test.cpp and the other test suffixes of docs/style.md) may also
# use the shared fixtures in tests/support.
TEST_FILE = re.compile(r"_(?:test|pgtest|redistest|e2e_test)\.cpp$")
# Rooms whose *_test.cpp files are named after the file they test (tests/ holds the arch checks
# and the echo kind: exempt).
NAMED_TEST_ROOMS = ORDER + ["testbed"]
# Folders allowed two libraries, and why.
TWO_LIBRARIES = {"probes": "the interface library and probe_kinds (builtin.cpp lists every kind)"}


def allowed(room, test=False):
    if room in SIDE:
        return SIDE[room] | {room}
    return set(ORDER[: ORDER.index(room) + 1]) | ({"tests"} if test else set())


def is_test_target(t):
    return t["type"] == "EXECUTABLE" and t["name"].endswith("_test")


def room_of(rel_path):
    top = rel_path.split("/", 1)[0]
    return top if top in ORDER or top in SIDE else None


def tested_stem(name, present):
    """The stem of the file that test file `name` is named after (`<stem>_test.cpp`, or
    `<stem>_<aspect>_test.cpp`) when `<stem>.cpp` or `.hpp` is in `present` (its folder), or None."""
    words = name[: -len("_test.cpp")].split("_")
    for n in range(len(words), 0, -1):
        stem = "_".join(words[:n])
        if stem + ".cpp" in present or stem + ".hpp" in present:
            return stem
    return None


def misnamed_tests(src):
    """A problem for each *_test.cpp of the named rooms that is named after no file beside it."""
    out = []
    include = re.compile(r'^\s*#\s*include\s+"([a-z0-9_/]+\.hpp)"')
    for room in NAMED_TEST_ROOMS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(src, room)):
            dirnames.sort()
            folder = os.path.relpath(dirpath, src)
            for name in sorted(filenames):
                if not name.endswith("_test.cpp") or tested_stem(name, set(filenames)):
                    continue
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    beside = sorted({os.path.basename(m.group(1)) for m in map(include.match, f)
                                     if m and os.path.dirname(m.group(1)) == folder})
                stem = name[: -len("_test.cpp")]
                out.append(f"{folder}/{name}: no {stem}.cpp or {stem}.hpp beside it; name a test "
                           "file after the file it tests, beside it: <stem>_test.cpp, or "
                           "<stem>_<aspect>_test.cpp when that file's tests are split by aspect "
                           "(docs/style.md, Layout and build 4)"
                           + (f"; it includes from its folder: {', '.join(beside)}" if beside else ""))
    return out


def codemodel(src):
    build = tempfile.mkdtemp(prefix="reznet-layout-")
    query = os.path.join(build, ".cmake", "api", "v1", "query")
    os.makedirs(query)
    open(os.path.join(query, "codemodel-v2"), "w").close()
    subprocess.run(["cmake", "-S", src, "-B", build, "-G", "Ninja", "-DREZNET_BENCH=OFF"],
                   check=True, stdout=subprocess.DEVNULL)
    reply = os.path.join(build, ".cmake", "api", "v1", "reply")
    index = json.load(open(os.path.join(reply, sorted(
        f for f in os.listdir(reply) if f.startswith("index-"))[-1])))
    model = json.load(open(os.path.join(reply, index["reply"]["codemodel-v2"]["jsonFile"])))
    targets = {}
    for t in model["configurations"][0]["targets"]:
        targets[t["id"]] = json.load(open(os.path.join(reply, t["jsonFile"])))
    return targets


def main():
    src = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    problems = []
    targets = codemodel(src)
    by_id = {tid: t for tid, t in targets.items()}
    libraries_by_folder = {}
    for t in by_id.values():
        folder = t["paths"]["source"]
        room = room_of(folder) if folder != "." else None
        if room is None:
            continue
        if t["type"] == "STATIC_LIBRARY":
            libraries_by_folder.setdefault(folder, []).append(t["name"])
        for dep in t.get("dependencies", []):
            d = by_id.get(dep["id"])
            if d is None:
                continue
            dep_room = room_of(d["paths"]["source"])
            if dep_room and dep_room not in allowed(room, is_test_target(t)):
                problems.append(f"target {t['name']} ({folder}) links {d['name']} "
                                f"({d['paths']['source']}): {room} may not use {dep_room}")
    for folder, libs in sorted(libraries_by_folder.items()):
        if len(libs) > 1 and folder not in TWO_LIBRARIES:
            problems.append(f"{folder}/ holds {len(libs)} libraries ({', '.join(sorted(libs))}); "
                            "one room, one library")
    include = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')
    for dirpath, dirnames, filenames in os.walk(src):
        rel_dir = os.path.relpath(dirpath, src)
        dirnames[:] = [d for d in dirnames if not d.startswith(("build", ".")) and d != "node_modules"]
        room = room_of(rel_dir) if rel_dir != "." else None
        if room is None:
            continue
        for name in filenames:
            if not name.endswith((".cpp", ".hpp")):
                continue
            path = os.path.join(dirpath, name)
            for lineno, line in enumerate(open(path, encoding="utf-8"), 1):
                m = include.match(line)
                test = bool(TEST_FILE.search(name))
                if m and room_of(m.group(1)) and m.group(1) not in allowed(room, test):
                    problems.append(f"{os.path.relpath(path, src)}:{lineno}: includes "
                                    f"{m.group(1)}/ — {room} may not use {m.group(1)}")
    misnamed = misnamed_tests(src)
    problems += misnamed
    for p in problems:
        print(p)
    print(f"test files of {', '.join(NAMED_TEST_ROOMS)} named after the file they test: "
          f"{len(misnamed)} problem(s)")
    print(f"{len(by_id)} targets checked against the order {' < '.join(ORDER)}: "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
