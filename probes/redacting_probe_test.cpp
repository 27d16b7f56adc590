// The redacting decorator: what a probe relays from upstream loses its secrets.
#include "probes/redacting_probe.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <string>

#include "config/discovery.hpp"
#include "config/loader.hpp"
#include "config/secrets.hpp"

namespace reznet::probes {
namespace {

TEST(ScrubOutcome, MasksDetailSkipReasonAndNotes) {
  common::Redactor r;
  r.Add("sk-ant-secret");
  Outcome o;
  o.Fail(ErrorKind::kHttp401, "HTTP 401: invalid x-api-key: sk-ant-secret");
  o.skip_reason = "key sk-ant-secret refused";
  o.notes = {{"source", "sk-ant-secret"}, {"plain", "INFO stats"}};
  ScrubOutcome(o, r);
  EXPECT_EQ(o.error->kind, clients::ErrorKind::kHttp401);
  EXPECT_EQ(o.error->detail, "HTTP 401: invalid x-api-key: ***");
  EXPECT_EQ(o.skip_reason, "key *** refused");
  EXPECT_EQ(o.notes[0].second, "***");
  EXPECT_EQ(o.notes[1].second, "INFO stats");
}

// Discovery is linear (issue #24): every probe built from one config holds the config's one
// Redactor, collected once, instead of walking every target to make its own (N probes x N
// targets: 100,000 discovered targets never applied). Counted by owners of the shared object.
TEST(RedactingProbe, ProbesOfOneConfigShareOneRedactorCollectedOnce) {
  ProbeRegistry registry;
  RegisterBuiltinProbes(registry);
  const config::Config loaded = config::LoadString(
      "targets:\n  api: { url: \"http://127.0.0.1:9\", headers: { Authorization: \"Bearer "
      "tok-secret-1\" } }\n"
      "probes:\n  - { name: web, kind: http, target: api, http: { path: /h },\n"
      "      targets_from: { files: [/nonexistent/*.json], max_targets: 1000 } }\n",
      "t.yaml", registry.Kinds());
  std::vector<config::DiscoveredTarget> found;
  for (int i = 0; i < 1000; ++i)
    found.push_back(
        {"10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":80", {}});
  std::map<std::string, config::DiscoveryStats> stats;
  const config::Config cfg = config::ExpandDiscovered(loaded, {{"web", found}}, stats);
  ASSERT_EQ(cfg.probes.size(), 1000u);
  ASSERT_EQ(cfg.targets.size(), 1001u);

  boost::asio::io_context io;
  std::vector<std::unique_ptr<Probe>> built;
  for (const auto& p : cfg.probes)
    built.push_back(registry.Create({p, cfg.FindTarget(p.target), io.get_executor(), {}, &cfg}));
  const auto shared = config::SecretsOf(cfg);
  EXPECT_EQ(shared, config::SecretsOf(cfg));  // the same object: not collected again
  // The cache, `shared` and one per probe: each probe shares it, none holds a copy of its own.
  EXPECT_EQ(shared.use_count(), 2 + 1000);
  EXPECT_TRUE(shared->Contains("Bearer tok-secret-1"));
  built.clear();
  EXPECT_EQ(shared.use_count(), 2);

  // A copy of a config may be edited before use: its secrets are collected for it, afresh.
  config::Config copy = cfg;
  copy.targets["api"].password = "added-later";
  EXPECT_NE(config::SecretsOf(copy), shared);
  EXPECT_TRUE(config::SecretsOf(copy)->Contains("added-later"));
  EXPECT_FALSE(shared->Contains("added-later"));
}

}  // namespace
}  // namespace reznet::probes
