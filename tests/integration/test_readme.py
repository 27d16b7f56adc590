"""The README as the operator's guide stays true: every config key the loader reads appears in
its reference, every subcommand it names exists, every file it points at exists, and the two
quick-start commands are there."""
import glob
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


class ReadmeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(ROOT, "README.md")) as f:
            cls.readme = f.read()

    def test_every_config_key_is_in_the_reference(self):
        sources = [f for f in glob.glob(os.path.join(ROOT, "config/*.cpp")) +
                   glob.glob(os.path.join(ROOT, "probes/**/*.cpp"), recursive=True) if not f.endswith("_test.cpp")]
        keys = set()
        for path in sources:
            with open(path) as f:
                keys.update(re.findall(r'\b(?:Read|ReadRatio|Node|Has)\("([a-z_]+)"', f.read()))
        self.assertGreater(len(keys), 80)  # the scan found the config model
        missing = sorted(k for k in keys if not re.search(rf"(?<![\w.]){re.escape(k)}:", self.readme))
        self.assertEqual(missing, [], "config keys the loader reads but the README never shows")

    def test_named_subcommands_and_files_exist(self):
        help_text = subprocess.run([os.path.join(BIN, "reznet-perfd"), "--help"], capture_output=True,
                                   text=True).stdout
        for sub in set(re.findall(r"`reznet-perfd ([a-z-]+)", self.readme)):
            self.assertRegex(help_text, rf"\n\s+{sub}\b", f"README names reznet-perfd {sub}")
        paths = set(re.findall(r"`((?:config|deploy|dashboards|systemd|scripts|bench|tests)/[\w./-]+)`", self.readme))
        self.assertGreater(len(paths), 10)
        for p in paths:
            self.assertTrue(os.path.exists(os.path.join(ROOT, p)), f"README points at {p}")

    def test_quick_start_is_two_commands(self):
        quick = self.readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
        self.assertIn("scripts/demo.sh", quick)
        self.assertIn("scripts/test.sh", quick)
        with open(os.path.join(ROOT, ".ci/run")) as f:
            self.assertIn("scripts/test.sh", f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
