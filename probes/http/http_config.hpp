#pragma once
// Settings of the `http` probe kind (the `http:` block of a probe).
//
//   http:
//     method: GET                 # any token; default GET
//     path: /health               # appended to the target URL's base path; may carry a query
//     headers: { X-Probe: "1" }   # added to the target's headers
//     body: '{"text": "hi"}'
//     samples: 1                  # requests per run, sequential (1..1000)
//     keep_alive: false           # reuse the connection across samples and runs
//     max_body_bytes: 1048576     # larger responses fail with error "body_too_large"
//     expect:
//       status: 200               # or a list [200, 204]; default: any 2xx
//       body_contains: "ok"
//       json: { "status": "ok", "items[0].id": "1" }   # field path -> expected value (as text)

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clients/http_client.hpp"
#include "clients/json_path.hpp"
#include "config/config.hpp"
#include "config/reader.hpp"

namespace reznet::probes {

struct JsonExpectation {
  clients::JsonPath path;
  std::string equals;
  bool operator==(const JsonExpectation&) const = default;
};

struct HttpSettings : config::KindSettings {
  std::string method = "GET";
  std::string path = "/";
  clients::Headers headers;
  std::string body;
  int samples = 1;
  bool keep_alive = false;
  std::int64_t SamplesPerRun(std::string_view, int repeats) const override {
    return repeats > 0 ? repeats : samples;
  }
  std::int64_t max_body_bytes = 1 << 20;
  std::vector<int> expect_status;  // empty: any 2xx
  std::string expect_body_contains;
  std::vector<JsonExpectation> expect_json;
};

std::shared_ptr<const config::KindSettings> ParseHttpSettings(config::MapReader& block,
                                                              const config::TargetConfig* target,
                                                              const config::ProbeConfig& probe);

}  // namespace reznet::probes
