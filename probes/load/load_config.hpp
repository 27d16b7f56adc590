#pragma once
// Settings of the `load` probe kind: a load test against one http target (issue #7).
//
//   - name: load
//     kind: load
//     target: backend               # http or https (TLS 1.2/1.3; the target's ca_file and
//                                   # insecure_skip_verify as for the http probe)
//     load:
//       executor: ramping-vus       # closed model; or constant-arrival-rate (open model)
//       users: 100                  # ramping-vus: virtual users at full load
//       ramp_up: 10s                # users start evenly over this, then `duration` at full load
//       duration: 60s
//       think_time: 1s..3s          # uniform pause after every step; "0s" for none (default:
//                                   # 1s..3s with the default scenario, 0s with your own)
//       rate: 200                   # constant-arrival-rate: iterations per second
//       max_vus: 50                 # constant-arrival-rate: users available to run them
//       max_lateness: 5s            # an iteration that cannot start this late is dropped
//       graceful_stop: 5s           # in-flight requests at the end get this long
//       request_timeout: 10s
//       max_body_bytes: 1048576     # a longer response body fails with body_too_large
//       keep_alive: true            # false: a new connection (https: a handshake) per request
//       threads: 2                  # generator threads (default: CPU count)
//       seed: 1                     # think times and step weights (default: random)
//       limits: { max_users: 1000, max_rate: 20000, max_duration: 30m }   # hard caps
//       scenario:                   # default: the RezNet user flow
//         - { name: list_channels, method: GET, path: /api/channels, extract: { channel_id:
//         "$[0].id" } }
//         - { name: send, method: POST, path: "/api/channels/{{channel_id}}/messages",
//             headers: { Content-Type: application/json }, body: '{"text": "hi from {{vu}}"}',
//             expect: { status: [200, 201] }, weight: 0.5 }
//
// `{{name}}` in path, headers and body is a value extracted earlier by the same user, or {{vu}}
// (the user's number) or {{iteration}}. A step with weight w < 1 runs in a fraction w of the
// iterations. Steps expect a 2xx status unless `expect.status` says otherwise.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "clients/json_path.hpp"
#include "config/config.hpp"
#include "config/reader.hpp"

namespace reznet::probes::load {

using Duration = std::chrono::nanoseconds;

// A string with {{var}} holes, split once at load time.
struct Template {
  struct Part {
    std::string text;
    bool var = false;  // text is a variable name
  };
  std::vector<Part> parts;
  bool constant() const { return parts.size() <= 1 && (parts.empty() || !parts[0].var); }
  std::vector<std::string> Vars() const;
};
Template ParseTemplate(const std::string& text);

struct Step {
  std::string name;
  std::string method = "GET";
  Template path;
  std::vector<std::pair<std::string, Template>> headers;
  Template body;
  std::vector<std::pair<std::string, clients::JsonPath>> extract;
  std::vector<int> expect_status;  // empty: any 2xx
  std::string expect_body_contains;
  double weight = 1.0;  // fraction of iterations that run this step
};

enum class Executor { kRampingVus, kConstantArrivalRate };

struct Limits {
  std::int64_t max_users = 1000;
  double max_rate = 20000;
  Duration max_duration = std::chrono::minutes(30);
};

struct LoadSettings : config::KindSettings {
  // Every request of every user is a sample: as many as the target serves.
  std::int64_t SamplesPerRun(std::string_view, int) const override { return 0; }
  Executor executor = Executor::kRampingVus;
  std::int64_t users = 10;
  Duration ramp_up{};
  Duration duration = std::chrono::seconds(30);
  Duration think_min{};
  Duration think_max{};
  double rate = 10;
  std::int64_t max_vus = 100;
  Duration max_lateness = std::chrono::seconds(5);
  Duration graceful_stop = std::chrono::seconds(5);
  Duration request_timeout = std::chrono::seconds(10);
  std::int64_t max_body_bytes = 1 << 20;  // as the http probe: longer bodies are body_too_large
  int threads = 0;                        // 0: hardware concurrency
  std::uint64_t seed = 0;                 // 0: random
  Limits limits;
  std::vector<Step> scenario;
  bool keep_alive = true;
  config::Url target;
  std::map<std::string, std::string> target_headers;
  std::string ca_file;  // https: the target's trust settings, as the http probe uses them
  bool insecure_skip_verify = false;

  // Everything that may happen: ramp-up + duration + graceful stop.
  Duration Span() const { return ramp_up + duration + graceful_stop; }
};

// The RezNet user flow: list agents → list channels → send a message → read messages.
std::vector<Step> DefaultScenario();

std::shared_ptr<const config::KindSettings> ParseLoadSettings(config::MapReader& block,
                                                              const config::TargetConfig* target,
                                                              const config::ProbeConfig& probe);

// Command-line overrides (reznet-perfd load), checked against the limits. Returns an error text
// or "" when the result is within limits.
struct Overrides {
  std::int64_t users = 0;
  std::int64_t max_users = 0;  // > 0: replaces limits.max_users (--max-users)
  Duration duration{};
  Duration ramp_up{};
  bool ramp_up_set = false;
  double rate = 0;
  bool stress = false;  // twice the users (or rate)
  int segment = 1;      // this process runs share `segment` of `segments`
  int segments = 1;
};
std::string Apply(const Overrides& o, LoadSettings& s);

}  // namespace reznet::probes::load
