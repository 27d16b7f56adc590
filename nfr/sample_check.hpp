#pragma once
// Rules that can never gather the samples their statistic needs (issue #26), for check-config
// and the daemon's start-up log: a warning each, with file:line and what would work instead.
//
// A suite verdict needs the side of its 95 % interval that decides it (stats/interval.hpp): a
// rule "p99 < 10 ms" is met only once the p99 has an upper bound, which takes 299 samples; an
// error-rate rule "< 5 %" only once a clean run's Wilson upper bound is under 5 %, 73 runs. A
// profile gathers at most its entry's max_samples runs (times the samples one run records of the
// rule's phase, KindSettings::SamplesPerRun); fewer, and the verdict stays inconclusive whatever
// the target does. A continuous rule only has to show a breach (it is ok until then): it gathers
// (window / interval) runs, and warns when that is too few for the breach side of the interval
// (the p50 needs 5) or below its min_samples (it would stay collecting).

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace reznet::nfr {

// Samples a suite verdict on `rule` needs before the side that shows the promise kept is bounded;
// 0 when any count will do (max, ratios, means) or the rule judges by regression.
std::uint64_t SamplesNeeded(const config::NfrRule& rule);
// Samples a continuous rule needs before the side that shows the promise broken is bounded.
std::uint64_t SamplesToBreach(const config::NfrRule& rule);

// "file:line: nfrs.api_p99: warning: …" for every rule (and suite profile entry) that cannot
// gather SamplesNeeded; empty when all can.
std::vector<std::string> SampleWarnings(const config::Config& config);

}  // namespace reznet::nfr
