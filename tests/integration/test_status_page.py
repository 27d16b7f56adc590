"""The status page (GET /) in headless Chromium (Debian's chromium): rendered, not blank, and the
texts an operator looks for are there — NFR states, probes, failures, charts, suite runs."""
import json
import os
import shutil
import struct
import subprocess
import sys
import unittest
import urllib.request
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from harness import DaemonTestCase, http, wait_until  # noqa: E402

CHROMIUM = shutil.which("chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB/RGBA PNG, decoded with zlib only."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), (depth, color)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


@unittest.skipIf(CHROMIUM is None, "chromium missing: run scripts/install-deps.sh")
class StatusPageTest(DaemonTestCase):
    def test_status_page_in_headless_chromium(self):
        tb = self.start_testbed()
        state = os.path.join(self.tmp.name, "state")
        cfg = self.write_config(f"""daemon: {{ windows: [1m], eval_interval: 1s, state_dir: {state} }}
targets:
  backend: {{ url: "{tb.url}" }}
  nowhere: {{ url: "http://127.0.0.1:9" }}
probes:
  - {{ name: api_agents, kind: http, target: backend, interval: 1s, timeout: 1s, http: {{ path: /api/agents }} }}
  - {{ name: broken_api, kind: http, target: nowhere, interval: 1s, timeout: 500ms }}
nfrs:
  - {{ name: api_p95, probe: api_agents, phase: total, stat: p95, window: 1m, op: "<", threshold: 1s }}
  - {{ name: broken_errors, probe: broken_api, stat: error_rate, window: 1m, op: "<", threshold: 5% }}
""")
        d = self.start_daemon(cfg)
        status, body = http("POST", d.url + "/run-suite", '{"profile": "quick"}')
        self.assertEqual(status, 202, body)
        run_id = json.loads(body)["id"]
        wait_until(lambda: json.loads(http("GET", f"{d.url}/runs/{run_id}")[1])["state"] == "failed", 60,
                   "the suite run (broken_api fails it)")

        def charted():
            status, html = http("GET", d.url + "/")
            return html if status == 200 and html.count("<polyline") >= 1 and "firing" in html else None
        wait_until(charted, 30, "a chart and a firing NFR on the status page")
        with urllib.request.urlopen(d.url + "/") as r:
            self.assertTrue(r.headers["Content-Type"].startswith("text/html"), r.headers["Content-Type"])

        profile = os.path.join(self.tmp.name, "chromium")
        dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", d.url + "/"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(dom.returncode, 0, dom.stderr[-2000:])
        for text in ("reznet-perfd", "api_p95", "broken_errors", "firing", "api_agents", "broken_api",
                     "Recent failures", "connect", "Latency per probe", "Suite runs", run_id, "/metrics"):
            self.assertIn(text, dom.stdout)

        shot = os.environ.get("REZNET_STATUS_SCREENSHOT") or os.path.join(self.tmp.name, "status.png")
        r = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1600",
                            f"--screenshot={shot}", d.url + "/"], capture_output=True, text=True, timeout=60)
        self.assertTrue(os.path.exists(shot), r.stderr[-2000:])
        width, height, channels, rows = png_pixels(shot)
        self.assertEqual((width, height), (1280, 1600))
        # Not blank: a good share of pixels differ from the page background, in several colours.
        background = rows[-1][:3]
        colours, differing, total = set(), 0, 0
        for row in rows[::8]:
            for x in range(0, width * channels, channels * 8):
                px = row[x:x + 3]
                total += 1
                if px != background:
                    differing += 1
                    colours.add(px)
        self.assertGreater(differing / total, 0.02, "the screenshot is (nearly) blank")
        self.assertGreater(len(colours), 20, "the screenshot has almost no colours")


if __name__ == "__main__":
    unittest.main(verbosity=2)
