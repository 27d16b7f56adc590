"""The Debian package and the CI examples (issue #16), checked as a packager and an operator would:
the .deb is built from the test build (`cmake --build build --target package`), then lintian,
its contents and control files, `apt-get install --simulate`, the man page, and the binary
extracted from it checking the installed example config; the CI workflow examples are validated
(action-validator) and every reznet-perfd command and flag they use must exist."""
import glob
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, BUILD_DIR  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
PERFD = os.path.join(BIN, "reznet-perfd")


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def verbs():
    help_text = run(PERFD, "--help").stdout
    return re.findall(r"^  ([a-z][a-z-]+) ", help_text.split("Subcommands:", 1)[1], re.M)


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        r = run("cmake", "--build", BUILD_DIR, "--target", "package")
        if r.returncode != 0:
            raise AssertionError("package target failed:\n" + r.stdout[-3000:] + r.stderr[-3000:])
        arch = run("dpkg", "--print-architecture").stdout.strip()
        version = run(PERFD, "--version").stdout.split()[1]
        cls.deb = os.path.join(BUILD_DIR, f"reznet-perfd_{version}_{arch}.deb")
        if not os.path.exists(cls.deb):
            raise AssertionError(f"no {cls.deb}; built: {glob.glob(os.path.join(BUILD_DIR, '*.deb'))}")
        cls.tmp = tempfile.mkdtemp(prefix="reznet-deb-")
        cls.tree = os.path.join(cls.tmp, "root")
        cls.control = os.path.join(cls.tmp, "DEBIAN")
        subprocess.run(["dpkg-deb", "-x", cls.deb, cls.tree], check=True)
        subprocess.run(["dpkg-deb", "-e", cls.deb, cls.control], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def field(self, name):
        return run("dpkg-deb", "-f", self.deb, name).stdout.strip()

    def test_control_fields_and_computed_depends(self):
        self.assertEqual(self.field("Package"), "reznet-perfd")
        depends = self.field("Depends")
        print(f"\nDepends: {depends}")
        for lib in ("libc6", "libpq5", "libhiredis0.14", "libyaml-cpp0.7", "libssl3"):
            self.assertIn(lib, depends)

    def test_contents_every_file_an_operator_needs_and_no_testbed(self):
        listing = run("dpkg-deb", "--contents", self.deb).stdout
        print("\n" + listing)
        for path in ("./usr/bin/reznet-perfd", "./usr/lib/systemd/system/reznet-perfd.service",
                     "./etc/reznet-perfd/config.yaml", "./etc/reznet-perfd/secrets.env",
                     "./usr/share/reznet-perfd/grafana/reznet-perfd.json",
                     "./usr/share/reznet-perfd/prometheus/prometheus.yml",
                     "./usr/share/reznet-perfd/prometheus/rules.yml",
                     "./usr/share/reznet-perfd/alertmanager/alertmanager.yml",
                     "./usr/share/reznet-perfd/examples/demo.yaml",
                     "./usr/share/man/man1/reznet-perfd.1.gz", "./usr/share/man/man5/reznet-perfd.yaml.5.gz",
                     "./usr/share/doc/reznet-perfd/README.md", "./usr/share/doc/reznet-perfd/docs/design.md",
                     "./usr/share/doc/reznet-perfd/docs/security.md",
                     "./usr/share/doc/reznet-perfd/docs/configuration.md",
                     "./usr/share/doc/reznet-perfd/docs/operations.md",
                     "./usr/share/doc/reznet-perfd/probes/http/README.md",
                     "./usr/share/doc/reznet-perfd/probes/load/README.md",
                     "./usr/share/doc/reznet-perfd/copyright", "./usr/share/doc/reznet-perfd/changelog.gz"):
            self.assertRegex(listing, rf"\s{re.escape(path)}(\n|$)", path)
        self.assertNotIn("reznet-testbed", listing)
        secrets = next(line for line in listing.splitlines() if line.endswith("/secrets.env"))
        self.assertTrue(secrets.startswith("-rw-------"), secrets)

    def test_conffiles_and_maintainer_scripts(self):
        with open(os.path.join(self.control, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/reznet-perfd/config.yaml", "/etc/reznet-perfd/secrets.env"])
        with open(os.path.join(self.control, "postinst")) as f:
            postinst = f.read()
        self.assertIn("deb-systemd-helper enable reznet-perfd.service", postinst)
        self.assertNotRegex(postinst, r"deb-systemd-invoke (start|restart) ", "installed, not started")
        with open(os.path.join(self.control, "postrm")) as f:
            self.assertRegex(f.read(), r'purge[\s\S]*rm -rf /var/lib/reznet-perfd')

    def test_lintian_has_no_errors(self):
        r = run("lintian", "--tag-display-limit", "0", self.deb)
        print(f"\nlintian:\n{r.stdout}{r.stderr}")
        errors = [line for line in r.stdout.splitlines() if line.startswith("E:")]
        self.assertEqual(errors, [])
        # Every warning that stays is listed in the documentation with why (docs/operations.md, "Install").
        docs = ""
        for path in [os.path.join(ROOT, "README.md"), *sorted(glob.glob(os.path.join(ROOT, "docs/*.md")))]:
            with open(path) as f:
                docs += f.read()
        for tag in re.findall(r"^W: reznet-perfd[^:]*: (\S+)", r.stdout, re.M):
            self.assertIn(f"`{tag}`", docs, f"lintian warning {tag} is not explained in README.md or docs/")

    def test_apt_resolves_its_dependencies(self):
        r = run("apt-get", "install", "--simulate", "--no-install-recommends", self.deb)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"Inst reznet-perfd ")

    def test_packaged_binary_checks_the_installed_config(self):
        binary = os.path.join(self.tree, "usr/bin/reznet-perfd")
        r = run(binary, "--version")
        self.assertRegex(r.stdout, r"^reznet-perfd \d+\.\d+\.\d+ \(revision [0-9a-f]+\)")
        state = os.path.join(self.tmp, "state")
        r = run(binary, "check-config", "--config", os.path.join(self.tree, "etc/reznet-perfd/config.yaml"),
                env={**os.environ, "REZNET_STATE_DIR": state}, cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # The production template: no testbed, no fake key; an LLM probe is skipped until its key
        # is set (exit 3), and never reaches the provider without one.
        with open(os.path.join(self.tree, "etc/reznet-perfd/config.yaml")) as f:
            installed = f.read()
        self.assertNotIn("testbed-demo-key", installed)
        self.assertIn('api_key: "${ANTHROPIC_API_KEY:-}"', installed)
        env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
        r = run(binary, "probe", "--config", os.path.join(self.tree, "etc/reznet-perfd/config.yaml"),
                "anthropic_stream", env={**env, "REZNET_STATE_DIR": state}, cwd=self.tmp)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("no API key: target anthropic's api_key (${ANTHROPIC_API_KEY:-}) is empty", r.stdout)
        with open(os.path.join(self.tree, "usr/lib/systemd/system/reznet-perfd.service")) as f:
            self.assertIn("ExecStart=/usr/bin/reznet-perfd serve --config /etc/reznet-perfd/config.yaml", f.read())

    def test_man_page_covers_every_verb_and_is_clean(self):
        page = os.path.join(self.tree, "usr/share/man/man1/reznet-perfd.1.gz")
        with gzip.open(page, "rt") as f:
            text = f.read()
        for verb in verbs():
            self.assertRegex(text, rf"\.SS {re.escape(verb)}\n", verb)
        for section in ("FILES", "EXIT STATUS", "SEE ALSO"):
            self.assertIn(f".SH \"{section}\"", text.replace(f".SH {section}", f".SH \"{section}\""))
        r = run("man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", page, env={**os.environ, "MANWIDTH": "80"})
        self.assertEqual(r.stderr.strip(), "", "man page warnings")
        # Plain ASCII, so a terminal without the glyphs shows no "???"; probe's exit 3 is there.
        self.assertEqual([c for c in text if ord(c) > 127], [])
        self.assertIn("skipped the probe", " ".join(text.split()))
        self.assertIn(".BR reznet-perfd.yaml (5)", text)

    def test_config_reference_man_page(self):
        page = os.path.join(self.tree, "usr/share/man/man5/reznet-perfd.yaml.5.gz")
        with gzip.open(page, "rt") as f:
            text = f.read()
        self.assertEqual([c for c in text if ord(c) > 127], [])
        r = run("man", "--warnings", "-E", "ascii", "-l", "-Tascii", page,
                env={**os.environ, "MANWIDTH": "100", "LANG": "C"})
        self.assertEqual(r.stderr.strip(), "", "man page warnings")
        shown = r.stdout
        # Every key of the configuration reference's tables and examples reaches the page.
        with open(os.path.join(ROOT, "docs/configuration.md")) as f:
            keys = set(re.findall(r"^\s*([a-z_]+):", f.read(), re.M))
        self.assertGreater(len(keys), 60)
        missing = sorted(k for k in keys if f"{k}:" not in shown)
        self.assertEqual(missing, [])


class OtherPrefixTest(unittest.TestCase):
    """A build configured for another install prefix (the default /usr/local) refuses to make a
    package, saying how, instead of making one that installs there while its conffiles say /etc."""

    def test_a_package_from_a_default_prefix_build_is_refused(self):
        with tempfile.TemporaryDirectory(prefix="reznet-prefix-") as tree:
            r = run("cmake", "-S", ROOT, "-B", tree, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("install prefix /usr/local: `cmake --install` installs there; the package "
                          "target refuses", r.stdout)
            r = run("cpack", "-G", "DEB", "--config", os.path.join(tree, "CPackConfig.cmake"), cwd=tree)
            self.assertNotEqual(r.returncode, 0)
            out = " ".join((r.stdout + r.stderr).split())
            self.assertIn("this build is configured for the install prefix /usr/local, and a Debian "
                          "package must install under /usr with its configuration in /etc", out)
            self.assertIn("-DCMAKE_INSTALL_PREFIX=/usr cmake --build build-deb --target package", out)
            self.assertEqual(glob.glob(os.path.join(tree, "*.deb")), [])


class CiExamplesTest(unittest.TestCase):
    FILES = ("deploy/ci/github-actions.yml", "deploy/ci/gitlab-ci.yml")

    def test_github_workflow_is_valid(self):
        validator = shutil.which("action-validator")
        self.assertIsNotNone(validator, "scripts/install-deps.sh installs @action-validator/cli")
        r = run(validator, os.path.join(ROOT, self.FILES[0]))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_every_command_and_flag_exists(self):
        known = set(verbs())
        seen = 0
        for name in self.FILES:
            with open(os.path.join(ROOT, name)) as f:
                text = re.sub(r"\n\s+", " ", f.read())  # folded YAML scalars on one line
            for m in re.finditer(r"\breznet-perfd (--version|[a-z-]+)((?: (?:--?[a-z-]+)(?:[ =][^ -][^ ]*)?)*)", text):
                verb, rest = m.group(1), m.group(2)
                seen += 1
                if verb == "--version":
                    continue
                self.assertIn(verb, known, f"{name}: reznet-perfd {verb}")
                help_text = run(PERFD, verb, "--help").stdout
                for flag in re.findall(r"(--[a-z-]+)", rest):
                    self.assertRegex(help_text, rf"{re.escape(flag)}\b", f"{name}: reznet-perfd {verb} {flag}")
        self.assertGreaterEqual(seen, 6)


if __name__ == "__main__":
    unittest.main(verbosity=2)
