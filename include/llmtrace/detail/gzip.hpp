// llmtrace/detail/gzip.hpp: gzip compression with a reusable zlib stream (no allocation once the
// output buffer has grown) and bounded gunzip, for the OTLP exporters (HTTP Content-Encoding and gRPC
// message compression). Available when built with zlib (LLMTRACE_HAS_ZLIB); gzip_available says so.
// Thread-safety: a gzip_compressor is used by one thread at a time; gunzip() is a pure function.
#pragma once

#include <llmtrace/config.hpp>

#include <cstddef>
#include <new>
#include <string>
#include <string_view>

#if defined(LLMTRACE_HAS_ZLIB)
#include <zlib.h>
#endif

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

#if defined(LLMTRACE_HAS_ZLIB)
inline constexpr bool gzip_available = true;

/// Compresses whole buffers to gzip, reusing one deflate stream (and the caller's output capacity).
class gzip_compressor {
 public:
  gzip_compressor() = default;
  ~gzip_compressor() {
    if (ready_) deflateEnd(&zs_);
  }
  gzip_compressor(const gzip_compressor&) = delete;
  gzip_compressor& operator=(const gzip_compressor&) = delete;

  /// Replaces `out` with the gzip form of `in`. Throws std::bad_alloc (also when zlib fails).
  void compress(std::string_view in, std::string& out) { append(in, out, 0); }

  /// Like compress(), but keeps the first `keep` bytes of `out` and writes after them.
  void append(std::string_view in, std::string& out, std::size_t keep) {
    if (!ready_) {
      zs_ = z_stream{};
      if (deflateInit2_(&zs_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                        static_cast<int>(sizeof(z_stream))) != Z_OK)
        throw std::bad_alloc();
      ready_ = true;
    } else {
      deflateReset(&zs_);
    }
    out.resize(keep + deflateBound(&zs_, static_cast<uLong>(in.size())));
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs_.avail_in = static_cast<uInt>(in.size());
    zs_.next_out = reinterpret_cast<Bytef*>(&out[keep]);
    zs_.avail_out = static_cast<uInt>(out.size() - keep);
    if (deflate(&zs_, Z_FINISH) != Z_STREAM_END) throw std::bad_alloc();
    out.resize(keep + static_cast<std::size_t>(zs_.total_out));
  }

 private:
  z_stream zs_{};
  bool ready_ = false;
};

/// Decompresses gzip (or zlib) data into `out` (replaced); false when it is corrupt, truncated or
/// would grow past `max_size` bytes. Never throws.
inline bool gunzip(std::string_view in, std::string& out, std::size_t max_size) noexcept {
  try {
    out.clear();
    z_stream zs{};
    if (inflateInit2_(&zs, 15 + 32, ZLIB_VERSION, static_cast<int>(sizeof(z_stream))) != Z_OK) return false;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    char chunk[16384];
    int rc = Z_OK;
    while (rc == Z_OK) {
      zs.next_out = reinterpret_cast<Bytef*>(chunk);
      zs.avail_out = sizeof chunk;
      rc = inflate(&zs, Z_NO_FLUSH);
      const std::size_t produced = sizeof chunk - zs.avail_out;
      if ((rc != Z_OK && rc != Z_STREAM_END) || out.size() + produced > max_size ||
          (rc == Z_OK && produced == 0 && zs.avail_in == 0)) {
        inflateEnd(&zs);
        return false;
      }
      out.append(chunk, produced);
    }
    inflateEnd(&zs);
    return zs.avail_in == 0;
  } catch (...) {
    return false;
  }
}
#else
inline constexpr bool gzip_available = false;

/// Without zlib: compress() copies the input unchanged; callers check gzip_available first.
class gzip_compressor {
 public:
  void compress(std::string_view in, std::string& out) { out.assign(in.data(), in.size()); }
  void append(std::string_view in, std::string& out, std::size_t keep) {
    out.resize(keep);
    out.append(in.data(), in.size());
  }
};

/// Without zlib nothing can be decompressed.
inline bool gunzip(std::string_view, std::string&, std::size_t) noexcept { return false; }
#endif

}  // namespace detail
LLMTRACE_END_NAMESPACE
