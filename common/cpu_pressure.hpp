#pragma once
// CPU pressure (Linux PSI, /proc/pressure/cpu): how long tasks waited for a CPU. A suite run
// reports the share of its wall time that some task was kept waiting, so that its verdicts come
// with the machine's noise beside them (issue #26).

#include <optional>
#include <string_view>

namespace reznet::common {

// The "some" line's total stall, in seconds, from the text of /proc/pressure/cpu
// ("some avg10=0.00 avg60=0.00 avg300=0.00 total=12345"); nullopt when it has none.
std::optional<double> ParseCpuStallSeconds(std::string_view psi);

// The same read from /proc/pressure/cpu; nullopt where the kernel has no PSI.
std::optional<double> CpuStallSeconds();

}  // namespace reznet::common
