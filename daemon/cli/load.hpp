#pragma once
// `reznet-perfd load`: the load test of a `load` probe, from the command line (the RezNet
// script's replacement), and `reznet-perfd load merge` for segment results.
//
// Progress on stderr (a bar with the current request rate and errors on a terminal, a line every
// 5 s otherwise); the results block and the NFR verdicts on stdout; --out FILE.json the mergeable
// results. Verdicts: the config's rules over the load probe, else the RezNet defaults (p95 < 1 s,
// p50 < 200 ms, error rate < 5 %). Exit 0 all met, 1 one failed, 2 usage/config error or no
// request made. An inconclusive verdict (its 95 % interval straddles the threshold) passes with a
// warning line, or fails with --on-inconclusive fail, as `run` does. SIGINT/SIGTERM stop the test
// gracefully and still print what was measured.

#include <string>
#include <vector>

#include "config/config.hpp"
#include "probes/load/load_config.hpp"
#include "probes/probe.hpp"

namespace reznet::daemon {

struct LoadOptions {
  std::string probe;  // empty: the config's only load probe
  probes::load::Overrides overrides;
  std::string out;      // --out FILE.json
  double start_at = 0;  // --start-at UNIX_SECONDS: segments on many machines start together
  bool inconclusive_fails = false;  // --on-inconclusive fail
};

int LoadCli(const config::Config& config, const LoadOptions& options);
// `merge`: `config` may be null (then the default verdicts apply).
int LoadMergeCli(const config::Config* config, const std::vector<std::string>& files,
                 const std::string& out, bool inconclusive_fails);

// "I/N" → (I, N); false when malformed or out of range.
bool ParseSegment(const std::string& text, int& index, int& count);

}  // namespace reznet::daemon
