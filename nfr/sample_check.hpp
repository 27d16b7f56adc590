#pragma once
// Rules that can never gather the samples their statistic needs (issue #26), for check-config
// and the daemon's start-up log: a warning each, with file:line and what would work instead.
//
// A verdict needs the side of its 95 % interval that decides it (stats/interval.hpp): a rule
// "p99 < 10 ms" is met only once the p99 has an upper bound, which takes 299 samples; an
// error-rate rule "< 5 %" only once a clean run's Wilson upper bound is under 5 %, 73 runs. A
// continuous rule gathers (window / interval) runs of its probe, times the samples one run
// records of its phase (KindSettings::SamplesPerRun); a suite profile at most its entry's
// max_samples runs. Fewer, and the rule stays ok (continuous: it can never fire) or
// inconclusive (suites) whatever the target does.

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace reznet::nfr {

// Samples a verdict on `rule` needs before its deciding side is bounded; 0 when any count will
// do (max, ratios, means) or the rule judges by regression.
std::uint64_t SamplesNeeded(const config::NfrRule& rule);

// "file:line: nfrs.api_p99: warning: …" for every rule (and suite profile entry) that cannot
// gather SamplesNeeded; empty when all can.
std::vector<std::string> SampleWarnings(const config::Config& config);

}  // namespace reznet::nfr
