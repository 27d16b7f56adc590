// Loader tests. The probe kinds live in probes/; here a minimal "echo" kind stands in for the
// plug-in point (the real http kind's config is tested in probes/).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "config/loader.hpp"

namespace reznet::config {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct EchoSettings : KindSettings {
  std::string word;
};

KindTraitsMap Kinds() {
  KindTraits echo;
  echo.name = "echo";
  echo.parse = [](MapReader& r, const TargetConfig*, const ProbeConfig&) {
    auto s = std::make_shared<EchoSettings>();
    r.Read("word", s->word, true);
    std::string other;  // another target, looked up by name like a cache probe's db_target
    if (r.Read("other", other) && !other.empty() && r.FindTarget(other) == nullptr)
      r.diag().Error(r.MarkOf("other"), r.PathOf("other"), "no target \"" + other + "\"");
    return std::shared_ptr<const KindSettings>(s);
  };
  echo.phases = {"total", "step:*"};
  echo.ratios = {{"hit_ratio", "reznet_perf_cache_hit_ratio"}};
  echo.chart_phase = "total";
  return {{"echo", echo}};
}

std::vector<std::string> ErrorsOf(const std::string& yaml) {
  try {
    LoadString(yaml, "t.yaml", Kinds());
  } catch (const ConfigError& e) {
    return e.errors();
  }
  return {};
}

TEST(Loader, ParsesAValidConfig) {
  auto cfg = LoadString(R"(
daemon:
  listen: 127.0.0.1:0
  windows: [5m, 1m]
  log: { level: debug, format: json }
targets:
  backend: { url: "http://127.0.0.1:8000" }
probes:
  - name: p1
    kind: echo
    target: backend
    interval: 30s
    timeout: 250ms
    echo: { word: hi }
)",
                        "t.yaml", Kinds());
  EXPECT_EQ(cfg.daemon.listen, "127.0.0.1:0");
  EXPECT_THAT(cfg.daemon.windows, ElementsAre(1min, 5min));
  EXPECT_EQ(cfg.daemon.log.format, "json");
  ASSERT_EQ(cfg.probes.size(), 1u);
  EXPECT_EQ(cfg.probes[0].interval, 30s);
  EXPECT_EQ(cfg.probes[0].timeout, 250ms);
  EXPECT_EQ(cfg.probes[0].line, 9);
  auto echo = std::dynamic_pointer_cast<const EchoSettings>(cfg.probes[0].settings);
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->word, "hi");
  EXPECT_EQ(cfg.FindTarget("backend")->url->port, 8000);
}

TEST(Loader, ReportsEveryErrorWithFileLineColumnAndPath) {
  auto errors = ErrorsOf(R"(daemon:
  listen: 127.0.0.1:9478
  eval_intervall: 15s
targets:
  backend: { url: "127.0.0.1:8000" }
probes:
  - name: p1
    kind: echo
    interval: 5
    echo: { word: hi }
  - name: p2
    kind: nope
    timeout: 20s
)");
  EXPECT_THAT(
      errors,
      ElementsAre(
          "t.yaml:3:3: daemon.eval_intervall: unknown key \"eval_intervall\"; did you mean "
          "\"eval_interval\"?",
          "t.yaml:5:19: targets.backend.url: expected a URL like \"http://127.0.0.1:8000\", got "
          "\"127.0.0.1:8000\" (missing scheme)",
          "t.yaml:9:15: probes[0].interval: expected a duration like \"250ms\", \"5s\" or \"2m\", "
          "got \"5\" (missing unit: ns, us, ms, s, m, h)",
          "t.yaml:13:14: probes[1].timeout: timeout 20s is longer than interval 15s; a run must "
          "end before the next is due: lower timeout or raise interval",
          "t.yaml:12:11: probes[1].kind: unknown probe kind \"nope\"; this build knows: echo"));
}

TEST(Loader, RejectsDuplicateKeysAndNames) {
  auto errors = ErrorsOf(R"(probes:
  - name: a
    kind: echo
    kind: echo
    echo: { word: x }
  - name: a
    kind: echo
    echo: { word: y }
)");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "t.yaml:4:5: probes[0].kind: duplicate key \"kind\"; keep only one");
  EXPECT_EQ(
      errors[1],
      "t.yaml:6:11: probes[1].name: another probe is already named \"a\"; names must be unique");
}

TEST(Loader, UnsetVariableIsNamed) {
  unsetenv("REZNET_TEST_SURELY_UNSET");
  auto errors = ErrorsOf(R"(targets:
  llm: { url: "http://x", api_key: "${REZNET_TEST_SURELY_UNSET}" }
)");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("t.yaml:2:36: targets.llm.api_key: environment variable "
                                   "REZNET_TEST_SURELY_UNSET is not set"));
}

TEST(Loader, MissingRequiredKeysAndUnknownTarget) {
  auto errors = ErrorsOf(R"(probes:
  - kind: echo
    target: nowhere
    echo: {}
)");
  EXPECT_THAT(errors,
              ElementsAre("t.yaml:2:5: probes[0].name: missing; this key is required",
                          "t.yaml:3:13: probes[0].target: no target named \"nowhere\" under "
                          "targets: (none defined)",
                          "t.yaml:4:11: probes[0].echo.word: missing; this key is required"));
}

TEST(Loader, SyntaxErrorHasLine) {
  auto errors = ErrorsOf("probes:\n  - name: [unclosed\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("t.yaml:3:1: YAML syntax error"));
}

TEST(Loader, TopLevelLoadSectionSaysWhereItGoes) {
  auto errors = ErrorsOf("load: {}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "t.yaml:1:7: load: load tests are probes of kind load: move this block under probes: "
            "as - { name: load_flow, kind: load, target: backend, load: { users: 100, … } }");
}

TEST(Loader, BadLogLevelAndWindow) {
  auto errors = ErrorsOf("daemon:\n  windows: [1s]\n  log: { level: loud }\n");
  EXPECT_THAT(errors,
              ElementsAre("t.yaml:2:13: daemon.windows[0]: a window must be between 10s and 24h",
                          "t.yaml:2:12: daemon.windows: at least one window, like [1m, 5m, 1h]",
                          "t.yaml:3:17: daemon.log.level: \"loud\" is not a level; write trace, "
                          "debug, info, warn or error"));
}

TEST(Loader, OverloadThresholds) {
  const auto o =
      LoadString("daemon: { overload: { cpu_pressure: 70%, self_probe: 250ms, lateness: 2s } }",
                 "t.yaml", Kinds())
          .daemon.overload;
  EXPECT_EQ(o, (OverloadConfig{0.7, 250ms, 2s}));
  EXPECT_THAT(
      ErrorsOf("daemon: { overload: { cpu_pressure: 150%, self_probe: 10s, lateness: 1ms } }"),
      ElementsAre("t.yaml:1:37: daemon.overload.cpu_pressure: ratio \"150%\" is outside 0%..100%",
                  "t.yaml:1:55: daemon.overload.self_probe: must be between 1ms and 4s",
                  "t.yaml:1:70: daemon.overload.lateness: must be 10ms or more"));
}

TEST(Loader, PasswordFromFile) {
  const std::string path = ::testing::TempDir() + "/reznet-pw";
  { std::ofstream(path) << "s3cret\n"; }
  auto cfg = LoadString("targets:\n  db: { dsn: \"host=x\", password_file: \"" + path + "\" }\n",
                        "t.yaml", Kinds());
  EXPECT_EQ(cfg.FindTarget("db")->password, "s3cret");
  auto errors = ErrorsOf(
      "targets:\n  db: { dsn: \"host=x\", password: a, password_file: /nonexistent/pw }\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "t.yaml:2:52: targets.db.password_file: write password or password_file, not both");
}

TEST(Loader, TlsAndBasicUsers) {
  const std::string dir = ::testing::TempDir();
  {
    std::ofstream(dir + "/c.pem")
        << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  }
  {
    std::ofstream(dir + "/k.pem")
        << "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
  }
  const std::string hash = "$2y$10$" + std::string(53, 'a');
  auto cfg = LoadString("daemon:\n  tls: { cert_file: " + dir + "/c.pem, key_file: " + dir +
                            "/k.pem, client_ca_file: " + dir +
                            "/c.pem, min_version: TLS13 }\n  auth:\n    basic_users: { prom: \"" +
                            hash + "\" }\n",
                        "t.yaml", Kinds());
  EXPECT_TRUE(cfg.daemon.tls.enabled());
  EXPECT_EQ(cfg.daemon.tls.line, 2);
  EXPECT_EQ(cfg.daemon.tls.client_ca_file, dir + "/c.pem");
  EXPECT_EQ(cfg.daemon.tls.min_version, "TLS13");
  EXPECT_EQ(cfg.daemon.basic_users.at("prom"), hash);
  EXPECT_FALSE(LoadString("daemon: {}\n", "t.yaml", Kinds()).daemon.tls.enabled());

  auto errors =
      ErrorsOf("daemon:\n  tls:\n    cert_file: /nonexistent/c.pem\n    key_file: " + dir +
               "/c.pem\n    min_version: TLS11\n    client_auth_type: "
               "RequireAnyClientCert\n  auth:\n    basic_users: { prom: plain, \"a:b\": \"" +
               hash + "\" }\n");
  EXPECT_THAT(
      errors,
      ElementsAre("t.yaml:8:40: daemon.auth.basic_users: \"a:b\" is not a user name: it must be "
                  "non-empty, without ':'",
                  "t.yaml:8:26: daemon.auth.basic_users.prom: expected a bcrypt hash starting "
                  "with $2y$, $2b$ or $2a$; make one with `reznet-perfd hash-password --cost 10`",
                  "t.yaml:3:16: daemon.tls.cert_file: cannot read \"/nonexistent/c.pem\"",
                  "t.yaml:4:15: daemon.tls.key_file: \"" + dir +
                      "/c.pem\" holds no PEM PRIVATE KEY (-----BEGIN …PRIVATE KEY-----)",
                  "t.yaml:5:18: daemon.tls.min_version: \"TLS11\" is not a version; write TLS12 "
                  "or TLS13",
                  "t.yaml:6:23: daemon.tls.client_auth_type: \"RequireAnyClientCert\": without "
                  "client_ca_file the client auth type is NoClientCert"));
  EXPECT_THAT(ErrorsOf("daemon:\n  tls: { key_file: " + dir + "/k.pem }\n"),
              ElementsAre("t.yaml:2:8: daemon.tls.cert_file: missing; this key is required"));
}

const char* kNfrBase = R"(daemon: { windows: [1m, 5m] }
targets:
  t: { url: "http://127.0.0.1:1" }
probes:
  - { name: api, kind: echo, target: t, echo: { word: x } }
nfrs:
)";

TEST(Nfrs, ParsesThresholdAndRegressionRules) {
  auto cfg = LoadString(
      std::string(kNfrBase) +
          R"(  - { name: api_p95, probe: api, phase: total, stat: p95, window: 5m, op: "<", threshold: 1s, clear_threshold: 800ms, for: 1m, min_samples: 5, labels: { team: web }, annotations: { summary: "p95 {{value}}" } }
  - { name: errors, probe: api, stat: error_rate, window: 1m, op: "<", threshold: 5% }
  - { name: hits, probe: api, phase: hit_ratio, stat: ratio, window: 1m, op: ">", threshold: "60%" }
  - { name: slower, kind: regression, probe: api, phase: "step:login", stat: p50, window: 5m, baseline: 200ms }
)",
      "t.yaml", Kinds());
  ASSERT_EQ(cfg.nfrs.size(), 4u);
  EXPECT_DOUBLE_EQ(cfg.nfrs[0].threshold, 1.0);
  EXPECT_DOUBLE_EQ(*cfg.nfrs[0].clear_threshold, 0.8);
  EXPECT_EQ(cfg.nfrs[0].for_, 1min);
  EXPECT_EQ(cfg.nfrs[0].line, 7);
  EXPECT_DOUBLE_EQ(cfg.nfrs[1].threshold, 0.05);
  EXPECT_DOUBLE_EQ(cfg.nfrs[2].threshold, 0.6);
  EXPECT_TRUE(cfg.nfrs[3].regression);
  EXPECT_DOUBLE_EQ(cfg.nfrs[3].threshold, 0.2 * 1.1);  // baseline + 10 % tolerance
  EXPECT_TRUE(cfg.nfrs[3].Met(0.21, cfg.nfrs[3].threshold));
  EXPECT_FALSE(cfg.nfrs[3].Met(0.23, cfg.nfrs[3].threshold));
}

// A regression must exceed both the tolerance and min_change (default 1 ms for latencies).
TEST(Nfrs, RegressionThresholdHasAnAbsoluteFloor) {
  auto cfg = LoadString(
      std::string(kNfrBase) +
          R"(  - { name: tiny, kind: regression, probe: api, phase: total, stat: p95, window: 5m, baseline: 260us }
  - { name: set, kind: regression, probe: api, phase: total, stat: p95, window: 5m, baseline: 2ms, min_change: 5ms }
  - { name: off, kind: regression, probe: api, phase: total, stat: p95, window: 5m, baseline: 260us, min_change: 0s }
)",
      "t.yaml", Kinds());
  ASSERT_EQ(cfg.nfrs.size(), 3u);
  EXPECT_DOUBLE_EQ(cfg.nfrs[0].threshold, 0.00026 + 0.001);  // 1 ms beats 10 % of 260 µs
  EXPECT_DOUBLE_EQ(cfg.nfrs[1].threshold, 0.007);
  EXPECT_DOUBLE_EQ(cfg.nfrs[2].threshold, 0.00026 * 1.1);
  EXPECT_THAT(
      ErrorsOf(
          std::string(kNfrBase) +
          R"(  - { name: neg, kind: regression, probe: api, phase: total, stat: p95, window: 5m, baseline: 2ms, min_change: -1ms }
)"),
      ElementsAre(HasSubstr("nfrs[0].min_change")));
}

TEST(Nfrs, UnknownProbePhaseWindowAreErrorsWithLines) {
  auto errors = ErrorsOf(
      std::string(kNfrBase) +
      R"(  - { name: a, probe: nope, phase: total, stat: p95, window: 5m, op: "<", threshold: 1s }
  - { name: b, probe: api, phase: ttft, stat: p95, window: 5m, op: "<", threshold: 1s }
  - { name: c, probe: api, phase: total, stat: p95, window: 1h, op: "<", threshold: 1s }
  - { name: d, probe: api, phase: total, stat: p95, window: 5m, op: "<", threshold: 60% }
  - { name: e, probe: api, phase: total, stat: p95, window: 5m, op: "<", threshold: 1s, clear_threshold: 2s }
  - { name: f, kind: regression, probe: api, phase: total, stat: p95, window: 5m, baseline_runs: 5, baseline: 1s }
)");
  EXPECT_THAT(errors,
              ElementsAre("t.yaml:7:23: nfrs[0].probe: no probe named \"nope\" under probes:",
                          "t.yaml:8:35: nfrs[1].phase: probe \"api\" (kind echo) has no phase "
                          "\"ttft\"; it has: total, step:*",
                          "t.yaml:9:61: nfrs[2].window: 1h is not one of daemon.windows (1m, 5m)",
                          "t.yaml:10:85: nfrs[3].threshold: expected a duration like \"250ms\", "
                          "\"5s\" or \"2m\", got \"60%\" (stat p95 is a latency)",
                          "t.yaml:11:106: nfrs[4].clear_threshold: must lie on the met side of "
                          "threshold (for \"< 1s\" a clear_threshold below it)",
                          "t.yaml:12:98: nfrs[5].baseline_runs: write baseline: (pinned) or "
                          "baseline_runs: (median of past suite runs), not both"));
}

TEST(Suites, ConfiguredProfilesAndDefaults) {
  auto ok = LoadString(R"(daemon: { windows: [1m, 5m] }
targets: { t: { url: "http://127.0.0.1:1" } }
probes:
  - { name: api, kind: echo, target: t, echo: { word: x } }
  - { name: api2, kind: echo, target: t, echo: { word: y } }
nfrs:
  - { name: api_p95, probe: api, phase: total, stat: p95, window: 5m, op: "<", threshold: 1s }
  - { name: api_base, kind: regression, probe: api2, phase: total, stat: p95, window: 5m, baseline_runs: 3, significance: 0.01 }
suites:
  smoke: { probes: [api, { probe: api2, samples: 7 }], samples: 4, nfrs: [api_p95] }
  quick: { probes: [api2] }
history: { tolerance: 20%, significance: 10% }
)",
                       "t.yaml", Kinds());
  EXPECT_EQ(ok.nfrs[1].baseline_runs, 3);
  EXPECT_FALSE(ok.nfrs[1].reference);
  EXPECT_DOUBLE_EQ(ok.history.tolerance, 0.2);
  EXPECT_DOUBLE_EQ(ok.history.significance, 0.1);
  EXPECT_DOUBLE_EQ(*ok.nfrs[1].significance, 0.01);
  EXPECT_FALSE(ok.nfrs[0].significance);
  EXPECT_EQ(ok.history.store, "file");
  auto profiles = ResolveProfiles(ok);
  ASSERT_EQ(profiles.count("smoke"), 1u);
  const auto& smoke = profiles["smoke"];
  ASSERT_EQ(smoke.probes.size(), 2u);
  EXPECT_EQ(smoke.probes[0].probe, "api");
  EXPECT_EQ(smoke.probes[0].samples, 4);  // the profile's samples
  EXPECT_EQ(smoke.probes[1].samples, 7);  // the entry's own
  EXPECT_THAT(smoke.nfrs, ElementsAre("api_p95"));
  // quick is replaced by the configured one; it judges every rule over its probes.
  EXPECT_EQ(profiles["quick"].probes.size(), 1u);
  EXPECT_THAT(profiles["quick"].nfrs, ElementsAre("api_base"));
  EXPECT_EQ(profiles["quick"].probes[0].samples, 1);  // echo: no kind default
  // Default full: every probe, every rule.
  EXPECT_EQ(profiles["full"].probes.size(), 2u);
  EXPECT_THAT(profiles["full"].nfrs, ElementsAre("api_p95", "api_base"));
  EXPECT_TRUE(profiles["load"].probes.empty());
}

TEST(Suites, DefaultsFollowTheKindsTraits) {
  KindTraitsMap kinds = Kinds();
  kinds["echo"].profiles = {"quick"};
  kinds["echo"].default_samples = 3;
  KindTraits later = kinds["echo"];
  later.name = "later";
  later.profiles = {"load"};
  later.default_samples = 1;
  later.on_demand = true;
  kinds["later"] = later;
  auto cfg = LoadString(R"(probes:
  - { name: a, kind: echo, echo: { word: x } }
  - { name: b, kind: later, later: { word: y } }
suites:
  smoke: { probes: [a] }
)",
                        "t.yaml", kinds);
  EXPECT_EQ(cfg.probes[0].traits.name, "echo");
  EXPECT_TRUE(cfg.probes[1].traits.on_demand);
  auto profiles = ResolveProfiles(cfg);
  ASSERT_EQ(profiles["quick"].probes.size(), 1u);
  EXPECT_EQ(profiles["quick"].probes[0].probe, "a");
  EXPECT_EQ(profiles["quick"].probes[0].samples, 3);
  EXPECT_TRUE(profiles["standard"].probes.empty());
  ASSERT_EQ(profiles["load"].probes.size(), 1u);
  EXPECT_EQ(profiles["load"].probes[0].probe, "b");
  EXPECT_EQ(profiles["full"].probes.size(), 2u);
  EXPECT_EQ(profiles["smoke"].probes[0].samples, 3);  // a configured entry without samples
}

TEST(Suites, ErrorsSayWhatToWrite) {
  auto errors = ErrorsOf(
      std::string(kNfrBase) +
      R"(  - { name: api_p95, probe: api, phase: total, stat: p95, window: 5m, op: "<", threshold: 1s }
suites:
  a: { probes: [nope, api, api], nfrs: [missing] }
  b: { samples: 3 }
history: { store: sqlite }
)");
  EXPECT_THAT(errors,
              ElementsAre("t.yaml:9:17: suites.a.probes[0]: no probe named \"nope\" under probes:",
                          "t.yaml:9:28: suites.a.probes[2]: probe \"api\" is listed twice",
                          "t.yaml:9:40: suites.a.nfrs: no NFR named \"missing\" under nfrs:",
                          "t.yaml:10:6: suites.b.probes: missing; list the probes this profile "
                          "runs, like [api_health, db]",
                          "t.yaml:11:19: history.store: \"sqlite\" is not a store; write file or "
                          "postgres"));
}

TEST(Suites, HistoryRetention) {
  const std::string base = R"(targets: { t: { url: "http://127.0.0.1:1" } }
probes: [{ name: api, kind: echo, target: t, echo: { word: x } }]
)";
  auto defaults = LoadString(base, "t.yaml", Kinds());
  EXPECT_EQ(defaults.history.keep_runs, 10000);
  EXPECT_EQ(defaults.history.keep_days, 0);
  auto set = LoadString(base + "history: { keep_runs: 50, keep_days: 30 }\n", "t.yaml", Kinds());
  EXPECT_EQ(set.history.keep_runs, 50);
  EXPECT_EQ(set.history.keep_days, 30);
  EXPECT_THAT(ErrorsOf(base + "history: { keep_runs: 0, keep_days: -1 }\n"),
              ElementsAre("t.yaml:3:23: history.keep_runs: must be between 1 and 100000000, got 0",
                          "t.yaml:3:37: history.keep_days: must be between 0 and 100000, got -1"));
  EXPECT_EQ(defaults.history.significance, 0.05);
  EXPECT_THAT(ErrorsOf(base + "history: { significance: 0 }\n"),
              ElementsAre("t.yaml:3:26: history.significance: must lie between 0 and 1 "
                          "(exclusive), e.g. 0.05 or 5%"));
}

// What a reload decides per probe: only the probe's own YAML and the targets it uses count.
Config ReloadConfig(const std::string& a_url, const std::string& c_url, const std::string& d_url,
                    const std::string& word, const std::string& extra_target = "") {
  return LoadString(
      "targets:\n"
      "  a: { url: \"" +
          a_url +
          "\" }\n"
          "  b: { url: \"http://b:1\" }\n"
          "  c: { url: \"" +
          c_url +
          "\" }\n"
          "  d: { url: \"" +
          d_url + "\" }\n" + extra_target +
          "probes:\n"
          "  - { name: pa, kind: echo, target: a, echo: { word: " +
          word +
          " } }\n"
          "  - { name: pb, kind: echo, target: b, echo: { word: w, other: c } }\n",
      "t.yaml", Kinds());
}

bool Unchanged(const Config& before, const Config& after, const std::string& probe) {
  return ProbeUnchanged(before, *before.FindProbe(probe), after, *after.FindProbe(probe));
}

TEST(Reload, OnlyAProbesOwnYamlAndItsTargetsRebuildIt) {
  const auto base = ReloadConfig("http://a:1", "http://c:1", "http://d:1", "w");
  EXPECT_THAT(base.FindProbe("pb")->targets_used, ElementsAre("b", "c"));
  EXPECT_TRUE(Unchanged(base, ReloadConfig("http://a:1", "http://c:1", "http://d:1", "w"), "pa"));
  // An unrelated target changes, or one is added: both probes keep running.
  const auto d_changed = ReloadConfig("http://a:1", "http://c:1", "http://d:2", "w");
  EXPECT_TRUE(Unchanged(base, d_changed, "pa"));
  EXPECT_TRUE(Unchanged(base, d_changed, "pb"));
  const auto added =
      ReloadConfig("http://a:1", "http://c:1", "http://d:1", "w", "  e: { url: \"http://e:1\" }\n");
  EXPECT_TRUE(Unchanged(base, added, "pa"));
  // Its own target changes: rebuilt; the other probe is not.
  const auto a_changed = ReloadConfig("http://a:2", "http://c:1", "http://d:1", "w");
  EXPECT_FALSE(Unchanged(base, a_changed, "pa"));
  EXPECT_TRUE(Unchanged(base, a_changed, "pb"));
  // A target its kind looked up by name (echo.other) changes: rebuilt.
  const auto c_changed = ReloadConfig("http://a:1", "http://c:2", "http://d:1", "w");
  EXPECT_FALSE(Unchanged(base, c_changed, "pb"));
  EXPECT_TRUE(Unchanged(base, c_changed, "pa"));
  // Its own YAML changes: rebuilt.
  EXPECT_FALSE(Unchanged(base, ReloadConfig("http://a:1", "http://c:1", "http://d:1", "x"), "pa"));
}

TEST(Loader, UnknownTargetListsAFewNamesNotAll) {
  std::string yaml = "targets:\n";
  for (int i = 0; i < 30; ++i) yaml += "  t" + std::to_string(i) + ": { url: \"http://h:1\" }\n";
  yaml += "probes:\n  - { name: p, kind: echo, target: nope, echo: { word: w } }\n";
  const auto errors = ErrorsOf(yaml);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("no target named \"nope\" under targets: (defined: t0, t1, "));
  EXPECT_THAT(errors[0], HasSubstr(", and 20 more)"));
}

TEST(Loader, FindProbeUsesTheIndexAndStaysRightForHandEditedConfigs) {
  auto cfg = ReloadConfig("http://a:1", "http://c:1", "http://d:1", "w");
  EXPECT_EQ(cfg.FindProbe("pb"), &cfg.probes[1]);
  cfg.probes.erase(cfg.probes.begin());  // the index now points past the end / at another probe
  EXPECT_EQ(cfg.FindProbe("pb"), &cfg.probes[0]);
  EXPECT_EQ(cfg.FindProbe("pa"), nullptr);
}

TEST(Loader, MissingFile) {
  try {
    LoadFile("/nonexistent/x.yaml", Kinds());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.errors()[0], "/nonexistent/x.yaml: cannot open the config file");
  }
}

}  // namespace
}  // namespace reznet::config
