// GzipText (telemetry/gzip_text.hpp): what a scraper inflates is the text and the tail.
#include "telemetry/gzip_text.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace reznet::telemetry {
namespace {

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END);
  EXPECT_EQ(z.avail_in, 0u) << "one gzip member, nothing after it";
  inflateEnd(&z);
  return out;
}

TEST(GzipText, TheCachedTextWithEachScrapesTail) {
  std::string text;
  for (int i = 0; i < 200000; ++i)
    text += "reznet_perf_probe_runs_total{probe=\"p" + std::to_string(i % 1000) + "\"} " +
            std::to_string(i) + "\n";
  const GzipText gz(text);
  const std::string a = gz.With("process_open_fds 7\n");
  const std::string b = gz.With("process_open_fds 8\n");
  EXPECT_EQ(Gunzip(a), text + "process_open_fds 7\n");
  EXPECT_EQ(Gunzip(b), text + "process_open_fds 8\n");
  EXPECT_LT(a.size(), text.size() / 5);
  EXPECT_EQ(Gunzip(GzipText("").With("")), "");
  EXPECT_EQ(Gunzip(GzipText("").With("x\n")), "x\n");
}

}  // namespace
}  // namespace reznet::telemetry
