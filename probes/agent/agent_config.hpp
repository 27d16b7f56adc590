#pragma once
// Settings of the `agent` probe kind (the `agent:` block): the backend's own agent endpoint, end
// to end — a message in, an agent's answer out, as JSON or as SSE.
//
//   agent:
//     path: /api/agents/1/chat     # POSTed on the target
//     message: "Summarise …"       # body {"message": …}; or body: a raw JSON string
//     stream: false                # true sends Accept: text/event-stream and reads SSE
//     reply_field: reply           # JSON mode: must be a non-empty string
//     text_field: text             # SSE mode: field of each event's JSON carrying text
//     end_event: done              # SSE event that ends the answer ("data: [DONE]" also does)
//     error_event: error           # SSE event that reports a failure
//     usage_field: usage.output_tokens   # where the token count is (end event / JSON body)
//     headers: { Authorization: "Bearer ${REZNET_TOKEN}" }

#include <cstdint>
#include <string>
#include <string_view>

#include "clients/http_client.hpp"
#include "clients/json_path.hpp"
#include "config/config.hpp"
#include "config/reader.hpp"
#include "probes/llm/wire.hpp"

namespace reznet::probes::agent {

struct AgentSettings : config::KindSettings {
  std::int64_t SamplesPerRun(std::string_view phase, int) const override {
    return phase == "inter_chunk" ? 0 : 1;
  }
  std::string path;
  std::string body;
  bool stream = false;
  clients::JsonPath reply_field;
  clients::JsonPath text_field;
  clients::JsonPath usage_field;
  std::string end_event = "done";
  std::string error_event = "error";
  clients::Headers headers;
};

std::shared_ptr<const config::KindSettings> ParseAgentSettings(config::MapReader& block,
                                                               const config::TargetConfig* target,
                                                               const config::ProbeConfig& probe);

// One SSE event of the agent stream.
llm::WireStep DecodeAgentEvent(const AgentSettings& s, const clients::SseEvent& event);

}  // namespace reznet::probes::agent
