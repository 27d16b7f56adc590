// libFuzzer target: the load engine's response head parser (probes/load/http1_head.cpp) on
// arbitrary bytes, read as Http1Conn reads them (interim 1xx heads skipped, at most
// kMaxInterimResponses). libFuzzer hands over the input in a heap block of its exact size, so
// AddressSanitizer reports any read past it. Invariants (a violation aborts: a finding):
//   - a complete head ends with the blank line, within the input, and is judged by its own bytes
//     (the head alone parses the same; one byte less is incomplete, never bad);
//   - a good head has a status in 100..599, a parsed one (bad for its range) one in -99..999;
//   - the framing is one of: chunked, a length, or to the close; 1xx, 204 and 304 have no body;
//   - nothing is reported of an incomplete head.
//   tests/fuzz/run.sh builds it with clang (-fsanitize=fuzzer,address,undefined) and runs it for a
//   bounded time on tests/fuzz/corpus/http1_head/.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "probes/load/http1_head.hpp"

using reznet::probes::load::Head;
using reznet::probes::load::IsInterim;
using reznet::probes::load::kMaxInterimResponses;
using reznet::probes::load::ParseHead;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Same(const Head& a, const Head& b) {
  return a.complete == b.complete && a.bad == b.bad && std::string_view(a.why) == b.why &&
         a.status == b.status && a.content_length == b.content_length && a.chunked == b.chunked &&
         a.close == b.close && a.size == b.size;
}

void CheckHead(std::string_view in, const Head& h) {
  Check(h.size <= in.size());
  if (!h.complete) {
    Check(h.size == 0 && h.status == 0 && h.content_length == -1 && !h.chunked && !h.close);
    return;
  }
  Check(h.size >= 4 && in.substr(h.size - 4, 4) == "\r\n\r\n");
  Check(Same(ParseHead(in.substr(0, h.size)), h));
  const Head shorter = ParseHead(in.substr(0, h.size - 1));
  Check(!shorter.complete && (!shorter.bad || h.size - 1 > 64 * 1024));
  if (h.bad) {
    Check(*h.why != '\0');
    Check(h.status >= -99 && h.status <= 999);
    return;
  }
  Check(h.status >= 100 && h.status <= 599);
  Check(h.content_length >= -1);
  Check(!(h.chunked && h.content_length >= 0));
  if (h.status < 200 || h.status == 204 || h.status == 304)
    Check(h.content_length == 0 && !h.chunked);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::size_t consumed = 0;
  for (int interim = 0; interim <= kMaxInterimResponses; ++interim) {
    const Head h = ParseHead(rest);
    CheckHead(rest, h);
    if (!h.complete || h.bad || !IsInterim(h.status)) break;
    consumed += h.size;
    Check(consumed <= size);
    rest.remove_prefix(h.size);
  }
  return 0;
}
