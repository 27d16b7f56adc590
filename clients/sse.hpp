#pragma once
// An incremental Server-Sent Events parser following the WHATWG "event stream interpretation":
// lines end in CR, LF or CRLF (a CR at the end of one read followed by LF at the start of the
// next is one line end); lines starting with ':' are comments; "field: value" strips exactly one
// space after the colon; a line without a colon is a field with an empty value; `data` lines are
// joined with "\n"; an empty line dispatches the event (none when no data was seen); `event`,
// `id` (ignored when it contains NUL) and `retry` (digits only) are kept; other fields are
// ignored; a leading UTF-8 BOM is skipped. Bytes may be split at any boundary across Feed calls.
// A half event at the end of the stream is discarded by Finish().
//
// Bounded: a line longer than max_line_bytes or a stream longer than max_stream_bytes stops the
// parser with an error naming the limit. Not thread-safe; one parser per stream.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace reznet::clients {

struct SseEvent {
  std::string type = "message";  // the `event:` field, "message" when absent
  std::string data;
  std::string id;  // last event id seen on the stream
  std::optional<long> retry;
  bool operator==(const SseEvent&) const = default;
};

struct SseLimits {
  std::size_t max_line_bytes = 1 << 20;
  std::size_t max_stream_bytes = 64 << 20;
};

class SseParser {
 public:
  using Handler = std::function<void(const SseEvent&)>;

  explicit SseParser(SseLimits limits = {}) : limits_(limits) {}

  // Parses `bytes`, calling `on_event` for each complete event. Returns false once a limit is
  // hit: the parser has then failed for good (like a stream's failbit), ignores the rest of the
  // input, and failure() names the limit. (A state, not a Result: this header is also built by
  // the fuzz harness with clang 14, whose libstdc++ <expected> is empty.)
  bool Push(std::string_view bytes, const Handler& on_event);
  const std::string& failure() const { return failure_; }
  // End of stream. Returns true when a half event (data without its blank line) was discarded.
  bool Finish();
  std::size_t bytes_seen() const { return total_; }

 private:
  void Line(std::string_view line, const Handler& on_event);  // sets failed_ on an over-long line
  std::string LineTooLong() const;

  SseLimits limits_;
  std::string line_;
  bool skip_lf_ = false;  // the previous read ended in CR
  bool bom_checked_ = false;
  bool failed_ = false;
  std::string failure_;
  std::size_t total_ = 0;
  std::string data_;
  std::string type_;
  bool has_data_ = false;
  bool pending_fields_ = false;  // any field seen since the last dispatch
  std::string last_id_;
  std::optional<long> retry_;
};

}  // namespace reznet::clients
