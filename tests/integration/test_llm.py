"""LLM and agent probes end to end against the testbed's provider emulation (exact wire formats,
scripted delays and faults)."""
import json
import os
import statistics
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import DaemonTestCase, http, metric, parse_metrics, wait_until  # noqa: E402


def llm_config(url, timeout="5s", interval="1m", budget="", extra_probe=""):
    return f"""daemon:
  windows: [1m]
targets:
  anthropic: {{ url: "{url}", api_key: "${{TEST_ANTHROPIC_KEY:-}}" }}
  openai: {{ url: "{url}", api_key: "${{TEST_OPENAI_KEY:-}}" }}
  backend: {{ url: "{url}" }}
probes:
  - name: claude
    kind: llm
    target: anthropic
    interval: {interval}
    timeout: {timeout}
    llm: {{ provider: anthropic, model: claude-3-5-haiku-latest, prompt: "Reply with ok.", max_tokens: 64, stream: true {budget} }}
  - name: gpt
    kind: llm
    target: openai
    interval: {interval}
    timeout: {timeout}
    llm: {{ provider: openai, model: gpt-4o-mini, prompt: "Reply with ok.", max_tokens: 64, stream: true }}
  - name: gpt_responses
    kind: llm
    target: openai
    interval: {interval}
    timeout: {timeout}
    llm: {{ provider: openai-responses, model: gpt-4.1-mini, prompt: "Reply with ok.", system: "Be terse.", max_tokens: 64, stream: true }}
  - name: gpt_responses_plain
    kind: llm
    target: openai
    interval: {interval}
    timeout: {timeout}
    llm: {{ provider: openai-responses, model: gpt-4.1-mini, prompt: "Reply with ok.", stream: false }}
  - name: claude_plain
    kind: llm
    target: anthropic
    interval: {interval}
    timeout: {timeout}
    llm: {{ provider: anthropic, model: claude-3-5-haiku-latest, prompt: "Reply with ok.", stream: false }}
  - name: agent_json
    kind: agent
    target: backend
    interval: {interval}
    timeout: {timeout}
    agent: {{ path: /api/agents/1/chat, message: hello }}
  - name: agent_sse
    kind: agent
    target: backend
    interval: {interval}
    timeout: {timeout}
    agent: {{ path: /api/agents/2/chat, message: hello, stream: true }}
{extra_probe}"""


KEYS = {"TEST_ANTHROPIC_KEY": "test-key", "TEST_OPENAI_KEY": "test-key"}


class LlmTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.tb = self.start_testbed()
        self.cfg = self.write_config(llm_config(self.tb.url))

    def faults(self, **llm):
        status, body = http("POST", self.tb.url + "/testbed/faults", json.dumps({"llm": llm}))
        self.assertEqual(status, 200, body)

    def probe(self, name, env=KEYS, cfg=None):
        import subprocess
        r = subprocess.run([os.path.join(os.environ.get("REZNET_BUILD_DIR", "build"), "bin/reznet-perfd"), "probe",
                            "--config", cfg or self.cfg, name], capture_output=True, text=True, timeout=60,
                           env={**os.environ, **env})
        return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None), r.stderr

    def test_scripted_delays_are_measured(self):
        self.faults(ttft_ms=120, token_ms=40, output_tokens=10)
        for name in ("claude", "gpt", "gpt_responses"):
            rc, out, err = self.probe(name)
            self.assertEqual(rc, 0, err + json.dumps(out))
            ph = out["phases"]
            self.assertGreaterEqual(ph["ttft"][0], 0.120)
            self.assertLess(ph["ttft"][0], 0.120 + 0.5)  # generous: shared machine
            self.assertLess(ph["ttfb"][0], ph["ttft"][0])  # message_start / role chunk / response.created at once
            self.assertEqual(len(ph["inter_chunk"]), 9)
            self.assertAlmostEqual(statistics.median(ph["inter_chunk"]), 0.040, delta=0.015)
            self.assertGreaterEqual(ph["total"][0], 0.120 + 9 * 0.040)
            self.assertAlmostEqual(ph["tpot"][0], (ph["total"][0] - ph["ttft"][0]) / 9, delta=1e-6)
            self.assertEqual(out["counters"]["output_tokens"], 10)
            self.assertEqual(out["counters"]["usage_reported"], 1)

    def test_tool_call_first_output_is_ttft(self):
        # The tool call's name goes out at ttft and each argument piece token_ms later: TTFT must
        # be the naming event, not the first arguments (which would add a whole token_ms).
        self.faults(tool_call=True, ttft_ms=100, token_ms=600, output_tokens=4)
        for name in ("claude", "gpt", "gpt_responses"):
            with self.subTest(probe=name):
                rc, out, err = self.probe(name)
                self.assertEqual(rc, 0, err + json.dumps(out))
                ph, counters = out["phases"], out["counters"]
                self.assertGreaterEqual(ph["ttft"][0], 0.100)
                self.assertLess(ph["ttft"][0], 0.100 + 0.500)
                self.assertEqual(counters["chunks"], 4)  # the name + 3 argument pieces
                self.assertEqual(len(ph["inter_chunk"]), 3)
                self.assertGreater(min(ph["inter_chunk"]), 0.500)  # each a whole token_ms (± arrival jitter)
                self.assertEqual(counters["output_tokens"], 4)

    def test_non_streaming_and_agent(self):
        self.faults(ttft_ms=30, token_ms=5, output_tokens=6)
        rc, out, err = self.probe("claude_plain")
        self.assertEqual(rc, 0, err)
        self.assertGreaterEqual(out["phases"]["total"][0], 0.030 + 5 * 0.005)
        self.assertEqual(out["counters"]["output_tokens"], 6)
        rc, out, err = self.probe("gpt_responses_plain")
        self.assertEqual(rc, 0, err + json.dumps(out))
        self.assertEqual(out["counters"]["output_tokens"], 6)
        self.assertEqual(out["counters"]["usage_reported"], 1)
        rc, out, err = self.probe("agent_json")
        self.assertEqual(rc, 0, err + json.dumps(out))
        self.assertGreaterEqual(out["phases"]["total"][0], 0.030)
        rc, out, err = self.probe("agent_sse")
        self.assertEqual(rc, 0, err + json.dumps(out))
        self.assertGreaterEqual(out["phases"]["ttft"][0], 0.030)
        self.assertEqual(len(out["phases"]["inter_chunk"]), 5)
        self.assertEqual(out["counters"]["output_tokens"], 6)

    def test_error_kinds(self):
        cases = [
            (dict(status=429), "claude", "http_429", "rate_limit_error"),
            (dict(status=529), "claude", "overloaded", "overloaded_error"),
            (dict(status=401), "gpt", "http_401", "invalid_api_key"),
            (dict(status=400), "claude", "http_4xx", "invalid_request_error"),
            (dict(status=500), "gpt", "http_5xx", "server_error"),
            (dict(status=0, error_at_chunk=2), "claude", "overloaded", "overloaded_error: injected"),
            (dict(error_at_chunk=2, error_type="server_error"), "gpt", "stream_error", "server_error"),
            (dict(error_at_chunk=-1, cut_at_chunk=3, cut_mode="close"), "claude", "truncated", "closed mid-stream"),
            (dict(cut_at_chunk=3, cut_mode="clean"), "gpt", "truncated", "without data: [DONE] after 3 content"),
            (dict(cut_at_chunk=3, cut_mode="clean"), "agent_sse", "stream_error", "provider stream ended early"),
            (dict(cut_at_chunk=-1, status=429), "gpt_responses", "http_429", "rate_limit_exceeded"),
            (dict(status=0, error_at_chunk=2, error_event="response.failed", error_type="server_error"),
             "gpt_responses", "stream_error", "server_error: injected mid-stream error"),
            (dict(error_event="response.incomplete"), "gpt_responses", "stream_error", "incomplete: content_filter"),
            (dict(error_event="error", error_type="rate_limit_exceeded"), "gpt_responses", "stream_error",
             "rate_limit_exceeded: injected mid-stream error"),
            (dict(error_at_chunk=-1, output_tokens=80), "gpt_responses", "stream_error",
             "incomplete: max_output_tokens"),
            (dict(output_tokens=12, cut_at_chunk=3, cut_mode="clean"), "gpt_responses", "truncated",
             "without response.completed after 3 content"),
        ]
        for faults, probe, kind, detail in cases:
            with self.subTest(probe=probe, faults=faults):
                self.faults(**faults)
                rc, out, err = self.probe(probe)
                self.assertEqual(rc, 1, err)
                self.assertEqual(out["error"]["kind"], kind, json.dumps(out))
                self.assertIn(detail, out["error"]["detail"])

    def test_stalls_become_no_content_or_timeout(self):
        cfg = self.write_config(llm_config(self.tb.url, timeout="600ms"), "short.yaml")
        self.faults(ttft_ms=2000)
        rc, out, _ = self.probe("claude", cfg=cfg)
        self.assertEqual(out["error"]["kind"], "no_first_token")
        self.faults(ttft_ms=10, stall_at_chunk=2, stall_ms=2000)
        rc, out, _ = self.probe("gpt", cfg=cfg)
        self.assertEqual(out["error"]["kind"], "timeout")
        self.assertIn("stream stalled after 2 content events", out["error"]["detail"])

    def test_openai_compatible_variants(self):
        self.faults(comments=True, crlf=True, role_chunk=False, ttft_ms=5, token_ms=1)
        rc, out, err = self.probe("gpt")
        self.assertEqual(rc, 0, err + json.dumps(out))
        self.assertEqual(out["counters"]["output_tokens"], 12)

    def test_missing_key_is_skipped_with_the_variable(self):
        rc, out, _ = self.probe("claude", env={"TEST_ANTHROPIC_KEY": ""})
        self.assertEqual(rc, 3)
        self.assertTrue(out["skipped"])
        self.assertIn("${TEST_ANTHROPIC_KEY:-}", out["skip_reason"])

    def test_daemon_exports_llm_metrics_and_enforces_the_budget(self):
        self.faults(ttft_ms=5, token_ms=1, output_tokens=12)
        cfg = self.write_config(llm_config(self.tb.url, timeout="1s", interval="1s",
                                           budget=", budget: { daily_output_tokens: 20 }"), "daemon.yaml")
        d = self.start_daemon(cfg, extra_env=KEYS)

        def budget_hit():
            m = parse_metrics(self.scrape(d))
            return m if (metric(m, "reznet_perf_probe_runs_total", probe="claude", result="skipped") or 0) >= 1 else None

        m = wait_until(budget_hit, 20, "the budget to skip a run")
        self.assertEqual(metric(m, "reznet_perf_llm_budget_spent_tokens", probe="claude"), 24)
        self.assertEqual(metric(m, "reznet_perf_llm_output_tokens_total", probe="claude", provider="anthropic",
                                model="claude-3-5-haiku-latest"), 24)
        self.assertGreater(metric(m, "reznet_perf_llm_tokens_per_second", probe="gpt", provider="openai"), 0)
        self.assertGreater(metric(m, "reznet_perf_llm_tokens_per_second", probe="gpt_responses",
                                  provider="openai-responses", model="gpt-4.1-mini"), 0)
        self.assertGreater(metric(m, "reznet_perf_probe_window_samples", probe="gpt", phase="inter_chunk",
                                  window="1m"), 0)
        status, body = http("GET", d.url + "/api/v1/status")
        claude = next(p for p in json.loads(body)["probes"] if p["name"] == "claude")
        self.assertIn("budget: 24 of 20 daily output tokens spent", claude["last"]["skip_reason"])
        self.assertNotIn("test-key", self.scrape(d) + body + d.output())


if __name__ == "__main__":
    unittest.main(verbosity=2)
