#pragma once
// The gzip form of a /metrics text, for scrapers that send Accept-Encoding: gzip (Prometheus
// does): 8.6 MB of text at 1,000 probes travels as about 0.4 MB. The cached text is compressed
// once per render; the part that changes on every scrape (process_* metrics) is appended to a copy
// of the open stream (deflateCopy), so a scrape costs the tail, not the whole text again.

#include <memory>
#include <string>
#include <string_view>

namespace reznet::telemetry {

class GzipText {
 public:
  // Compresses `text` (zlib level 1: speed over the last few percent) and keeps the stream open.
  explicit GzipText(std::string_view text);
  ~GzipText();
  GzipText(const GzipText&) = delete;
  GzipText& operator=(const GzipText&) = delete;

  // A complete gzip member of `text` + `tail`. Const and safe to call from several threads.
  std::string With(std::string_view tail) const;

 private:
  struct Stream;
  std::unique_ptr<Stream> stream_;
  std::string prefix_;  // the compressed bytes `text` produced so far
};

}  // namespace reznet::telemetry
