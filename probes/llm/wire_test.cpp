// The Anthropic and OpenAI Chat Completions wire formats, decoded from raw stream bytes as the
// probe does: SSE parser, then the event decoder. Every stream is also fed split at every byte
// boundary and one byte at a time, and must decode the same (wire_replay.hpp).
#include "probes/llm/wire.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "probes/llm/wire_replay.hpp"

namespace reznet::probes::llm {
namespace {

using wire_replay::Decode;

constexpr Provider A = Provider::kAnthropic;
constexpr Provider O = Provider::kOpenAI;

const std::string kAnthropicStream =
    "event: message_start\n"
    "data: "
    "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":9,\"output_"
    "tokens\":1}}}\n\n"
    "event: content_block_start\n"
    "data: "
    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":"
    "\"\"}}\n\n"
    "event: ping\ndata: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: "
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
    "\"Hé\"}}\n\n"
    "event: content_block_delta\n"
    "data: "
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
    "\"llo 世界\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\n"
    "data: "
    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_"
    "tokens\":5}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

TEST(AnthropicWire, FullStreamWithPingAndUnicode) {
  auto r = Decode(A, kAnthropicStream);
  EXPECT_EQ(r.content, 2);
  EXPECT_TRUE(r.end);
  EXPECT_EQ(r.tokens, 5);  // message_delta's running total wins over message_start's 1
  EXPECT_FALSE(r.error);
  EXPECT_FALSE(r.half);
}

TEST(AnthropicWire, CrlfLineEndings) {
  std::string crlf;
  for (char c : kAnthropicStream) {
    if (c == '\n')
      crlf += "\r\n";
    else
      crlf += c;
  }
  EXPECT_EQ(Decode(A, crlf), Decode(A, kAnthropicStream));
}

TEST(AnthropicWire, ThinkingAndToolUseCountAsContentSignatureDoesNot) {
  auto r = Decode(A,
                  "event: content_block_delta\ndata: "
                  "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"thinking_delta\","
                  "\"thinking\":\"hmm\"}}\n\n"
                  "event: content_block_delta\ndata: "
                  "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"signature_delta\","
                  "\"signature\":\"abc\"}}\n\n"
                  "event: content_block_delta\ndata: "
                  "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"input_json_delta\","
                  "\"partial_json\":\"{\\\"q\\\": 1\"}}\n\n"
                  "event: content_block_delta\ndata: "
                  "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"input_json_delta\","
                  "\"partial_json\":\"\"}}\n\n"
                  "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  EXPECT_EQ(r.content, 2);
  EXPECT_TRUE(r.end);
}

TEST(AnthropicWire, ToolUseBlockStartIsTheFirstOutput) {
  auto r = Decode(
      A,
      "event: message_start\ndata: "
      "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":{\"output_tokens\":1}}}\n\n"
      "event: content_block_start\ndata: "
      "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\","
      "\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{}}}\n\n"
      "event: ping\ndata: {\"type\": \"ping\"}\n\n"
      "event: content_block_delta\ndata: "
      "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
      "\"partial_json\":\"\"}}\n\n"
      "event: content_block_delta\ndata: "
      "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
      "\"partial_json\":\"{\\\"city\\\": \\\"Oslo\\\"}\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: message_delta\ndata: "
      "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{"
      "\"output_tokens\":20}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  EXPECT_EQ(r.first_content, 1);  // the tool_use block start, not the first input_json_delta
  EXPECT_EQ(r.content, 2);
  EXPECT_EQ(r.tokens, 20);
  EXPECT_TRUE(r.end);
}

TEST(AnthropicWire, EmptyThinkingAndTextBlockStartsAreNotOutput) {
  auto r = Decode(A,
                  "event: content_block_start\ndata: "
                  "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
                  "\"thinking\",\"thinking\":\"\"}}\n\n"
                  "event: content_block_start\ndata: "
                  "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":"
                  "\"text\",\"text\":\"\"}}\n\n"
                  "event: content_block_start\ndata: "
                  "{\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":"
                  "\"server_tool_use\",\"id\":\"srvtoolu_1\",\"name\":\"web_search\",\"input\":{}}}"
                  "\n\n");
  EXPECT_EQ(r.first_content, 2);
  EXPECT_EQ(r.content, 1);
}

TEST(AnthropicWire, ErrorEventMidStream) {
  auto r = Decode(
      A,
      "event: content_block_delta\ndata: "
      "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}\n\n"
      "event: error\ndata: "
      "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"
      "\n\n");
  EXPECT_EQ(r.content, 1);
  EXPECT_EQ(r.error, "overloaded_error: Overloaded");
  EXPECT_FALSE(r.end);
}

TEST(AnthropicWire, TruncatedStreamHasNoEndAndAHalfEvent) {
  const std::string cut =
      kAnthropicStream.substr(0, kAnthropicStream.find("event: message_delta") + 30);
  auto r = Decode(A, cut);
  EXPECT_FALSE(r.end);
  EXPECT_TRUE(r.half);
  EXPECT_EQ(r.content, 2);
}

TEST(AnthropicWire, EmptyTextIsNotContentAndEventlessProxyFormatWorks) {
  auto r = Decode(
      A,
      "data: "
      "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"\"}}\n\n"
      "data: "
      "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n"
      "data: {\"type\":\"message_stop\"}\n\n");
  EXPECT_EQ(r.content, 1);
  EXPECT_TRUE(r.end);
}

TEST(AnthropicWire, BadJsonIsReported) {
  auto r = Decode(A, "event: content_block_delta\ndata: {not json\n\n");
  ASSERT_TRUE(r.bad_json);
  EXPECT_EQ(*r.bad_json, "{not json");
}

const std::string kOpenAIStream =
    "data: "
    "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
    "\"finish_reason\":null}]}\n\n"
    ": OPENROUTER PROCESSING\n\n"
    "data: "
    "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":"
    "null}]}\n\n"
    "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo "
    "🎉\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: "
    "{\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,\"total_"
    "tokens\":12}}\n\n"
    "data: [DONE]\n\n";

TEST(OpenAIWire, FullStreamRoleChunkCommentsUsageOnlyChunk) {
  auto r = Decode(O, kOpenAIStream);
  EXPECT_EQ(r.content, 2);  // the role-only chunk carries no content
  EXPECT_TRUE(r.end);
  EXPECT_EQ(r.tokens, 3);
  EXPECT_FALSE(r.half);
}

TEST(OpenAIWire, CrlfAndMultiLineData) {
  auto r = Decode(O,
                  "data: {\"choices\":[{\"delta\":\r\n"
                  "data: {\"content\":\"x\"}}]}\r\n\r\n"
                  "data: [DONE]\r\n\r\n");
  EXPECT_EQ(r.content, 1);  // the two data lines join with "\n": still one JSON document
  EXPECT_TRUE(r.end);
}

TEST(OpenAIWire, NoRoleChunkReasoningAndToolCalls) {
  auto r = Decode(O,
                  "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"think\"}}]}\n\n"
                  "data: {\"choices\":[{\"delta\":{\"reasoning\":\"more\"}}]}\n\n"
                  "data: "
                  "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{"
                  "\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n"
                  "data: "
                  "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":"
                  "\"f\"}}]}}]}\n\n"
                  "data: [DONE]\n\n");
  EXPECT_EQ(r.content, 4);  // the chunk naming the function is output too
  EXPECT_TRUE(r.end);
  EXPECT_FALSE(r.tokens);
}

// The shape OpenAI sends when the model answers with a tool call: the first delta carries the
// role and names the function with empty arguments; the arguments follow in later chunks.
const std::string kOpenAIToolStream =
    "data: "
    "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,"
    "\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{"
    "\"name\":\"get_weather\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n"
    "data: "
    "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
    "\"function\":{\"arguments\":\"{\\\"city\\\"\"}}]},\"finish_reason\":null}]}\n\n"
    "data: "
    "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
    "\"function\":{\"arguments\":\":\\\"Oslo\\\"}\"}}]},\"finish_reason\":null}]}\n\n"
    "data: "
    "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
    "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"completion_tokens\":14}}\n\n"
    "data: [DONE]\n\n";

TEST(OpenAIWire, ToolCallNamingChunkIsTheFirstOutput) {
  auto r = Decode(O, kOpenAIToolStream);
  EXPECT_EQ(r.first_content, 0);  // not 1: the name is output even with empty arguments
  EXPECT_EQ(r.content, 3);
  EXPECT_TRUE(r.end);
  EXPECT_EQ(r.tokens, 14);
}

TEST(OpenAIWire, ToolCallNameAfterARoleOnlyChunk) {
  auto r = Decode(O,
                  "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
                  "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                  "\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}\n\n"
                  "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{"
                  "\"arguments\":\"\"}}]}}]}\n\n"
                  "data: {\"choices\":[{\"delta\":{\"function_call\":{\"name\":\"legacy\"}}}]}\n\n"
                  "data: {\"choices\":[{\"delta\":{\"refusal\":\"no\"}}]}\n\n"
                  "data: [DONE]\n\n");
  EXPECT_EQ(r.first_content, 1);
  EXPECT_EQ(r.content, 3);  // empty arguments alone carry nothing
  EXPECT_TRUE(r.end);
}

TEST(OpenAIWire, ErrorPayloadInsideA200Stream) {
  auto r = Decode(O,
                  "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
                  "data: {\"error\":{\"message\":\"upstream "
                  "timeout\",\"type\":\"server_error\",\"code\":502}}\n\n");
  EXPECT_EQ(r.error, "server_error: upstream timeout");
  EXPECT_FALSE(r.end);
}

TEST(OpenAIWire, TruncatedWithoutDone) {
  const std::string cut = kOpenAIStream.substr(0, kOpenAIStream.find("data: [DONE]"));
  auto r = Decode(O, cut);
  EXPECT_FALSE(r.end);
  EXPECT_EQ(r.tokens, 3);
}

TEST(WireBodies, NonStreamingAndErrors) {
  auto a = DecodeBody(
      A,
      R"({"content":[{"type":"text","text":"ok"}],"usage":{"input_tokens":3,"output_tokens":2}})");
  EXPECT_EQ(a.text_bytes, 2u);
  EXPECT_EQ(a.output_tokens, 2);
  auto o = DecodeBody(
      O,
      R"({"choices":[{"message":{"role":"assistant","content":"okay"}}],"usage":{"completion_tokens":4}})");
  EXPECT_EQ(o.text_bytes, 4u);
  EXPECT_EQ(o.output_tokens, 4);
  EXPECT_EQ(DescribeErrorBody(
                R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})"),
            "rate_limit_error: slow down");
  EXPECT_EQ(
      DescribeErrorBody(
          R"({"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}})"),
      "invalid_request_error: bad key");
  EXPECT_EQ(DescribeErrorBody("<html>502 Bad Gateway</html>"), "<html>502 Bad Gateway</html>");
}

}  // namespace
}  // namespace reznet::probes::llm
