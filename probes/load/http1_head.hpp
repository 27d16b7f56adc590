#pragma once
// The load engine's response head parser (RFC 9112 §6 framing), apart from the connection so the
// fuzz target (tests/fuzz/http1_head_fuzz.cpp) builds it without Asio or OpenSSL. Pure, no state;
// any thread.

#include <cstddef>
#include <string_view>

namespace reznet::probes::load {

// Parsed response head. `complete` false: more bytes needed.
struct Head {
  bool complete = false;
  bool bad = false;
  const char* why = "";  // when bad: what is wrong
  int status = 0;
  long long content_length = -1;
  bool chunked = false;
  bool close = false;
  std::size_t size = 0;  // bytes of the head including the blank line
};

// RFC 9112 §6: a Content-Length that is not 1*DIGIT (or a list of one value repeated), two that
// differ, Transfer-Encoding together with Content-Length (the safe reading of §6.3 item 3) or in
// an HTTP/1.0 response make the head bad; a Transfer-Encoding whose final coding is not chunked
// means a body that ends at the close (item 4). 1xx, 204 and 304 carry no body.
Head ParseHead(std::string_view bytes);

// 1xx responses other than 101 are interim: Exchange skips up to this many before the final
// response (more fail the request: protocol). 101 Switching Protocols is final: its status is
// the request's, and the connection is closed after it (what follows is no longer HTTP/1.1).
inline constexpr int kMaxInterimResponses = 16;
constexpr bool IsInterim(int status) { return status >= 100 && status < 200 && status != 101; }

}  // namespace reznet::probes::load
