#pragma once
// What the engine settles before a load test starts: its thread count and the descriptors its
// users need.

#include "common/error.hpp"
#include "probes/load/load_config.hpp"

namespace reznet::probes::load {

// Generator threads: `threads` when set, else the CPU count.
int Threads(const LoadSettings& s);

// Raises the open files limit to the hard limit. Refuses (kUnavailable) when the hard limit still
// leaves fewer descriptors than the users need (one connection each, plus the threads' and what
// the process holds): the message gives the number needed and how to raise the limit.
common::Result<void> CheckFdLimit(const LoadSettings& s);

}  // namespace reznet::probes::load
