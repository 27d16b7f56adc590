#pragma once
// The one run path shared by the scheduler, `reznet-perfd probe` and suite runs: runs a probe once
// under its deadline and turns every way a run can end into an Outcome. A probe that outlives its
// deadline (+100 ms of slack for its own timeout handling) is cancelled and recorded as
// error "timeout"; an exception escaping the probe is recorded as error "internal". The deadline
// (RunContext::deadline) and the guard that enforces it are on `clock`.

#include <boost/asio/awaitable.hpp>

#include "common/clock.hpp"
#include "probes/probe.hpp"

namespace reznet::probes {

boost::asio::awaitable<probes::Outcome> RunOnce(probes::Probe& probe, probes::Duration timeout,
                                                int samples = 0,
                                                common::Clock& clock = common::SystemClock());

}  // namespace reznet::probes
