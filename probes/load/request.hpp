#pragma once
// The bytes of a load step's request: HTTP/1.1 serialised once per step when its path, headers
// and body are constant, else per request from the user's variables (`{{vu}}`, `{{iteration}}`
// and what earlier steps extracted).

#include <cstdint>
#include <map>
#include <string>

#include "probes/load/load_config.hpp"

namespace reznet::probes::load {

// A virtual user's variables.
struct Vars {
  std::map<std::string, std::string> values;  // extracted by earlier steps
  std::int64_t vu = 0;
  std::uint64_t iteration = 0;
  // Appends the template with its holes filled; false (`missing` names it) when a variable is
  // missing.
  bool Fill(const Template& t, std::string& out, std::string& missing) const;
};

// Everything after the request target that every request of `step` carries: the protocol, Host,
// User-Agent, Accept, Connection: close without keep-alive, and the target's headers the step
// does not override.
std::string RequestHead(const LoadSettings& s, const Step& step);

// The whole request of `step` into `out` (cleared first), `head` from RequestHead; false
// (`missing` names it) when a variable is missing.
bool BuildRequest(const LoadSettings& s, const Step& step, const std::string& head,
                  const Vars& vars, std::string& out, std::string& missing);

}  // namespace reznet::probes::load
