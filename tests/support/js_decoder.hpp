// Cross-check OTLP payloads against the official OpenTelemetry JS decoders (tests/otlp_js).
//
//   if (!llmtrace_test::node_available()) { MESSAGE("skipped: node is missing"); return; }
//   CHECK(llmtrace_test::decode_request(payload, otlp_encoding::protobuf).to_json() ==
//         llmtrace_test::js_decode(payload, otlp_encoding::protobuf));
//
// js_decode() writes the payload to a temporary file and runs tests/otlp_js/check.sh, which runs
// "npm ci" once when tests/otlp_js/node_modules is missing (set LLMTRACE_OTLP_JS_NO_INSTALL=1 to
// forbid that) and then decode.mjs. It returns the canonical JSON described in otlp_decode.hpp.
//
// Errors: js_decoder_unavailable when node or the npm packages are missing (and cannot be
// installed); decode_error when the JS decoder rejects the payload; std::runtime_error otherwise.
#pragma once

#include "otlp_decode.hpp"

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#ifndef LLMTRACE_OTLP_JS_DIR
#error "LLMTRACE_OTLP_JS_DIR must be the absolute path of tests/otlp_js (tests/support/CMakeLists.txt sets it)"
#endif

namespace llmtrace_test {

class js_decoder_unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline std::string otlp_js_dir() { return LLMTRACE_OTLP_JS_DIR; }

// True when a "node" executable is on PATH.
inline bool node_available() {
  static const bool found = std::system("command -v node >/dev/null 2>&1") == 0;
  return found;
}

namespace js_detail {

inline std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// A file created with mkstemp, removed on destruction.
class temp_file {
 public:
  explicit temp_file(std::string_view contents) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "llmtrace-otlp-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const int fd = ::mkstemp(buf.data());
    if (fd < 0) throw std::runtime_error("js_decode: mkstemp failed in " + tmpl);
    path_.assign(buf.data());
    std::size_t done = 0;
    while (done < contents.size()) {
      const ::ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        ::close(fd);
        throw std::runtime_error("js_decode: cannot write " + path_);
      }
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }
  ~temp_file() { std::remove(path_.c_str()); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace js_detail

// Decodes an ExportTraceServiceRequest (signal "traces"), ExportLogsServiceRequest ("logs", canonical
// form: canonicalLogsRequest in decode.mjs) or ExportMetricsServiceRequest ("metrics", canonicalMetricsRequest)
// with the official JS decoders; returns the canonical JSON.
inline nlohmann::json js_decode(std::string_view payload, otlp_encoding encoding, std::string_view signal = "traces") {
  if (!node_available()) {
    throw js_decoder_unavailable(
        "js_decode: node is missing (install Node.js >= 18.19 to run the OTLP/JS cross-check)");
  }
  const js_detail::temp_file input(payload);
  const js_detail::temp_file errors("");
  const std::string cmd = "sh " + js_detail::shell_quote(otlp_js_dir() + "/check.sh") + " " +
                          js_detail::shell_quote(input.path()) + " " + to_string(encoding) + " " +
                          js_detail::shell_quote(signal) + " 2>" + js_detail::shell_quote(errors.path());
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("js_decode: popen failed for: " + cmd);
  std::string out;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  const int code = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  const std::string err = js_detail::read_all(errors.path());
  switch (code) {
    case 0:
      break;
    case 1:
      throw decode_error("OTLP/JS decoder rejected the payload: " + err);
    case 3:
      throw js_decoder_unavailable("js_decode: node or the npm packages are missing: " + err);
    default:
      throw std::runtime_error("js_decode: " + cmd + " failed (exit " + std::to_string(code) + "): " + err);
  }
  try {
    return nlohmann::json::parse(out);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(std::string("js_decode: decode.mjs printed something that is not JSON: ") + e.what() +
                             "\n" + out);
  }
}

}  // namespace llmtrace_test
