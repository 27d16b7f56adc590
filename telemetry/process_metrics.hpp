#pragma once
// process_* metrics of this process (CPU, memory, open files, start time) from /proc, in the text
// exposition format: written fresh on every scrape, after the cached part of /metrics.

#include <string>

namespace reznet::telemetry {

std::string ProcessMetricsText();

}  // namespace reznet::telemetry
