// The OpenAI Responses API wire format (POST /v1/responses, stream: true), decoded from raw
// stream bytes as the probe does; every stream is also fed one byte at a time and split at every
// byte boundary (wire_replay.hpp).
#include <gtest/gtest.h>

#include <string>

#include "probes/llm/wire.hpp"
#include "probes/llm/wire_replay.hpp"

namespace reznet::probes::llm {
namespace {

using wire_replay::Decode;

constexpr Provider R = Provider::kOpenAIResponses;

// One SSE event as the Responses API writes it: `event:` names the type, the payload repeats it.
std::string Ev(const std::string& type, const std::string& fields) {
  return "event: " + type + "\ndata: {\"type\":\"" + type + "\"," + fields + "}\n\n";
}

const std::string kCreated =
    Ev("response.created",
       R"("sequence_number":0,"response":{"id":"resp_1","object":"response",)"
       R"("status":"in_progress","error":null,"incomplete_details":null,"output":[],"usage":null})") +
    Ev("response.in_progress",
       R"("sequence_number":1,"response":{"id":"resp_1","status":"in_progress","usage":null})");

std::string TextDelta(const std::string& delta) {
  return Ev(
      "response.output_text.delta",
      R"("sequence_number":5,"item_id":"msg_1","output_index":0,"content_index":0,"delta":")" +
          delta + "\"");
}

const std::string kTextStream =
    kCreated +
    Ev("response.output_item.added",
       R"("sequence_number":2,"output_index":0,"item":{"id":"msg_1","type":"message",)"
       R"("status":"in_progress","role":"assistant","content":[]})") +
    Ev("response.content_part.added",
       R"("sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,)"
       R"("part":{"type":"output_text","text":"","annotations":[]})") +
    TextDelta("Hé") + TextDelta("") + TextDelta("llo 世界") +
    Ev("response.output_text.done",
       R"("sequence_number":7,"item_id":"msg_1","output_index":0,"content_index":0,)"
       R"("text":"Héllo 世界")") +
    Ev("response.output_item.done",
       R"("sequence_number":8,"output_index":0,"item":{"id":"msg_1","type":"message",)"
       R"("content":[{"type":"output_text","text":"Héllo 世界"}]})") +
    Ev("response.completed",
       R"("sequence_number":9,"response":{"id":"resp_1","status":"completed","error":null,)"
       R"("usage":{"input_tokens":9,"output_tokens":4,"output_tokens_details":)"
       R"({"reasoning_tokens":0},"total_tokens":13}})");

TEST(ResponsesWire, TextStreamEndsWithCompletedAndItsUsage) {
  auto r = Decode(R, kTextStream);
  EXPECT_EQ(r.first_content, 4);  // the first non-empty output_text.delta
  EXPECT_EQ(r.content, 2);        // the empty delta, the .done events and items carry none
  EXPECT_TRUE(r.end);
  EXPECT_EQ(r.tokens, 4);
  EXPECT_FALSE(r.error);
  EXPECT_FALSE(r.half);
}

TEST(ResponsesWire, CrlfAndEventlessProxyFormatDecodeTheSame) {
  std::string crlf, eventless;
  for (char c : kTextStream) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  for (std::size_t pos = 0; pos < kTextStream.size();) {
    const std::size_t nl = kTextStream.find('\n', pos);
    const std::string line = kTextStream.substr(pos, nl + 1 - pos);
    if (!line.starts_with("event: ")) eventless += line;
    pos = nl + 1;
  }
  EXPECT_EQ(Decode(R, crlf), Decode(R, kTextStream));
  EXPECT_EQ(Decode(R, eventless), Decode(R, kTextStream));
}

// Argument pieces of a function call (JSON text inside a JSON string).
const std::string kArgsDelta1 =
    "\"sequence_number\":3,\"item_id\":\"fc_1\",\"output_index\":0,\"delta\":\"{\\\"city\\\"\"";
const std::string kArgsDelta2 =
    "\"sequence_number\":4,\"item_id\":\"fc_1\",\"output_index\":0,\"delta\":\":\\\"Oslo\\\"}\"";
const std::string kArgsDone =
    "\"sequence_number\":5,\"item_id\":\"fc_1\",\"output_index\":0,"
    "\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"";

TEST(ResponsesWire, FunctionCallNameIsTheFirstOutput) {
  auto r = Decode(
      R,
      kCreated +
          Ev("response.output_item.added",
             R"("sequence_number":2,"output_index":0,"item":{"id":"fc_1","type":"function_call",)"
             R"("status":"in_progress","call_id":"call_1","name":"get_weather","arguments":""})") +
          Ev("response.function_call_arguments.delta", kArgsDelta1) +
          Ev("response.function_call_arguments.delta", kArgsDelta2) +
          Ev("response.function_call_arguments.done", kArgsDone) +
          Ev("response.output_item.done",
             R"("sequence_number":6,"output_index":0,"item":{"id":"fc_1",)"
             R"("type":"function_call","name":"get_weather","arguments":"{}"})") +
          Ev("response.completed",
             R"("sequence_number":7,"response":{"status":"completed","usage":{"output_tokens":18}})"));
  EXPECT_EQ(r.first_content, 2);  // output_item.added naming the function, not its arguments
  EXPECT_EQ(r.content, 3);
  EXPECT_EQ(r.tokens, 18);
  EXPECT_TRUE(r.end);
}

TEST(ResponsesWire, ReasoningAndRefusalDeltasAreOutput) {
  auto r = Decode(
      R,
      kCreated +
          Ev("response.output_item.added",
             R"("sequence_number":2,"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[]})") +
          Ev("response.reasoning_summary_text.delta",
             R"("sequence_number":3,"item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Hm")") +
          Ev("response.reasoning_text.delta",
             R"("sequence_number":4,"item_id":"rs_1","output_index":0,"content_index":0,"delta":"so")") +
          Ev("response.refusal.delta",
             R"("sequence_number":5,"item_id":"msg_1","output_index":1,"content_index":0,"delta":"No")") +
          Ev("response.completed", R"("sequence_number":6,"response":{"status":"completed"})"));
  EXPECT_EQ(r.first_content, 3);  // the reasoning item itself names nothing
  EXPECT_EQ(r.content, 3);
  EXPECT_TRUE(r.end);
  EXPECT_FALSE(r.tokens);
}

TEST(ResponsesWire, FailedCarriesTheResponseError) {
  auto r = Decode(
      R, kCreated + TextDelta("a") +
             Ev("response.failed",
                R"("sequence_number":6,"response":{"id":"resp_1","status":"failed",)"
                R"("error":{"code":"server_error","message":"The model failed"},"usage":null})"));
  EXPECT_EQ(r.error, "server_error: The model failed");
  EXPECT_FALSE(r.end);
  EXPECT_EQ(r.content, 1);
  EXPECT_FALSE(r.tokens);
  EXPECT_EQ(
      Decode(R, Ev("response.failed", R"("response":{"status":"failed","error":null})")).error,
      "response.failed");
}

TEST(ResponsesWire, IncompleteNamesTheReasonAndKeepsUsage) {
  auto r = Decode(
      R, kCreated + TextDelta("a") + TextDelta("b") +
             Ev("response.incomplete", R"("sequence_number":7,"response":{"status":"incomplete",)"
                                       R"("incomplete_details":{"reason":"max_output_tokens"},)"
                                       R"("usage":{"output_tokens":16}})"));
  EXPECT_EQ(r.error, "incomplete: max_output_tokens");
  EXPECT_EQ(r.tokens, 16);
  EXPECT_FALSE(r.end);
}

TEST(ResponsesWire, ErrorEventTopLevelOrNested) {
  EXPECT_EQ(
      Decode(R, kCreated + Ev("error", R"("code":"rate_limit_exceeded",)"
                                       R"("message":"Slow down","param":null,"sequence_number":2)"))
          .error,
      "rate_limit_exceeded: Slow down");
  EXPECT_EQ(Decode(R, Ev("error", R"("code":null,"message":"boom","param":null)")).error,
            "error: boom");
  EXPECT_EQ(Decode(R, Ev("error", R"("error":{"type":"server_error","message":"boom"})")).error,
            "server_error: boom");
}

TEST(ResponsesWire, TruncatedBeforeCompletedAndBadJson) {
  const std::string cut = kTextStream.substr(0, kTextStream.find("event: response.completed") + 40);
  auto r = Decode(R, cut);
  EXPECT_FALSE(r.end);
  EXPECT_TRUE(r.half);
  EXPECT_EQ(r.content, 2);
  EXPECT_FALSE(r.tokens);
  auto bad = Decode(R, "event: response.output_text.delta\ndata: {\"delta\": \n\n");
  ASSERT_TRUE(bad.bad_json);
  EXPECT_EQ(*bad.bad_json, "{\"delta\": ");
}

TEST(ResponsesWire, NonStreamingBodies) {
  auto ok = DecodeBody(
      R, R"({"id":"resp_1","object":"response","status":"completed","error":null,)"
         R"("output":[{"type":"reasoning","summary":[{"type":"summary_text","text":"hm"}]},)"
         R"({"type":"message","content":[{"type":"output_text","text":"okay"}]},)"
         R"({"type":"function_call","name":"f","arguments":"{}"}],"usage":{"output_tokens":7}})");
  EXPECT_EQ(ok.text_bytes, 2u + 4u + 1u + 2u);
  EXPECT_EQ(ok.output_tokens, 7);
  EXPECT_FALSE(ok.error);
  auto cut = DecodeBody(R, R"({"status":"incomplete","error":null,)"
                           R"("incomplete_details":{"reason":"content_filter"},"output":[]})");
  EXPECT_EQ(cut.error, "incomplete: content_filter");
  auto failed = DecodeBody(
      R, R"({"status":"failed","error":{"code":"server_error","message":"x"},"output":[]})");
  EXPECT_EQ(failed.error, "server_error: x");
}

}  // namespace
}  // namespace reznet::probes::llm
