#pragma once
// Outcomes as probes return them, for tests of what consumes them (suites, scheduler, telemetry).

#include <initializer_list>
#include <string>

#include "probes/outcome.hpp"

namespace reznet::testing {

// A successful run with one "total" sample per entry (none: a run that measured nothing).
probes::Outcome Totals(std::initializer_list<probes::Duration> totals);
// A failed run with error `kind` and `detail`, and the same samples.
probes::Outcome Failed(clients::ErrorKind kind, std::string detail,
                       std::initializer_list<probes::Duration> totals = {});

}  // namespace reznet::testing
