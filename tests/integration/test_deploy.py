"""deploy/ and dashboards/ validated offline (no Docker, no cluster, no systemd running): every
YAML parses, Prometheus and Alertmanager accept their configs, the compose file names the whole
stack and only files that exist, the Dockerfile's runtime stage installs every library the built
binaries need, and the Kubernetes config passes reznet-perfd check-config."""
import os
import re
import subprocess
import sys
import unittest

import yaml

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, DaemonTestCase  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
DEPLOY = os.path.join(ROOT, "deploy")


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


class DeployTest(DaemonTestCase):
    def test_every_yaml_parses(self):
        count = 0
        for base in (DEPLOY, os.path.join(ROOT, "dashboards")):
            for dirpath, _, files in os.walk(base):
                for name in files:
                    if name.endswith((".yml", ".yaml")):
                        self.assertTrue(load_all(os.path.join(dirpath, name)), name)
                        count += 1
        self.assertGreaterEqual(count, 10)

    def test_prometheus_and_alertmanager_accept_their_configs(self):
        r = subprocess.run(["promtool", "check", "config", "prometheus/prometheus.yml"], cwd=DEPLOY,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS: 1 rule files found", r.stdout)
        r = subprocess.run(["amtool", "check-config", "alertmanager/alertmanager.yml"], cwd=DEPLOY,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        prom = load_all(os.path.join(DEPLOY, "prometheus/prometheus.yml"))[0]
        jobs = [j["job_name"] for j in prom["scrape_configs"]]
        self.assertIn("reznet-perfd", jobs)  # the job ReznetPerfdDown watches

    def test_compose_names_the_stack_and_existing_files(self):
        compose = load_all(os.path.join(DEPLOY, "docker-compose.yml"))[0]
        services = compose["services"]
        self.assertEqual(set(services),
                         {"perfd", "testbed", "postgres", "redis", "prometheus", "alertmanager", "grafana"})
        build = services["perfd"]["build"]
        self.assertTrue(os.path.isfile(os.path.join(DEPLOY, build["context"], build["dockerfile"])))
        for name, svc in services.items():
            self.assertTrue("image" in svc or "build" in svc, name)
            for volume in svc.get("volumes", []):
                host = volume.split(":")[0]
                if host.startswith((".", "/")):
                    self.assertTrue(os.path.exists(os.path.join(DEPLOY, host)), f"{name}: {host}")
            for dep in svc.get("depends_on", []):
                self.assertIn(dep, services, name)
        env = services["perfd"]["environment"]
        for var in ("REZNET_BACKEND_URL", "REZNET_PG_DSN", "REZNET_REDIS_URL", "REZNET_ALERTMANAGER_URL"):
            self.assertIn(var, env)  # what config/examples/demo.yaml reads

    def test_dockerfile_runtime_stage_has_every_needed_library(self):
        with open(os.path.join(DEPLOY, "Dockerfile")) as f:
            text = f.read()
        stages = re.findall(r"^FROM (\S+)", text, re.M)
        self.assertEqual(stages, ["debian:12", "debian:12-slim"])
        runtime = text.split("FROM debian:12-slim", 1)[1]
        base = {"libc6", "libstdc++6", "libgcc-s1"}
        # The daemon comes from its .deb (Depends from dpkg-shlibdeps: test_package.py); the
        # testbed is copied and needs its libraries named.
        self.assertRegex(runtime, r"apt-get install[^\n]*\n?[^\n]*/tmp/reznet-perfd_\*\.deb")
        for binary in ("reznet-testbed",):
            needed = re.findall(r"NEEDED.*\[(.+)\]", subprocess.run(
                ["readelf", "-d", os.path.join(BIN, binary)], capture_output=True, text=True).stdout)
            self.assertTrue(needed)
            for soname in needed:
                path = re.search(rf"{re.escape(soname)} .*=> (\S+)", subprocess.run(
                    ["ldconfig", "-p"], capture_output=True, text=True).stdout).group(1)
                package = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True,
                                         text=True).stdout.split(":")[0]
                if package not in base:
                    self.assertIn(package, runtime, f"{binary} needs {soname} from {package}")

    def check_k8s_config(self, env):
        """reznet-perfd check-config on config.yaml's ConfigMap, with `env`; its path."""
        kinds = {d["kind"]: d for d in load_all(os.path.join(DEPLOY, "k8s/config.yaml"))}
        self.assertEqual(set(kinds), {"ConfigMap", "Secret"})
        secret_file = os.path.join(self.tmp.name, "pg-password")
        with open(secret_file, "w") as f:
            f.write("x\n")
        config = (kinds["ConfigMap"]["data"]["config.yaml"]
                  .replace("/etc/reznet-perfd/secrets/pg-password", secret_file)
                  .replace("/var/lib/reznet-perfd", os.path.join(self.tmp.name, "state")))
        path = self.write_config(config)
        r = subprocess.run([os.path.join(BIN, "reznet-perfd"), "check-config", "--config", path],
                           capture_output=True, text=True, env={**os.environ, "REZNET_PERFD_TOKEN": "t", **env})
        self.assertEqual(r.returncode, 0, r.stderr)
        return path

    def test_kubernetes_manifests(self):
        docs = load_all(os.path.join(DEPLOY, "k8s/reznet-perfd.yaml"))
        kinds = {d["kind"]: d for d in docs}
        self.assertEqual(set(kinds), {"Deployment", "Service", "PodMonitor"})
        container = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(container["readinessProbe"]["httpGet"]["path"], "/readyz")
        self.assertTrue(container["securityContext"]["readOnlyRootFilesystem"])
        self.assertNotIn("REZNET_SHARDS", [e["name"] for e in container["env"]])  # one daemon runs all
        self.check_k8s_config({})  # the shipped config is valid for this build

    def test_sharded_statefulset(self):
        docs = load_all(os.path.join(DEPLOY, "k8s/sharded/statefulset.yaml"))
        self.assertEqual(sorted(d["kind"] for d in docs), ["PodMonitor", "Service", "Service", "StatefulSet"])
        sts = next(d for d in docs if d["kind"] == "StatefulSet")
        headless = next(d for d in docs if d["kind"] == "Service" and d["spec"].get("clusterIP") == "None")
        self.assertEqual(sts["spec"]["serviceName"], headless["metadata"]["name"])
        pod = sts["spec"]["template"]
        self.assertEqual(headless["spec"]["selector"], pod["metadata"]["labels"])
        container = pod["spec"]["containers"][0]
        shards = next(e["value"] for e in container["env"] if e["name"] == "REZNET_SHARDS")
        self.assertEqual(int(shards), sts["spec"]["replicas"])
        self.assertEqual(int(shards), 3)
        # The same ConfigMap and Secret as the single daemon.
        base = load_all(os.path.join(DEPLOY, "k8s/reznet-perfd.yaml"))
        deployment = next(d for d in base if d["kind"] == "Deployment")["spec"]["template"]["spec"]
        self.assertEqual(pod["spec"]["volumes"], deployment["volumes"])
        monitor = next(d for d in docs if d["kind"] == "PodMonitor")
        self.assertEqual(monitor["spec"]["selector"]["matchLabels"], pod["metadata"]["labels"])
        self.assertIn({"targetLabel": "job", "replacement": "reznet-perfd"},
                      monitor["spec"]["podMetricsEndpoints"][0]["relabelings"])
        # Pod reznet-perfd-shard-2 of the StatefulSet starts as shard 2 of 3 from that config.
        path = self.check_k8s_config({"REZNET_SHARDS": shards})
        d = self.start_daemon(path, {"REZNET_PERFD_TOKEN": "t", "REZNET_SHARDS": shards, "REZNET_SHARD_INDEX": "",
                                     "HOSTNAME": sts["metadata"]["name"] + "-2"})
        d.wait_for_line(r"shard 2 of 3: running \d+ of \d+ scheduled probes")
        # Prometheus accepts the scrape config for the shards, as job reznet-perfd.
        r = subprocess.run(["promtool", "check", "config", "k8s/sharded/prometheus.yml"], cwd=DEPLOY,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        prom = load_all(os.path.join(DEPLOY, "k8s/sharded/prometheus.yml"))[0]
        self.assertEqual([j["job_name"] for j in prom["scrape_configs"]], ["reznet-perfd"])

if __name__ == "__main__":
    unittest.main(verbosity=2)
