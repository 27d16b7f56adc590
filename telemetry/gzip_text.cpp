#include "telemetry/gzip_text.hpp"

#include <zlib.h>

#include <stdexcept>

namespace reznet::telemetry {
namespace {

constexpr int kLevel = 1;
constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip header and trailer
constexpr int kMemLevel = 8;

// Runs deflate over `in` with `flush`, appending what it writes to `out`.
void Deflate(z_stream& z, std::string_view in, int flush, std::string& out) {
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  char buf[64 * 1024];
  int rc = Z_OK;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = deflate(&z, flush);
    if (rc == Z_STREAM_ERROR) throw std::runtime_error("gzip: deflate failed");
    out.append(buf, sizeof buf - z.avail_out);
  } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
}

}  // namespace

struct GzipText::Stream {
  z_stream z{};
  ~Stream() { deflateEnd(&z); }
};

GzipText::GzipText(std::string_view text) : stream_(std::make_unique<Stream>()) {
  if (deflateInit2(&stream_->z, kLevel, Z_DEFLATED, kGzipWindowBits, kMemLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip: deflateInit2 failed");
  prefix_.reserve(text.size() / 16);
  // zlib counts input in uInt: feed a large text in pieces.
  constexpr std::size_t kPiece = 1 << 30;
  for (std::size_t at = 0; at < text.size(); at += kPiece)
    Deflate(stream_->z, text.substr(at, kPiece), Z_NO_FLUSH, prefix_);
}

GzipText::~GzipText() = default;

std::string GzipText::With(std::string_view tail) const {
  Stream copy;
  if (deflateCopy(&copy.z, &stream_->z) != Z_OK)
    throw std::runtime_error("gzip: deflateCopy failed");
  std::string out;
  out.reserve(prefix_.size() + tail.size() / 4 + 1024);
  out = prefix_;
  Deflate(copy.z, tail, Z_FINISH, out);
  return out;
}

}  // namespace reznet::telemetry
