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
  // Where a filled template goes: what a variable's value (extracted from a response: outside
  // input) may contain there.
  enum class Into {
    kPath,    // percent-encoded but for RFC 3986 unreserved characters: stays one path segment
    kHeader,  // refused when it holds a control character (CR LF would start another header)
    kBody,    // as it is
  };
  // Appends the template with its holes filled; false (`error` says why: a variable is missing,
  // or its value cannot go into a header) otherwise.
  bool Fill(const Template& t, Into into, std::string& out, std::string& error) const;
};

// Everything after the request target that every request of `step` carries: the protocol, Host,
// User-Agent, Accept, Connection: close without keep-alive, and the target's headers the step
// does not override.
std::string RequestHead(const LoadSettings& s, const Step& step);

// The whole request of `step` into `out` (cleared first), `head` from RequestHead; false
// (`error` says why) when a variable is missing or its value cannot be sent.
bool BuildRequest(const LoadSettings& s, const Step& step, const std::string& head,
                  const Vars& vars, std::string& out, std::string& error);

}  // namespace reznet::probes::load
