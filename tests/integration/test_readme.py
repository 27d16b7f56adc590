"""The README and the documents behind it (docs/*.md) stay true: every config key the loader reads
appears in the configuration reference (docs/configuration.md), every key a probe kind reads appears
in that kind's own README.md (its folder), every subcommand they name exists, every file they point
at exists, the README stays short (at most 200 lines), links every document in docs/, and keeps the
two quick-start commands."""
import glob
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
# How a block's keys are read (config/reader.hpp's MapReader, and helpers that take the key:
# clients::ReadStatuses(expect, "status"), agent's ReadPath(r, "reply_field", …)). Not Known():
# it accepts a key only to refuse it with a hint (a top-level `load:`).
KEY_READ = re.compile(r'\b(?:Read\w*|Node|Has|PathOf|MarkOf)\((?:\w+, )?"([a-z_]+)"')
TEST_SOURCE = ("_test.cpp", "_pgtest.cpp", "_redistest.cpp")
CONFIG_REFERENCE = "docs/configuration.md"
README_MAX_LINES = 200


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
