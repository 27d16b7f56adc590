#include "common/cpu_pressure.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

#include "common/read_file.hpp"

namespace reznet::common {

std::optional<double> ParseCpuStallSeconds(std::string_view psi) {
  for (std::size_t at = 0; at < psi.size();) {
    const auto end = std::min(psi.find('\n', at), psi.size());
    const std::string_view line = psi.substr(at, end - at);
    at = end + 1;
    if (!line.starts_with("some ")) continue;
    const auto total = line.find(" total=");
    if (total == std::string_view::npos) return std::nullopt;
    const std::string_view digits = line.substr(total + 7);
    std::uint64_t micros = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), micros);
    if (ec != std::errc{} || ptr == digits.data()) return std::nullopt;
    return static_cast<double>(micros) / 1e6;
  }
  return std::nullopt;
}

std::optional<double> CpuStallSeconds() {
  auto text = ReadFileBounded("/proc/pressure/cpu", 4096);
  if (!text) return std::nullopt;
  return ParseCpuStallSeconds(*text);
}

}  // namespace reznet::common
