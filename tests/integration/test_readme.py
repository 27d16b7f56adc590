"""The README and the documents behind it (docs/*.md) stay true (#27 item 1): every config key the
loader reads appears in the configuration reference (docs/configuration.md) and every key shown there
is read; every key a probe kind reads appears in that kind's own README.md (its folder); every metric
family the daemon exports or its source names is in the metrics reference (docs/metrics.md); every
YAML example in docs/ loads (a whole config) or parses (a block marked `<!-- fragment -->`); the
design's layout table (docs/design.md §1) names exactly the rooms each room's libraries depend on in
CMake; every subcommand the documents name exists, every file they point at exists, the README stays
short (at most 200 lines), links every document in docs/, and keeps the two quick-start commands."""
import glob
import os
import re
import subprocess
import sys
import tempfile
import unittest

import yaml

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Process, http  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
# How a block's keys are read (config/reader.hpp's MapReader, and helpers that take the key:
# clients::ReadStatuses(expect, "status"), agent's ReadPath(r, "reply_field", …)). Not Known():
# it accepts a key only to refuse it with a hint (a top-level `load:`).
KEY_READ = re.compile(r'\b(?:Read\w*|Node|Has|PathOf|MarkOf)\((?:\w+, )?"([a-z_]+)"')
TEST_SOURCE = ("_test.cpp", "_pgtest.cpp", "_redistest.cpp")
CONFIG_REFERENCE = "docs/configuration.md"
METRICS_REFERENCE = "docs/metrics.md"
DESIGN = "docs/design.md"
README_MAX_LINES = 200
# Keys the reference shows that are real but read in a way KEY_READ cannot see, each with where.
READ_UNSEEN = {
    "summary": "config/nfr.cpp ParseNfr: the annotations map's keys, compared one by one",
    "description": "config/nfr.cpp ParseNfr: the annotations map's keys, compared one by one",
    "runbook_url": "config/nfr.cpp ParseNfr: the annotations map's keys, compared one by one",
}
# Maps whose keys are names the user picks (a target, a module, a suite profile, a user, a label,
# a header, an extracted variable), not keys of the config model.
NAME_MAPS = {"targets", "modules", "suites", "basic_users", "labels", "headers", "extract"}
# A fenced YAML block after this comment is a piece of a config (or of another tool's file) by
# design: it must parse, it is not loaded. `<!-- fragment: prometheus.yml -->` names the other
# tool's file; its keys are not the loader's.
FRAGMENT = re.compile(r"<!--\s*fragment(?::\s*([\w.-]+))?\s*-->\s*$")
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)
# Metric family names in string literals of the shipped source (not tests, not the bare prefix).
FAMILY_LITERAL = re.compile(r'"((?:reznet_perf|process)_[a-z0-9_]*[a-z0-9])"')
SOURCE_ROOMS = ("api", "clients", "common", "config", "daemon", "nfr", "probes", "stats", "suite",
                "telemetry")


def keys_read(paths):
    keys = set()
    for path in paths:
        if not path.endswith(TEST_SOURCE):
            with open(path) as f:
                keys.update(KEY_READ.findall(f.read()))
    return keys


def missing_from(keys, text):
    """The keys `text` never shows as `key:` (a YAML example or a table of the block)."""
    return sorted(k for k in keys if not re.search(rf"(?<![\w.]){re.escape(k)}:", text))


def yaml_blocks(text):
    """(line, body, fragment) of every ```yaml block: fragment is None for a block without the
    marker just before it, "" for a fragment of a reznet-perfd config, else the other tool's file."""
    out = []
    for m in YAML_BLOCK.finditer(text):
        marker = FRAGMENT.search(text[:m.start()])
        out.append((text.count("\n", 0, m.start()) + 1, m.group(1),
                    (marker.group(1) or "") if marker else None))
    return out


def model_keys(node, parent=None):
    """Every key of parsed YAML, skipping the names of NAME_MAPS entries (their values' keys count)."""
    keys = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if parent not in NAME_MAPS:
                keys.add(str(k))
            keys |= model_keys(v, None if parent in NAME_MAPS else str(k))
    elif isinstance(node, list):
        for v in node:
            keys |= model_keys(v, parent)
    return keys


def shown_keys(text, kind_names):
    """The keys a config document shows: those of its YAML examples (commented-out ones too,
    `# dsn: …`) and `key:` / `key: value` in its prose. A kind's own block (`http:`) is read by its
    kind name (config/loader.cpp ParseProbe, config/module.cpp)."""
    keys = set()
    for _, body, fragment in yaml_blocks(text):
        if fragment:  # another tool's file
            continue
        keys |= model_keys(yaml.safe_load(body))
        keys.update(re.findall(r"^\s*#\s?([a-z_]+): ", body, re.M))
    prose = YAML_BLOCK.sub("", text)
    keys.update(re.findall(r"`([a-z_]+):(?: [^`]*)?`", prose))
    return keys - set(kind_names) - {"…"}  # `http: { … }`: the block elided


def cmake_room_deps():
    """room → the other rooms its libraries' DEPS name (reznet_library and reznet_probe_kind calls
    in every CMakeLists.txt; a library's room is the top folder of its CMakeLists.txt)."""
    calls = []  # (room, library, deps)
    for cmake in glob.glob(os.path.join(ROOT, "*/**/CMakeLists.txt"), recursive=True):
        room = os.path.relpath(cmake, ROOT).split(os.sep)[0]
        if room.startswith("build"):
            continue
        with open(cmake) as f:
            text = re.sub(r"#.*", "", f.read())
        for m in re.finditer(r"\breznet_(library|probe_kind)\((\w+)([^)]*)\)", text):
            name = m.group(2) if m.group(1) == "library" else "probe_" + m.group(2)
            deps = re.split(r"\b(?:SOURCES|TESTS)\b", m.group(3).split("DEPS", 1)[1])[0] if "DEPS" in m.group(3) else ""
            calls.append((room, name, re.findall(r"reznet::(\w+)", deps)))
    room_of = {name: room for room, name, _ in calls}
    out = {}
    for room, _, deps in calls:
        out.setdefault(room, set()).update(room_of.get(d, "?" + d) for d in deps)
    return {room: deps - {room} for room, deps in out.items()}


def kind_folders():
    """Every probe kind's folder: a probes/ subfolder whose CMakeLists.txt calls reznet_probe_kind,
    and each test-only kind under tests/kinds/."""
    out = []
    for cmake in sorted(glob.glob(os.path.join(ROOT, "probes/*/CMakeLists.txt"))):
        with open(cmake) as f:
            if "reznet_probe_kind(" in f.read():
                out.append(os.path.dirname(cmake))
    return out + sorted(d for d in glob.glob(os.path.join(ROOT, "tests/kinds/*")) if os.path.isdir(d))


class ReadmeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(ROOT, "README.md")) as f:
            cls.readme = f.read()
        cls.docs = {}  # docs/*.md by path from the repository root
        for path in sorted(glob.glob(os.path.join(ROOT, "docs/*.md"))):
            with open(path) as f:
                cls.docs[os.path.relpath(path, ROOT)] = f.read()

    def test_every_config_key_is_in_the_reference(self):
        # The loader's keys (config/) and any key the shared probe code (probes/*.cpp, outside the
        # kinds' folders) reads for every probe: the configuration reference.
        keys = keys_read(glob.glob(os.path.join(ROOT, "config/*.cpp")) +
                         glob.glob(os.path.join(ROOT, "probes/*.cpp")))
        self.assertGreater(len(keys), 60)  # the scan found the config model (82 keys today)
        self.assertIn(CONFIG_REFERENCE, self.docs)
        self.assertEqual(missing_from(keys, self.docs[CONFIG_REFERENCE]), [],
                         f"config keys the loader reads but {CONFIG_REFERENCE} never shows")

    def test_every_key_the_reference_shows_is_read(self):
        # The other direction: a key docs/configuration.md shows (its YAML examples, `key:` in its
        # prose) is one the loader, the shared probe code or a kind reads.
        folders = kind_folders()
        read = keys_read(glob.glob(os.path.join(ROOT, "config/*.cpp")) +
                         glob.glob(os.path.join(ROOT, "probes/*.cpp")) +
                         [p for f in folders for p in glob.glob(os.path.join(f, "**/*.cpp"), recursive=True)])
        shown = shown_keys(self.docs[CONFIG_REFERENCE], [os.path.basename(f) for f in folders])
        self.assertGreater(len(shown), 80)  # the scan found the reference's keys (106 today)
        for key, where in READ_UNSEEN.items():
            self.assertNotIn(key, read, f"{key} is read where the scan sees it: drop it from READ_UNSEEN")
            self.assertTrue(where)
        self.assertEqual(sorted(shown - read - set(READ_UNSEEN)), [],
                         f"keys {CONFIG_REFERENCE} shows but nothing reads (stale, or misspelt)")

    def test_every_yaml_example_loads(self):
        # A block with probes: or targets: at its top is a whole config: check-config must accept
        # it. Any other block says it is a fragment (<!-- fragment --> just before it) and must
        # parse; one with neither is a mistake either way.
        checked = 0
        with tempfile.TemporaryDirectory(prefix="reznet-docs-") as tmp:
            for doc, text in self.docs.items():
                for line, body, fragment in yaml_blocks(text):
                    where = f"{doc}:{line}"
                    with self.subTest(example=where):
                        checked += 1
                        parsed = yaml.safe_load(body)  # a YAML error fails here, naming the block
                        whole = isinstance(parsed, dict) and ("probes" in parsed or "targets" in parsed)
                        if fragment is not None:  # e.g. the reference's block, with its placeholders
                            continue
                        self.assertTrue(whole, f"{where}: neither a whole config (probes: or targets:) "
                                               "nor marked <!-- fragment -->")
                        path = os.path.join(tmp, f"example-{checked}.yaml")
                        with open(path, "w") as f:
                            f.write(body)
                        r = subprocess.run([os.path.join(BIN, "reznet-perfd"), "check-config", "--config", path],
                                           capture_output=True, text=True, timeout=60, cwd=tmp,
                                           env={**os.environ, "REZNET_STATE_DIR": tmp})
                        self.assertEqual(r.returncode, 0, f"{where} does not load:\n{r.stdout}{r.stderr}")
        self.assertGreater(checked, 5)  # the scan found the examples (7 today)

    def test_every_metric_family_is_in_the_reference(self):
        # What the daemon exports on the demo config (its probe target may be closed: failed runs
        # export their families too), and every family name the shipped source spells out
        # (families a kind, a suite run or a load test adds only when it happens).
        exported = set()
        with tempfile.TemporaryDirectory(prefix="reznet-metrics-") as tmp:
            d = Process([os.path.join(BIN, "reznet-perfd"), "serve", "--config",
                         os.path.join(ROOT, "config/examples/demo.yaml"), "--listen", "127.0.0.1:0"],
                        env={"REZNET_STATE_DIR": tmp})
            try:
                status, text = http("GET", d.url + "/metrics")
            finally:
                d.stop()
        self.assertEqual(status, 200)
        exported.update(re.findall(r"^# TYPE (\w+) ", text, re.M))
        self.assertGreater(len(exported), 20)  # the scrape found the families
        named = set()
        for room in SOURCE_ROOMS:
            for path in glob.glob(os.path.join(ROOT, room, "**/*.[ch]pp"), recursive=True):
                if not path.endswith(TEST_SOURCE):
                    with open(path) as f:
                        named.update(FAMILY_LITERAL.findall(f.read()))
        self.assertGreater(len(named), 40)  # the scan found the source's families
        documented = set(re.findall(r"`((?:reznet_perf|process)_\w+)`", self.docs[METRICS_REFERENCE]))
        self.assertEqual(sorted(exported - documented), [], f"families /metrics exports but {METRICS_REFERENCE} never names")
        self.assertEqual(sorted(named - documented), [], f"families the source names but {METRICS_REFERENCE} never names")
        # …and the reference names no family that neither the source nor a scrape knows.
        self.assertEqual(sorted(documented - named - exported), [], f"families {METRICS_REFERENCE} names but nothing exports")

    def test_design_layout_matches_cmake(self):
        # docs/design.md §1: each room's "uses" column is exactly the rooms its libraries' DEPS
        # name, and a room with no library uses none ("—").
        deps = cmake_room_deps()
        self.assertGreater(len(deps), 10)  # the scan found the libraries
        self.assertEqual([d for ds in deps.values() for d in ds if d.startswith("?")], [],
                         "DEPS naming a library no CMakeLists.txt defines")
        section = self.docs[DESIGN].split("## 1. Layout", 1)[1].split("\n## ", 1)[0]
        table = {}
        for row in re.findall(r"^\|(.*)\|\s*$", section, re.M):
            cells = [c.strip() for c in row.split("|")]
            rooms = re.findall(r"`(\w+)/`", cells[0])
            if rooms:
                uses = set() if cells[-1] == "—" else {u.strip() for u in cells[-1].split(",")}
                for room in rooms:
                    table[room] = uses
        self.assertGreater(len(table), 10)  # the scan found the table
        self.assertEqual(sorted(set(deps) - set(table)), [], f"rooms with libraries {DESIGN} §1 leaves out")
        for room, uses in sorted(table.items()):
            with self.subTest(room=room):
                self.assertEqual(sorted(uses), sorted(deps.get(room, set())),
                                 f"{DESIGN} §1: what {room}/ uses, against its CMake DEPS")

    def test_every_kind_key_is_in_its_folder_readme(self):
        folders = kind_folders()
        self.assertGreater(len(folders), 5)  # the scan found the kinds
        for folder in folders:
            name = os.path.relpath(folder, ROOT)
            with self.subTest(kind=name):
                readme = os.path.join(folder, "README.md")
                self.assertTrue(os.path.exists(readme),
                                f"{name} has no README.md documenting the keys of its block")
                keys = keys_read(glob.glob(os.path.join(folder, "**/*.cpp"), recursive=True))
                self.assertTrue(keys, f"the scan found no key {name} reads")  # not vacuous
                with open(readme) as f:
                    self.assertEqual(missing_from(keys, f.read()), [],
                                     f"keys {name} reads but {name}/README.md never shows")

    def test_named_subcommands_and_files_exist(self):
        help_text = subprocess.run([os.path.join(BIN, "reznet-perfd"), "--help"], capture_output=True,
                                   text=True).stdout
        docs = {"README.md": self.readme, **self.docs}
        for folder in kind_folders():
            readme = os.path.join(folder, "README.md")
            if os.path.exists(readme):  # a missing one fails the test above
                with open(readme) as f:
                    docs[os.path.relpath(readme, ROOT)] = f.read()
        for doc, text in docs.items():
            for sub in set(re.findall(r"`reznet-perfd ([a-z-]+)", text)):
                self.assertRegex(help_text, rf"\n\s+{sub}\b", f"{doc} names reznet-perfd {sub}")
        paths = {}  # path → the first document (README.md, docs/*.md) that names it
        for doc in ["README.md", *self.docs]:
            text = docs[doc]
            for p in re.findall(r"`((?:config|deploy|dashboards|systemd|scripts|bench|tests)/[\w./-]+)`", text):
                paths.setdefault(p, doc)
        self.assertGreater(len(paths), 30)  # the scan found the documents' paths (42 today)
        for p, doc in paths.items():
            self.assertTrue(os.path.exists(os.path.join(ROOT, p)), f"{doc} points at {p}")

    def test_readme_is_short_and_links_every_document(self):
        lines = self.readme.count("\n")
        self.assertLessEqual(lines, README_MAX_LINES, "README.md: move detail into docs/ and link it")
        self.assertGreater(len(self.docs), 5)  # the scan found docs/
        linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)(?:#[\w-]*)?\)", self.readme))
        self.assertEqual(sorted(set(self.docs) - linked), [], "documents in docs/ the README does not link")

    def test_quick_start_is_two_commands(self):
        quick = self.readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
        self.assertIn("scripts/demo.sh", quick)
        self.assertIn("scripts/test.sh", quick)
        with open(os.path.join(ROOT, ".ci/run")) as f:
            self.assertIn("scripts/test.sh", f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
