#pragma once
// Settings of the `llm` probe kind (the `llm:` block).
//
//   llm:
//     provider: anthropic          # anthropic (Messages API), openai (Chat Completions, any
//                                  # OpenAI-compatible server) or openai-responses (Responses
//                                  # API: input/instructions/max_output_tokens, store: false)
//     model: claude-3-5-haiku-latest
//     prompt: "Reply with ok."     # or messages: [{role: user, content: "…"}, …]
//     system: "You are terse."     # optional
//     max_tokens: 16
//     temperature: 0               # optional
//     stream: true
//     extra_headers: { anthropic-beta: "…" }
//     path: /v1/messages           # default per provider, appended to the target URL
//     max_stream_bytes: 8388608    # the stream fails with a message naming the limit beyond
//     budget: { daily_output_tokens: 20000 }   # skip runs once spent, until 00:00 UTC
//
// The API key is the target's `api_key` (environment-expanded, never logged). An empty key makes
// every run *skipped* with the reason, never failed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clients/http_client.hpp"
#include "config/config.hpp"
#include "config/reader.hpp"
#include "probes/llm/wire.hpp"

namespace reznet::probes::llm {

struct LlmSettings : config::KindSettings {
  std::int64_t SamplesPerRun(std::string_view phase, int) const override {
    return phase == "inter_chunk" ? 0 : 1;
  }
  Provider provider = Provider::kAnthropic;
  std::string provider_name = "anthropic";
  std::string model;
  std::vector<std::pair<std::string, std::string>> messages;  // (role, content)
  std::string system;
  std::int64_t max_tokens = 16;
  std::optional<double> temperature;
  bool stream = true;
  clients::Headers extra_headers;
  std::string path;
  std::int64_t max_stream_bytes = 8 << 20;
  std::int64_t daily_output_tokens = 0;  // 0 = no budget
};

std::shared_ptr<const config::KindSettings> ParseLlmSettings(config::MapReader& block,
                                                             const config::TargetConfig* target,
                                                             const config::ProbeConfig& probe);

// The JSON request body for the provider.
std::string RequestBody(const LlmSettings& s);
// One row per provider: its `provider:` name, the default path, and the end marker that the
// "truncated" message names.
struct ProviderInfo {
  Provider provider;
  std::string_view name;
  std::string_view default_path;
  std::string_view end_marker;
};
const ProviderInfo& InfoOf(Provider provider);
const ProviderInfo* FindProvider(std::string_view name);  // nullptr: no such provider

}  // namespace reznet::probes::llm
