// The fake Ollama daemon (see fake_ollama.hpp): the HTTP server, its endpoints and routing, and the
// public test controls. Go-style JSON, request validation, models and stream framing live in the
// other fake_ollama_*.cpp files. cpp-httplib is only included by the fake's own sources.
#include "fake_ollama.hpp"

#include <httplib.h>

#include "fake_ollama_detail.hpp"
#include "fake_ollama_stream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

namespace llmtrace_test {

using namespace fake_detail;

namespace {

// ------------------------------------------------------------------------------------------
// Misc
// ------------------------------------------------------------------------------------------

bool allowed_host(const std::string& host_header) {
  std::string host = host_header;
  if (!host.empty() && host[0] == '[') {
    const std::size_t end = host.find(']');
    host = end == std::string::npos ? host.substr(1) : host.substr(1, end - 1);
  } else {
    const std::size_t colon = host.find(':');
    if (colon != std::string::npos && host.find(':', colon + 1) == std::string::npos) host.erase(colon);
  }
  host = to_lower_ascii(host);
  if (host.empty() || host == "localhost") return true;
  in_addr a4{};
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1) {
    const std::uint32_t ip = ntohl(a4.s_addr);
    const unsigned b0 = ip >> 24, b1 = (ip >> 16) & 0xFFU;
    return b0 == 127 || b0 == 10 || (b0 == 172 && b1 >= 16 && b1 <= 31) || (b0 == 192 && b1 == 168) || ip == 0;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
    static const in6_addr loop = IN6ADDR_LOOPBACK_INIT;
    static const in6_addr any = IN6ADDR_ANY_INIT;
    return std::memcmp(&a6, &loop, sizeof a6) == 0 || std::memcmp(&a6, &any, sizeof a6) == 0 ||
           (a6.s6_addr[0] & 0xFEU) == 0xFCU;
  }
  char hn[256] = {};
  if (gethostname(hn, sizeof hn - 1) == 0 && host == to_lower_ascii(hn)) return true;
  for (const char* tld : {".localhost", ".local", ".internal"}) {
    const std::size_t n = std::strlen(tld);
    if (host.size() > n && host.compare(host.size() - n, n, tld) == 0) return true;
  }
  return false;
}

void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace

std::string recorded_request::header(const std::string& name) const {
  for (const auto& kv : headers) {
    if (iequals(kv.first, name)) return kv.second;
  }
  return {};
}

bool recorded_request::has_header(const std::string& name) const {
  for (const auto& kv : headers) {
    if (iequals(kv.first, name)) return true;
  }
  return false;
}

const std::string& fake_ollama::unicode_reply() {
  static const std::string text =
      "Unicode check: \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9"
      "\xE3\x83\x88 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x9A\x80\xF0\x9F\x8E\x89 "
      "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB e\xCC\x81t\xC3\xA9 "
      "caf\xC3\xA9 <b>bold</b> & \"quoted\" back\\slash line\xE2\x80\xA8separator "
      "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 done.";
  return text;
}

// ------------------------------------------------------------------------------------------
// The server
// ------------------------------------------------------------------------------------------

struct fake_ollama::impl {
  struct model_state {
    model_spec spec;
    bool loaded = false;
    bool forever = false;
    clock_type::time_point expires{};
    std::optional<std::string> reply;
    std::optional<std::string> thinking;
    std::string cached_prompt;       // what the runner's KV cache holds (the last request's prompt)
    std::int64_t cached_tokens = 0;  // its token count
  };
  struct failure {
    int status;
    std::string message;
    std::size_t remaining;
    std::string path;
  };

  fake_ollama_config cfg;
  httplib::Server svr;
  std::thread thread;
  int port = -1;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<model_state> models;
  stream_behaviour mode;
  std::deque<stream_behaviour> next_modes;
  std::deque<failure> failures;
  std::optional<ojson> tool_arguments;
  bool parallel_tool_calls = false;
  bool separate_tool_chunk = false;
  std::optional<ojson> generate_tool_calls;
  bool signed_in = true;
  bool huge_context = false;
  std::size_t huge_context_count = 400000;
  stream_writer writer;  // framing, hang/disconnect bookkeeping
  std::vector<recorded_request> log;
  std::size_t next_index = 0;
  std::unordered_map<const httplib::Request*, std::vector<std::string>> stashed_accept_encoding;

  explicit impl(fake_ollama_config c) : cfg(std::move(c)) {
    if (cfg.models.empty()) cfg.models = default_models();
    for (const auto& s : cfg.models) {
      model_state st;
      st.spec = s;
      st.loaded = s.starts_loaded;
      st.expires = clock_type::now() + std::chrono::minutes(5);
      models.push_back(st);
    }
  }

  // ---- lookups (mu held) ----
  model_state* find_model(const std::string& name) {
    const std::string want = normalize_model(name);
    for (auto& m : models) {
      if (normalize_model(m.spec.name) == want) return &m;
    }
    return nullptr;
  }

  std::string created_at() const {
    return cfg.fixed_created_at.empty() ? rfc3339nano(clock_type::now()) : cfg.fixed_created_at;
  }

  // ---- request log ----
  // The body is read after pre-routing, so the entry is written by the post-routing handler (which
  // runs before the first response byte). Pre-routing only stashes Accept-Encoding, which it removes.
  void stash_accept_encoding(const httplib::Request& req) {
    std::vector<std::string> values;
    for (auto it = req.headers.begin(); it != req.headers.end(); ++it) {
      if (iequals(it->first, "Accept-Encoding")) values.push_back(it->second);
    }
    if (values.empty()) {
      std::lock_guard<std::mutex> lk(mu);
      stashed_accept_encoding.erase(&req);  // a stale entry of an earlier request at this address
      return;
    }
    // Go never compresses; keep httplib from gzipping text/plain bodies.
    auto& headers = const_cast<httplib::Request&>(req).headers;
    for (auto it = headers.begin(); it != headers.end();) {
      it = iequals(it->first, "Accept-Encoding") ? headers.erase(it) : std::next(it);
    }
    std::lock_guard<std::mutex> lk(mu);
    stashed_accept_encoding[&req] = std::move(values);
  }

  void record(const httplib::Request& req, int status) {
    recorded_request r;
    r.method = req.method;
    r.path = req.path;
    r.target = req.target;
    r.status = status;
    for (const auto& kv : req.headers) r.headers.emplace(kv.first, kv.second);
    r.body = req.body;
    if (!req.body.empty()) {
      decoded_body d = go_decode(req.body);
      if (d.ok) {
        try {
          r.json = nlohmann::json::parse(d.value.dump());
          r.json_valid = true;
        } catch (const std::exception&) {
        }
      }
    }
    std::lock_guard<std::mutex> lk(mu);
    auto it = stashed_accept_encoding.find(&req);
    if (it != stashed_accept_encoding.end()) {
      for (auto& v : it->second) r.headers.emplace("Accept-Encoding", std::move(v));
      stashed_accept_encoding.erase(it);
    }
    r.index = next_index++;
    log.push_back(std::move(r));
    cv.notify_all();
  }

  bool take_failure(const std::string& path, httplib::Response& res) {
    std::optional<failure> hit;
    {
      std::lock_guard<std::mutex> lk(mu);
      for (auto it = failures.begin(); it != failures.end(); ++it) {
        if (it->path.empty() || it->path == path) {
          hit = *it;
          if (--it->remaining == 0) failures.erase(it);
          break;
        }
      }
    }
    if (!hit) return false;
    send_error(res, hit->status, hit->message);
    return true;
  }

  stream_behaviour take_mode() {
    std::lock_guard<std::mutex> lk(mu);
    if (!next_modes.empty()) {
      stream_behaviour b = next_modes.front();
      next_modes.pop_front();
      return b;
    }
    return mode;
  }

  // Parses and validates the body; on failure the error response is already set.
  static std::optional<ojson> decode_request(const httplib::Request& req, httplib::Response& res, const schema& sc,
                                             const char* go_struct) {
    std::string error;
    std::optional<ojson> out = decode_and_validate(req.body, sc, go_struct, error);
    if (!out) send_error(res, 400, error);
    return out;
  }

  // After a request: load state follows keep_alive. Returns load_duration for the request.
  std::int64_t touch_model(const std::string& name, std::int64_t keep_alive) {
    std::lock_guard<std::mutex> lk(mu);
    model_state* m = find_model(name);
    if (m == nullptr) return 0;
    const std::int64_t load = m->loaded ? m->spec.warm_load_ns : m->spec.cold_load_ns;
    apply_keep_alive(*m, keep_alive);
    return load;
  }
  static void apply_keep_alive(model_state& m, std::int64_t keep_alive) {
    if (keep_alive == 0) {
      m.loaded = false;
      return;
    }
    m.loaded = true;
    m.forever = keep_alive == std::numeric_limits<std::int64_t>::max();
    if (!m.forever) m.expires = clock_type::now() + std::chrono::nanoseconds(keep_alive);
  }

  // ---- generation ----
  struct plan {
    std::vector<std::string> thinking;
    std::vector<std::string> content;
    ojson tool_calls;  // null or array
    std::string done_reason = "stop";
    std::int64_t prompt_eval_count = 0;  // includes cached tokens (servers >= v0.30.1)
    std::int64_t cached_tokens = 0;      // of those, served from the KV cache: no prompt_eval_duration
    std::int64_t eval_count = 0;
    std::int64_t load_ns = 0;
  };

  static ojson default_argument(const std::string& name, const ojson& prop) {
    const std::string type = prop.is_object() && prop.contains("type") && prop["type"].is_string()
                                 ? prop["type"].get<std::string>()
                                 : "string";
    if (type == "integer" || type == "number") return 42;
    if (type == "boolean") return true;
    if (type == "array") return ojson::array();
    if (type == "object") return ojson::object();
    if (prop.is_object() && prop.contains("enum") && prop["enum"].is_array() && !prop["enum"].empty())
      return prop["enum"][0];
    const std::string lname = to_lower_ascii(name);
    if (lname.find("city") != std::string::npos || lname.find("location") != std::string::npos) return "Tokyo";
    return "example";
  }

  static ojson arguments_for(const ojson& tool) {
    ojson args = ojson::object();
    if (!tool.contains("function") || !tool["function"].contains("parameters")) return args;
    const ojson& params = tool["function"]["parameters"];
    if (!params.is_object() || !params.contains("properties") || !params["properties"].is_object()) return args;
    const ojson& props = params["properties"];
    std::vector<std::string> keys;
    if (params.contains("required") && params["required"].is_array() && !params["required"].empty()) {
      for (const auto& r : params["required"]) {
        if (r.is_string()) keys.push_back(r.get<std::string>());
      }
    } else {
      for (auto it = props.begin(); it != props.end(); ++it) keys.push_back(it.key());
    }
    for (const auto& k : keys) args[k] = default_argument(k, props.contains(k) ? props[k] : ojson());
    return args;
  }

  static std::string format_reply(const ojson& format, const std::string& base) {
    if (format.is_string() && format.get<std::string>() == "json") {
      return "{\"reply\": " + ojson(base).dump() + "}";
    }
    if (format.is_object()) {
      std::string s = "{";
      bool first = true;
      if (format.contains("properties") && format["properties"].is_object()) {
        for (auto it = format["properties"].begin(); it != format["properties"].end(); ++it) {
          if (!first) s += ", ";
          first = false;
          s += ojson(it.key()).dump() + ": " + default_argument(it.key(), it.value()).dump();
        }
      }
      return s + "}";
    }
    return base;
  }

  static std::string apply_stop(const ojson& req, std::string text) {
    if (!req.contains("options") || !req["options"].contains("stop") || !req["options"]["stop"].is_array()) return text;
    std::size_t cut = text.size();
    for (const auto& s : req["options"]["stop"]) {
      if (!s.is_string() || s.get<std::string>().empty()) continue;
      const std::size_t p = text.find(s.get<std::string>());
      if (p != std::string::npos) cut = std::min(cut, p);
    }
    text.erase(cut);
    return text;
  }

  // Builds the whole answer of a chat (is_chat) or generate request. mu must NOT be held.
  plan make_plan(const ojson& req, bool is_chat, const std::optional<std::string>& reply,
                 const std::optional<std::string>& thinking_text, bool think) {
    plan p;
    bool parallel = false;
    std::optional<ojson> fixed_arguments;
    {
      std::lock_guard<std::mutex> lk(mu);
      parallel = parallel_tool_calls;
      fixed_arguments = tool_arguments;
    }
    std::string user_text;
    std::string last_role;
    std::string last_content;
    std::int64_t prompt = 8;
    if (is_chat) {
      if (req.contains("messages")) {
        for (const auto& m : req["messages"]) {
          const std::string role = to_lower_ascii(m.value("role", std::string()));
          const std::string content = m.value("content", std::string());
          prompt += 4 + count_words(content);
          if (role == "user") user_text = content;
          last_role = role;
          last_content = content;
        }
      }
      if (req.contains("tools")) prompt += 10 * static_cast<std::int64_t>(req["tools"].size());
    } else {
      user_text = req.value("prompt", std::string());
      last_role = "user";
      last_content = user_text;
      prompt += count_words(req.value("system", std::string())) + count_words(user_text) +
                count_words(req.value("suffix", std::string()));
      if (req.contains("context")) prompt += static_cast<std::int64_t>(req["context"].size());
    }
    p.prompt_eval_count = prompt;

    const bool want_tools = is_chat && req.contains("tools") && !req["tools"].empty() && last_role == "user";

    std::string text;
    if (reply) {
      text = *reply;
    } else if (last_role == "tool") {
      text = "The tool returned: " + first_words(last_content, 8);
    } else if (user_text.empty()) {
      text = "Hello! This is a deterministic reply.";
    } else {
      text = "You said: " + first_words(user_text, 6) + ". This is a deterministic reply.";
    }
    if (!reply && req.contains("format")) text = format_reply(req["format"], text);
    text = apply_stop(req, text);

    std::vector<std::string> think_tokens;
    if (think) {
      const std::string t =
          thinking_text ? *thinking_text : "Let me think about \"" + first_words(user_text, 4) + "\" before answering.";
      think_tokens = tokenize(t);
    }
    std::vector<std::string> content_tokens = want_tools ? std::vector<std::string>{} : tokenize(text);

    std::int64_t limit = option_int(req, "num_predict", -1);
    std::int64_t produced = 0;
    bool truncated = false;
    auto take = [&](std::vector<std::string>& from, std::vector<std::string>& to) {
      for (auto& t : from) {
        if (limit >= 0 && produced >= limit) {
          truncated = true;
          return;
        }
        to.push_back(std::move(t));
        ++produced;
      }
    };
    take(think_tokens, p.thinking);
    take(content_tokens, p.content);

    if (want_tools && !truncated) {
      constexpr std::int64_t tool_tokens = 12;
      if (limit >= 0 && produced + tool_tokens > limit) {
        truncated = true;
      } else {
        p.tool_calls = ojson::array();
        const ojson& tools = req["tools"];
        const std::size_t n = parallel ? tools.size() : 1;
        for (std::size_t k = 0; k < n; ++k) {
          const ojson& tool = tools[k];
          // Seeded by the conversation: the same messages and tools give the same id.
          std::uint64_t state = fnv1a(req["messages"].dump() + req["tools"].dump(), 0x12345678ULL + k);
          std::string id = "call_";
          static const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
          for (int c = 0; c < 8; ++c) id += alphabet[splitmix64(state) % 36];
          ojson call = ojson::object();
          call["id"] = id;
          ojson fn = ojson::object();
          fn["index"] = k;
          fn["name"] = tool.contains("function") ? tool["function"].value("name", std::string()) : std::string();
          fn["arguments"] = fixed_arguments ? *fixed_arguments : arguments_for(tool);
          call["function"] = std::move(fn);
          p.tool_calls.push_back(std::move(call));
          produced += tool_tokens;
        }
      }
    }
    p.eval_count = produced;
    if (truncated) p.done_reason = "length";
    return p;
  }

  static std::int64_t prompt_eval_ns(const plan& p) {
    return 1000000 + (p.prompt_eval_count - p.cached_tokens) * 250000;
  }
  static std::int64_t eval_ns_of(const plan& p) { return p.eval_count * 20000000; }

  // Pacing mode: the wait before each stream line: load + prompt evaluation before the first, then
  // the generation time shared out over the generated lines (the final done line follows at once).
  static std::vector<std::chrono::nanoseconds> pace_lines(const plan& p, std::size_t lines) {
    std::vector<std::chrono::nanoseconds> pace(lines, std::chrono::nanoseconds(0));
    if (lines == 0) return pace;
    pace[0] = std::chrono::nanoseconds(p.load_ns + prompt_eval_ns(p));
    const std::size_t generated = lines - 1;
    for (std::size_t i = 0; i < generated; ++i)
      pace[i] += std::chrono::nanoseconds(eval_ns_of(p) / static_cast<std::int64_t>(generated));
    return pace;
  }

  static void add_metrics(ojson& o, const plan& p) {
    const std::int64_t prompt_ns = prompt_eval_ns(p);
    const std::int64_t eval_ns = eval_ns_of(p);
    const std::int64_t total = p.load_ns + prompt_ns + eval_ns + k_overhead_ns;
    o["total_duration"] = total;
    if (p.load_ns) o["load_duration"] = p.load_ns;
    if (p.prompt_eval_count) o["prompt_eval_count"] = p.prompt_eval_count;
    o["prompt_eval_duration"] = prompt_ns;
    if (p.eval_count) {
      o["eval_count"] = p.eval_count;
      o["eval_duration"] = eval_ns;
    }
  }

  // Cloud aliases: the answer names the remote model and says where it ran.
  static void add_model(ojson& o, const std::string& model, const model_spec& spec) {
    if (spec.remote_host.empty()) {
      o["model"] = model;  // echoed exactly as sent
      return;
    }
    o["model"] = spec.remote_model;
    o["remote_model"] = spec.remote_model;
    o["remote_host"] = spec.remote_host;
  }

  ojson chat_chunk(const std::string& model, const model_spec& spec, const std::string& content,
                   const std::string* thinking, const ojson* tool_calls) const {
    ojson o = ojson::object();
    add_model(o, model, spec);
    o["created_at"] = created_at();
    ojson msg = ojson::object();
    msg["role"] = "assistant";
    msg["content"] = content;
    if (thinking && !thinking->empty()) msg["thinking"] = *thinking;
    if (tool_calls && tool_calls->is_array() && !tool_calls->empty()) msg["tool_calls"] = *tool_calls;
    o["message"] = std::move(msg);
    o["done"] = false;
    return o;
  }

  ojson generate_chunk(const std::string& model, const model_spec& spec, const std::string& response,
                       const std::string* thinking) const {
    ojson o = ojson::object();
    add_model(o, model, spec);
    o["created_at"] = created_at();
    o["response"] = response;
    if (thinking && !thinking->empty()) o["thinking"] = *thinking;
    o["done"] = false;
    return o;
  }

  ojson context_array(const plan& p, std::string_view seed_text) const {
    std::size_t n = static_cast<std::size_t>(p.prompt_eval_count + p.eval_count);
    {
      std::lock_guard<std::mutex> lk(mu);
      if (huge_context) n = huge_context_count;
    }
    ojson ctx = ojson::array();
    std::uint64_t state = fnv1a(seed_text);
    for (std::size_t i = 0; i < n; ++i) ctx.push_back(100000 + static_cast<std::int64_t>(splitmix64(state) % 28000));
    return ctx;
  }

  // 401 for a cloud model while the server is signed out (server/routes.go).
  static void send_unauthorized(httplib::Response& res) {
    ojson body = ojson::object();
    body["error"] = "unauthorized";
    body["signin_url"] = "https://ollama.com/connect?name=fake-ollama&key=ZmFrZS1rZXk";
    send_json(res, 401, body);
  }

  // llm/server.go: null and "" mean unset, "json" and an object are fine, anything else fails.
  static std::string format_error(const ojson& rq) {
    if (!rq.contains("format")) return {};
    const ojson& f = rq["format"];
    if (f.is_null() || f.is_object() ||
        (f.is_string() && (f.get<std::string>().empty() || f.get<std::string>() == "json")))
      return {};
    std::string quoted = "\"";  // Go's %q of the raw JSON bytes
    for (char c : go_encode(f)) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += '"';
    return "invalid format: " + quoted + "; expected \"json\" or a valid JSON Schema object";
  }

  void add_generate_tool_calls(ojson& o) const {
    std::lock_guard<std::mutex> lk(mu);
    if (generate_tool_calls && generate_tool_calls->is_array() && !generate_tool_calls->empty())
      o["tool_calls"] = *generate_tool_calls;
  }

  // The runner's prompt cache: a request whose prompt starts with the previous request's (same
  // model; a continued conversation, or the same prompt again) reuses those tokens. prompt_eval_count
  // still counts them (since v0.30.1), prompt_eval_duration does not. Returns the cached count.
  std::int64_t use_prompt_cache(const std::string& model, const ojson& rq, bool is_chat, std::int64_t prompt_tokens) {
    std::string key;
    if (is_chat && rq.contains("messages") && rq["messages"].is_array()) {
      for (const auto& m : rq["messages"]) key += m.dump() + "\x1e";
    } else {
      key = rq.value("system", std::string()) + "\x1f" + rq.value("prompt", std::string());
    }
    if (!cfg.prompt_cache) return 0;
    std::lock_guard<std::mutex> lk(mu);
    model_state* m = find_model(model);
    if (m == nullptr) return 0;
    std::int64_t cached = 0;
    if (m->loaded && !m->cached_prompt.empty() && key.compare(0, m->cached_prompt.size(), m->cached_prompt) == 0)
      cached = std::min(m->cached_tokens, prompt_tokens - 1);  // the last token is always evaluated
    m->cached_prompt = key;
    m->cached_tokens = prompt_tokens;
    return std::max<std::int64_t>(cached, 0);
  }

  // ---- endpoints ----

  // Common model checks for chat/generate. Returns false when an error was sent.
  bool check_think(const ojson& rq, httplib::Response& res) {
    if (rq.contains("think") && rq["think"].is_string()) {
      const std::string t = rq["think"].get<std::string>();
      if (t != "low" && t != "medium" && t != "high" && t != "max") {
        send_error(res, 400,
                   "invalid think value: " + ojson(t).dump() +
                       " (must be \"high\", \"medium\", \"low\", \"max\", true, or false)");
        return false;
      }
    }
    return true;
  }

  static bool think_requested(const ojson& rq, bool capable) {
    if (!rq.contains("think")) return capable;
    const ojson& t = rq["think"];
    if (t.is_boolean()) return t.get<bool>();
    return t.is_string();
  }

  void handle_generation(const httplib::Request& req, httplib::Response& res, bool is_chat) {
    if (take_failure(req.path, res)) return;
    auto parsed = decode_request(req, res, is_chat ? chat_schema() : generate_schema(),
                                 is_chat ? "ChatRequest" : "GenerateRequest");
    if (!parsed) return;
    const ojson& rq = *parsed;
    const std::string model = rq.value("model", std::string());

    if (is_chat && !valid_model_name(model)) return send_error(res, 400, "model is required");
    if (!check_think(rq, res)) return;

    model_spec spec;
    std::optional<std::string> reply, thinking_text;
    {
      std::lock_guard<std::mutex> lk(mu);
      model_state* m = valid_model_name(model) ? find_model(model) : nullptr;
      if (m == nullptr) return send_error(res, 404, "model '" + model + "' not found");
      spec = m->spec;
      reply = m->reply;
      thinking_text = m->thinking;
      if (!spec.remote_host.empty() && !signed_in) return send_unauthorized(res);
    }
    if (rq.contains("top_logprobs")) {
      const auto tl = rq["top_logprobs"].get<std::int64_t>();
      if (tl < 0 || tl > 20) return send_error(res, 400, "top_logprobs must be between 0 and 20");
    }
    if (!spec.completion)
      return send_error(res, 400, "\"" + model + "\" does not support " + (is_chat ? "chat" : "generate"));
    if (is_chat && rq.contains("tools") && !rq["tools"].empty() && !spec.tools)
      return send_error(res, 400,
                        "registry.ollama.ai/library/" + normalize_model(spec.name) + " does not support tools");
    const bool explicit_think = rq.contains("think") && think_requested(rq, false);
    if (explicit_think && !spec.thinking) return send_error(res, 400, "\"" + model + "\" does not support thinking");
    if (!is_chat && rq.value("raw", false) &&
        (!rq.value("template", std::string()).empty() || !rq.value("system", std::string()).empty() ||
         (rq.contains("context") && !rq["context"].empty())))
      return send_error(res, 400, "raw mode does not support template, system, or context");
    if (std::string e = check_options(rq); !e.empty()) return send_error(res, 500, e);

    const std::int64_t keep_alive = keep_alive_ns(rq);
    const bool empty =
        is_chat ? (!rq.contains("messages") || rq["messages"].empty()) : rq.value("prompt", std::string()).empty();
    if (empty) {
      touch_model(model, keep_alive);
      ojson o = ojson::object();
      add_model(o, model, spec);
      o["created_at"] = created_at();
      if (is_chat) {
        ojson msg = ojson::object();
        msg["role"] = "assistant";
        msg["content"] = "";
        o["message"] = std::move(msg);
      } else {
        o["response"] = "";
      }
      o["done"] = true;
      o["done_reason"] = keep_alive == 0 ? "unload" : "load";
      return send_json(res, 200, o);
    }

    const bool think = spec.thinking && think_requested(rq, true);
    plan p = make_plan(rq, is_chat, reply, thinking_text, think);
    p.cached_tokens = use_prompt_cache(model, rq, is_chat, p.prompt_eval_count);
    p.load_ns = touch_model(model, keep_alive);
    // The runner checks `format` only once the model is loaded: a 500 through the scheduler path.
    if (std::string e = format_error(rq); !e.empty()) return send_error(res, 500, e);
    const bool stream = rq.value("stream", true);
    const stream_behaviour b = take_mode();
    const bool want_context = !is_chat && !rq.value("raw", false);

    if (stream) {
      std::vector<std::string> lines;
      for (const auto& t : p.thinking) {
        lines.push_back(
            go_encode(is_chat ? chat_chunk(model, spec, "", &t, nullptr) : generate_chunk(model, spec, "", &t)) + "\n");
      }
      for (const auto& t : p.content) {
        lines.push_back(go_encode(is_chat ? chat_chunk(model, spec, t, nullptr, nullptr)
                                          : generate_chunk(model, spec, t, nullptr)) +
                        "\n");
      }
      bool separate = false;
      {
        std::lock_guard<std::mutex> lk(mu);
        separate = separate_tool_chunk;
      }
      // Current servers (llama-server path, v0.30.0+) put the tool calls on the final chunk.
      if (p.tool_calls.is_array() && separate)
        lines.push_back(go_encode(chat_chunk(model, spec, "", nullptr, &p.tool_calls)) + "\n");
      ojson fin = is_chat ? chat_chunk(model, spec, "", nullptr, separate ? nullptr : &p.tool_calls)
                          : generate_chunk(model, spec, "", nullptr);
      if (!is_chat) add_generate_tool_calls(fin);
      fin["done"] = true;
      fin["done_reason"] = p.done_reason;
      if (want_context) fin["context"] = context_array(p, req.body);
      add_metrics(fin, p);
      lines.push_back(go_encode(fin) + "\n");
      auto pace = cfg.pacing ? pace_lines(p, lines.size()) : std::vector<std::chrono::nanoseconds>{};
      return writer.send_stream(res, std::move(lines), b, std::move(pace));
    }

    std::string content, thinking;
    for (const auto& t : p.content) content += t;
    for (const auto& t : p.thinking) thinking += t;
    ojson o = is_chat ? chat_chunk(model, spec, content, &thinking, &p.tool_calls)
                      : generate_chunk(model, spec, content, &thinking);
    if (!is_chat) add_generate_tool_calls(o);
    o["done"] = true;
    o["done_reason"] = p.done_reason;
    if (want_context) o["context"] = context_array(p, req.body);
    add_metrics(o, p);
    if (cfg.pacing && !writer.pause(std::chrono::nanoseconds(p.load_ns + prompt_eval_ns(p) + eval_ns_of(p)))) return;
    writer.send_body(res, go_encode(o), b);
  }

  void handle_embed(const httplib::Request& req, httplib::Response& res) {
    if (take_failure(req.path, res)) return;
    auto parsed = decode_request(req, res, embed_schema(), "EmbedRequest");
    if (!parsed) return;
    const ojson& rq = *parsed;
    const std::string model = rq.value("model", std::string());
    if (model.empty()) return send_error(res, 404, "model '' not found");
    model_spec spec;
    {
      std::lock_guard<std::mutex> lk(mu);
      model_state* m = valid_model_name(model) ? find_model(model) : nullptr;
      if (m == nullptr) return send_error(res, 404, "model \"" + model + "\" not found, try pulling it first");
      spec = m->spec;
    }
    std::vector<std::string> inputs;
    if (rq.contains("input")) {
      const ojson& in = rq["input"];
      if (in.is_string()) {
        if (!in.get<std::string>().empty()) inputs.push_back(in.get<std::string>());
      } else if (in.is_array()) {
        for (const auto& e : in) {
          if (!e.is_string()) return send_error(res, 400, "invalid input type");
          inputs.push_back(e.get<std::string>());
        }
      } else {
        return send_error(res, 400, "invalid input type");
      }
    }
    if (std::string e = check_options(rq); !e.empty()) return send_error(res, 500, e);
    const std::int64_t keep_alive = keep_alive_ns(rq);
    if (inputs.empty()) {
      touch_model(model, keep_alive);
      ojson o = ojson::object();
      o["model"] = model;
      o["embeddings"] = ojson::array();
      return send_json(res, 200, o);
    }
    const bool truncate = rq.value("truncate", true);
    const std::int64_t ctx = option_int(rq, "num_ctx", spec.context_length);
    std::int64_t prompt_tokens = 0;
    for (const auto& text : inputs) {
      const std::int64_t n = estimate_tokens(text);
      if (n > ctx && !truncate) return send_error(res, 400, "the input length exceeds the context length");
      prompt_tokens += std::min(n, ctx);
    }
    const std::int64_t dims_req = rq.contains("dimensions") ? rq["dimensions"].get<std::int64_t>() : 0;
    const std::int64_t load = touch_model(model, keep_alive);
    ojson vectors = ojson::array();
    for (const auto& text : inputs) {
      std::vector<double> v = normalized(raw_embedding(spec.name, text, spec.embedding_length));
      if (dims_req > 0 && static_cast<std::size_t>(dims_req) < v.size()) {
        v.resize(static_cast<std::size_t>(dims_req));
        v = normalized(std::move(v));
      }
      ojson arr = ojson::array();
      for (double x : v) arr.push_back(static_cast<double>(static_cast<float>(x)));
      vectors.push_back(std::move(arr));
    }
    ojson o = ojson::object();
    o["model"] = model;
    o["embeddings"] = std::move(vectors);
    const std::int64_t total = load + 1000000 + prompt_tokens * 50000 + k_overhead_ns;
    o["total_duration"] = total;
    if (load) o["load_duration"] = load;
    o["prompt_eval_count"] = prompt_tokens;
    if (cfg.pacing && !writer.pause(std::chrono::nanoseconds(total))) return;
    send_json(res, 200, o, true);
  }

  void handle_embeddings(const httplib::Request& req, httplib::Response& res) {
    if (take_failure(req.path, res)) return;
    auto parsed = decode_request(req, res, embeddings_schema(), "EmbeddingRequest");
    if (!parsed) return;
    const ojson& rq = *parsed;
    const std::string model = rq.value("model", std::string());
    if (model.empty()) return send_error(res, 400, "model is required");
    model_spec spec;
    {
      std::lock_guard<std::mutex> lk(mu);
      model_state* m = valid_model_name(model) ? find_model(model) : nullptr;
      if (m == nullptr) return send_error(res, 404, "model \"" + model + "\" not found, try pulling it first");
      spec = m->spec;
    }
    if (std::string e = check_options(rq); !e.empty()) return send_error(res, 500, e);
    const std::string prompt = rq.value("prompt", std::string());
    touch_model(model, keep_alive_ns(rq));
    ojson arr = ojson::array();
    if (!prompt.empty()) {
      const std::vector<double> v = normalized(raw_embedding(spec.name, prompt, spec.embedding_length));
      const double scale = 3.0 + static_cast<double>(fnv1a(prompt) % 1000) / 100.0;  // not normalised
      for (double x : v) arr.push_back(x * scale);
    }
    ojson o = ojson::object();
    o["embedding"] = std::move(arr);
    send_json(res, 200, o);
  }

  ojson details_of(const model_spec& s) const {
    ojson d = ojson::object();
    d["parent_model"] = "";
    d["format"] = "gguf";
    d["family"] = s.family;
    d["families"] = ojson::array({s.family});
    d["parameter_size"] = s.parameter_size;
    d["quantization_level"] = s.quantization_level;
    return d;
  }

  static ojson capabilities_of(const model_spec& s) {
    ojson c = ojson::array();
    if (s.completion) c.push_back("completion");
    if (s.embedding) c.push_back("embedding");
    if (s.tools) c.push_back("tools");
    if (s.thinking) c.push_back("thinking");
    if (s.vision) c.push_back("vision");
    return c;
  }

  static std::string modified_at_of(const model_spec& s) {
    // Local-time style with an offset, as the real /api/tags shows.
    const auto day = 1 + static_cast<int>(fnv1a(s.name) % 28);
    char buf[64];
    std::snprintf(buf, sizeof buf, "2025-06-%02dT10:20:30.123456789-07:00", day);
    return buf;
  }

  void handle_tags(const httplib::Request&, httplib::Response& res) {
    ojson list = ojson::array();
    std::lock_guard<std::mutex> lk(mu);
    for (const auto& m : models) {
      ojson e = ojson::object();
      const std::string full = with_tag(m.spec.name);
      e["name"] = full;
      e["model"] = full;
      e["modified_at"] = modified_at_of(m.spec);
      e["size"] = m.spec.size;
      e["digest"] = fake_digest(full);
      if (!m.spec.remote_host.empty()) {
        e["remote_model"] = m.spec.remote_model;
        e["remote_host"] = m.spec.remote_host;
      }
      ojson d = details_of(m.spec);
      d["context_length"] = m.spec.context_length;
      d["embedding_length"] = m.spec.embedding_length;
      e["details"] = std::move(d);
      e["capabilities"] = capabilities_of(m.spec);
      list.push_back(std::move(e));
    }
    ojson o = ojson::object();
    o["models"] = std::move(list);
    send_json(res, 200, o);
  }

  // The scheduler's expiry in the server's local zone. Kept forever (keep_alive < 0): now plus
  // Go's largest Duration (math.MaxInt64 ns, ~292 years), i.e. around the year 2318.
  std::string expires_at_of(const model_state& m) const {
    if (!m.forever) return rfc3339nano(m.expires, cfg.utc_offset_minutes);
    const auto now_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
    std::int64_t s = now_ns / 1000000000 + 9223372036;
    std::int64_t ns = now_ns % 1000000000 + 854775807;
    if (ns >= 1000000000) {
      ns -= 1000000000;
      ++s;
    }
    return rfc3339nano_at(s, ns, cfg.utc_offset_minutes);
  }

  void handle_ps(const httplib::Request&, httplib::Response& res) {
    std::vector<const model_state*> loaded;
    std::lock_guard<std::mutex> lk(mu);
    for (const auto& m : models) {
      if (m.loaded) loaded.push_back(&m);
    }
    std::stable_sort(loaded.begin(), loaded.end(), [](const model_state* a, const model_state* b) {
      if (a->forever != b->forever) return a->forever;
      return a->expires > b->expires;
    });
    ojson list = ojson::array();
    for (const model_state* m : loaded) {
      ojson e = ojson::object();
      const std::string full = with_tag(m->spec.name);
      e["name"] = full;
      e["model"] = full;
      e["size"] = m->spec.size;
      e["digest"] = fake_digest(full);
      e["details"] = details_of(m->spec);
      e["expires_at"] = expires_at_of(*m);
      e["size_vram"] = m->spec.size_vram < 0 ? m->spec.size : m->spec.size_vram;
      e["context_length"] = m->spec.context_length;
      list.push_back(std::move(e));
    }
    ojson o = ojson::object();
    o["models"] = std::move(list);
    send_json(res, 200, o);
  }

  void handle_show(const httplib::Request& req, httplib::Response& res) {
    if (take_failure(req.path, res)) return;
    auto parsed = decode_request(req, res, show_schema(), "ShowRequest");
    if (!parsed) return;
    const ojson& rq = *parsed;
    std::string model = rq.value("model", std::string());
    if (model.empty()) model = rq.value("name", std::string());
    if (model.empty()) return send_error(res, 400, "model is required");
    model_spec spec;
    {
      std::lock_guard<std::mutex> lk(mu);
      model_state* m = valid_model_name(model) ? find_model(model) : nullptr;
      if (m == nullptr) return send_error(res, 404, "model '" + with_tag(model) + "' not found");
      spec = m->spec;
    }
    const bool verbose = rq.value("verbose", false);
    const std::string arch = spec.family;
    ojson o = ojson::object();
    o["license"] = "Fake license for tests.";
    o["modelfile"] =
        "# Modelfile generated by the llmtrace fake\nFROM " + with_tag(spec.name) + "\nTEMPLATE \"{{ .Prompt }}\"\n";
    o["parameters"] = spec.embedding ? "num_ctx                        " + std::to_string(spec.context_length)
                                     : std::string(
                                           "stop                           \"<|eot_id|>\"\n"
                                           "temperature                    0.6");
    o["template"] = "{{ if .System }}{{ .System }}{{ end }}{{ .Prompt }}";
    if (spec.thinking) {  // models with a built-in renderer / parser (qwen3, gpt-oss)
      o["renderer"] = spec.family;
      o["parser"] = spec.family;
    }
    if (!spec.remote_host.empty()) {
      o["remote_model"] = spec.remote_model;
      o["remote_host"] = spec.remote_host;
    }
    o["details"] = details_of(spec);
    if (spec.name == "llama3.2") {  // a Modelfile with MESSAGE lines
      ojson msgs = ojson::array();
      msgs.push_back(ojson{{"role", "user"}, {"content", "Is the sky blue?"}});
      msgs.push_back(ojson{{"role", "assistant"}, {"content", "Yes."}});
      o["messages"] = std::move(msgs);
    }
    // model_info is a Go map: keys come out sorted.
    std::map<std::string, ojson> info;
    info["general.architecture"] = arch;
    info["general.basename"] = spec.name;
    info["general.file_type"] = 15;
    info["general.parameter_count"] = static_cast<std::int64_t>(spec.size / 2);
    info["general.quantization_version"] = 2;
    info[arch + ".context_length"] = spec.context_length;
    info[arch + ".embedding_length"] = spec.embedding_length;
    info[arch + ".block_count"] = 28;
    info["tokenizer.ggml.model"] = "gpt2";
    info["tokenizer.ggml.tokens"] = verbose ? ojson::array({"<s>", "</s>", "hello"}) : ojson::array();
    info["tokenizer.ggml.token_type"] = verbose ? ojson::array({3, 3, 1}) : ojson::array();
    ojson mi = ojson::object();
    for (auto& kv : info) mi[kv.first] = std::move(kv.second);
    o["model_info"] = std::move(mi);
    if (spec.vision) {
      ojson pi = ojson::object();
      pi["clip.has_vision_encoder"] = true;
      pi["clip.vision.embedding_length"] = 1152;
      o["projector_info"] = std::move(pi);
    }
    if (verbose) {
      ojson tensors = ojson::array();
      tensors.push_back(ojson{{"name", "token_embd.weight"}, {"type", "Q4_K"}, {"shape", {128256, 3072}}});
      tensors.push_back(ojson{{"name", "output_norm.weight"}, {"type", "F32"}, {"shape", {3072}}});
      o["tensors"] = std::move(tensors);
    }
    o["capabilities"] = capabilities_of(spec);
    o["modified_at"] = modified_at_of(spec);
    if (!spec.remote_host.empty()) o["requires"] = "0.12.0";
    send_json(res, 200, o);
  }

  // ---- model management (server/routes.go, server/images.go) ----

  // model_spec::name of a model added by name ("mistral", "me/pirate", "llama3.2:1b").
  static std::string spec_name(const std::string& model) {
    std::string n = normalize_model(model);
    if (n.size() > 7 && n.compare(n.size() - 7, 7, ":latest") == 0) n.erase(n.size() - 7);
    return n;
  }

  // Progress lines for the layers of `spec`: the model blob plus template, license and params, each
  // reported in four steps (a real pull repeats the object as bytes arrive).
  static void layer_lines(std::vector<std::string>& lines, const model_spec& spec, const char* verb) {
    const std::int64_t sizes[] = {spec.size > 0 ? spec.size : 1000000, 1429, 7711, 96};
    for (std::size_t k = 0; k < 4; ++k) {
      const std::string hex = fake_digest(spec.name + "#layer" + std::to_string(k));
      for (int step = 1; step <= 4; ++step) {
        ojson o = ojson::object();
        o["status"] = std::string(verb) + " " + hex.substr(0, 12);
        o["digest"] = "sha256:" + hex;
        o["total"] = sizes[k];
        o["completed"] = sizes[k] / 4 * step + (step == 4 ? sizes[k] % 4 : 0);
        lines.push_back(go_encode(o) + "\n");
      }
    }
  }
  static std::string status_line(const std::string& status) {
    ojson o = ojson::object();
    o["status"] = status;
    return go_encode(o) + "\n";
  }
  static std::string error_line(const std::string& message) {
    ojson o = ojson::object();
    o["error"] = message;
    return go_encode(o) + "\n";
  }
  // stream:false answers with the last object only (or the error as a status).
  void send_progress(httplib::Response& res, const ojson& rq, std::vector<std::string> lines) {
    if (!rq.value("stream", true)) {
      const std::string& last = lines.back();
      decoded_body d = go_decode(last);
      if (d.ok && d.value.contains("error")) return send_error(res, 500, d.value["error"].get<std::string>());
      res.status = 200;
      res.set_content(last.substr(0, last.size() - 1), k_json_type);
      return;
    }
    writer.send_stream(res, std::move(lines), take_mode());
  }

  void handle_pull(const httplib::Request& req, httplib::Response& res) {
    if (take_failure(req.path, res)) return;
    auto parsed = decode_request(req, res, pull_schema(), "PullRequest");
    if (!parsed) return;
    const ojson& rq = *parsed;
    std::string model = rq.value("model", std::string());
    if (model.empty()) model = rq.value("name", std::string());
    if (!valid_model_name(model)) return send_error(res, 400, "invalid model name");
    std::vector<std::string> lines{status_line("pulling manifest")};
    // The fake registry has every model except names starting with "nosuch".
    if (model.rfind("nosuch", 0) == 0) {
      lines.push_back(error_line("pull model manifest: file does not exist"));
      return send_progress(res, rq, std::move(lines));
    }
    model_spec spec;
    {
      std::lock_guard<std::mutex> lk(mu);
      if (model_state* m = find_model(model)) {
        spec = m->spec;
      } else {
        spec.name = spec_name(model);
        spec.starts_loaded = false;
        model_state st;
        st.spec = spec;
        models.push_back(st);
      }
    }
    layer_lines(lines, spec, "pulling");
    lines.push_back(status_line("verifying sha256 digest"));
    lines.push_back(status_line("writing manifest"));
    lines.push_back(status_line("success"));
    send_progress(res, rq, std::move(lines));
  }

  void handle_push(const httplib::Request& req, httplib::Response& res) {
    if (take_failure(req.path, res)) return;
    auto parsed = decode_request(req, res, pull_schema(), "PushRequest");
    if (!parsed) return;
    const ojson& rq = *parsed;
    std::string model = rq.value("model", std::string());
    if (model.empty()) model = rq.value("name", std::string());
    if (!valid_model_name(model)) return send_error(res, 400, "invalid model name");
    std::vector<std::string> lines{status_line("retrieving manifest")};
    model_spec spec;
    {
      std::lock_guard<std::mutex> lk(mu);
      model_state* m = find_model(model);
      if (m == nullptr) return send_error(res, 404, "model '" + with_tag(model) + "' not found");
      spec = m->spec;
    }
    if (normalize_model(model).find('/') == std::string::npos) {
      lines.push_back(
          error_line("you are not authorized to push to this namespace, create the model under a namespace you own"));
      return send_progress(res, rq, std::move(lines));
    }
    layer_lines(lines, spec, "pushing");
    lines.push_back(status_line("pushing manifest"));
    lines.push_back(status_line("success"));
    send_progress(res, rq, std::move(lines));
  }

  void handle_create(const httplib::Request& req, httplib::Response& res) {
    if (take_failure(req.path, res)) return;
    auto parsed = decode_request(req, res, create_schema(), "CreateRequest");
    if (!parsed) return;
    const ojson& rq = *parsed;
    std::string model = rq.value("model", std::string());
    if (model.empty()) model = rq.value("name", std::string());
    if (!valid_model_name(model)) return send_error(res, 400, "invalid model name");
    const std::string from = rq.value("from", std::string());
    std::vector<std::string> lines{status_line("gathering model components")};
    std::optional<model_spec> base;
    {
      std::lock_guard<std::mutex> lk(mu);
      if (model_state* m = from.empty() ? nullptr : find_model(from)) base = m->spec;
    }
    if (!base) {  // (send_progress takes mu: not while holding it)
      lines.push_back(error_line(from.empty() ? "neither 'from' or 'files' was specified"
                                              : "model '" + with_tag(from) + "' not found"));
      return send_progress(res, rq, std::move(lines));
    }
    model_spec spec = *base;
    lines.push_back(status_line("using existing layer sha256:" + fake_digest(spec.name + "#layer0")));
    const std::string extra = rq.value("system", std::string()) + rq.dump();
    lines.push_back(status_line("creating new layer sha256:" + fake_digest(model + extra)));
    lines.push_back(status_line("writing manifest"));
    lines.push_back(status_line("success"));
    spec.name = spec_name(model);
    spec.starts_loaded = false;
    {
      std::lock_guard<std::mutex> lk(mu);
      if (find_model(model) == nullptr) {
        model_state st;
        st.spec = spec;
        models.push_back(st);
      }
    }
    send_progress(res, rq, std::move(lines));
  }

  void handle_copy(const httplib::Request& req, httplib::Response& res) {
    auto parsed = decode_request(req, res, copy_schema(), "CopyRequest");
    if (!parsed) return;
    const std::string source = parsed->value("source", std::string());
    const std::string destination = parsed->value("destination", std::string());
    if (!valid_model_name(source) || !valid_model_name(destination))
      return send_error(res, 400, "source and destination must be valid model names");
    std::lock_guard<std::mutex> lk(mu);
    model_state* m = find_model(source);
    if (m == nullptr) return send_error(res, 404, "model \"" + source + "\" not found");
    model_state copy = *m;
    copy.spec.name = spec_name(destination);
    copy.loaded = false;
    if (model_state* existing = find_model(destination))
      *existing = copy;
    else
      models.push_back(copy);
    res.status = 200;
  }

  void handle_delete(const httplib::Request& req, httplib::Response& res) {
    auto parsed = decode_request(req, res, delete_schema(), "DeleteRequest");
    if (!parsed) return;
    std::string model = parsed->value("model", std::string());
    if (model.empty()) model = parsed->value("name", std::string());
    if (!valid_model_name(model)) return send_error(res, 400, "name \"" + model + "\" is invalid");
    std::lock_guard<std::mutex> lk(mu);
    const std::string want = normalize_model(model);
    for (auto it = models.begin(); it != models.end(); ++it) {
      if (normalize_model(it->spec.name) == want) {
        models.erase(it);
        res.status = 200;
        return;
      }
    }
    send_error(res, 404, "model '" + model + "' not found");
  }

  // ---- routing ----
  static const std::map<std::string, std::set<std::string>>& known_routes() {
    static const std::map<std::string, std::set<std::string>> routes = {
        {"/", {"GET", "HEAD"}},   {"/api/version", {"GET", "HEAD"}}, {"/api/tags", {"GET", "HEAD"}},
        {"/api/ps", {"GET"}},     {"/api/chat", {"POST"}},           {"/api/generate", {"POST"}},
        {"/api/embed", {"POST"}}, {"/api/embeddings", {"POST"}},     {"/api/show", {"POST"}},
        {"/api/pull", {"POST"}},  {"/api/push", {"POST"}},           {"/api/create", {"POST"}},
        {"/api/copy", {"POST"}},  {"/api/delete", {"DELETE"}},
    };
    return routes;
  }

  void not_routed(const httplib::Request& req, httplib::Response& res) {
    const auto& routes = known_routes();
    if (routes.count(req.path)) return send_text(res, 405, "405 method not allowed");
    send_text(res, 404, "404 page not found");
  }

  void install_routes() {
    svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      stash_accept_encoding(req);
      if (cfg.check_host_header && !allowed_host(req.get_header_value("Host"))) {
        res.status = 403;
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    svr.set_post_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) { record(req, res.status); });

    svr.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.status = 200;
      res.set_content("Ollama is running", "text/plain; charset=utf-8");
    });
    svr.Get("/api/version", [this](const httplib::Request&, httplib::Response& res) {
      ojson o = ojson::object();
      o["version"] = cfg.version;
      send_json(res, 200, o);
    });
    svr.Get("/api/tags", [this](const httplib::Request& req, httplib::Response& res) { handle_tags(req, res); });
    svr.Get("/api/ps", [this](const httplib::Request& req, httplib::Response& res) { handle_ps(req, res); });
    svr.Post("/api/chat",
             [this](const httplib::Request& req, httplib::Response& res) { handle_generation(req, res, true); });
    svr.Post("/api/generate",
             [this](const httplib::Request& req, httplib::Response& res) { handle_generation(req, res, false); });
    svr.Post("/api/embed", [this](const httplib::Request& req, httplib::Response& res) { handle_embed(req, res); });
    svr.Post("/api/embeddings",
             [this](const httplib::Request& req, httplib::Response& res) { handle_embeddings(req, res); });
    svr.Post("/api/show", [this](const httplib::Request& req, httplib::Response& res) { handle_show(req, res); });
    svr.Post("/api/pull", [this](const httplib::Request& req, httplib::Response& res) { handle_pull(req, res); });
    svr.Post("/api/push", [this](const httplib::Request& req, httplib::Response& res) { handle_push(req, res); });
    svr.Post("/api/create", [this](const httplib::Request& req, httplib::Response& res) { handle_create(req, res); });
    svr.Post("/api/copy", [this](const httplib::Request& req, httplib::Response& res) { handle_copy(req, res); });
    svr.Delete("/api/delete", [this](const httplib::Request& req, httplib::Response& res) { handle_delete(req, res); });

    auto fallback = [this](const httplib::Request& req, httplib::Response& res) { not_routed(req, res); };
    svr.Get(".*", fallback);
    svr.Post(".*", fallback);
    svr.Put(".*", fallback);
    svr.Patch(".*", fallback);
    svr.Delete(".*", fallback);
    svr.Options(".*", [](const httplib::Request&, httplib::Response& res) {
      res.status = 204;
      res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
      res.set_header("Access-Control-Allow-Headers",
                     "Authorization, Content-Type, User-Agent, Accept, X-Requested-With, OpenAI-Beta, "
                     "x-stainless-arch, x-stainless-os, x-stainless-package-version, x-stainless-runtime, "
                     "x-stainless-runtime-version, x-stainless-lang, x-stainless-timeout");
    });
  }
};

// ------------------------------------------------------------------------------------------
// fake_ollama
// ------------------------------------------------------------------------------------------

fake_ollama::fake_ollama() : fake_ollama(fake_ollama_config{}) {}

fake_ollama::fake_ollama(fake_ollama_config config) : impl_(std::make_unique<impl>(std::move(config))) {
  ignore_sigpipe_once();
  impl& s = *impl_;
  s.svr.new_task_queue = [] { return new httplib::ThreadPool(16); };
  s.svr.set_tcp_nodelay(true);
  s.svr.set_keep_alive_max_count(1000);
  s.svr.set_keep_alive_timeout(s.cfg.keep_alive_timeout_s);
  s.install_routes();
  s.port = s.svr.bind_to_any_port("127.0.0.1");
  if (s.port <= 0) throw std::runtime_error("fake_ollama: cannot bind 127.0.0.1");
  auto finished = std::make_shared<std::atomic<bool>>(false);
  s.thread = std::thread([&s, finished] {
    s.svr.listen_after_bind();
    finished->store(true);
  });
  // The socket is already listening (connections queue in the backlog); wait until the accept
  // loop runs so that stop() in the destructor cannot race with its start.
  while (!s.svr.is_running() && !finished->load()) std::this_thread::yield();
  if (finished->load() && !s.svr.is_running()) {
    s.thread.join();
    throw std::runtime_error("fake_ollama: listen failed");
  }
}

fake_ollama::~fake_ollama() {
  impl& s = *impl_;
  s.writer.stop();
  s.svr.stop();
  if (s.thread.joinable()) s.thread.join();
}

int fake_ollama::port() const { return impl_->port; }

std::string fake_ollama::base_url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }

void fake_ollama::set_mode(stream_behaviour behaviour) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->mode = std::move(behaviour);
}

void fake_ollama::set_mode(stream_mode mode, std::size_t after_chunks, std::uint64_t seed) {
  stream_behaviour b;
  b.mode = mode;
  b.after_chunks = after_chunks;
  b.seed = seed;
  set_mode(std::move(b));
}

void fake_ollama::set_next_mode(stream_behaviour behaviour) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->next_modes.push_back(std::move(behaviour));
}

void fake_ollama::set_next_mode(stream_mode mode, std::size_t after_chunks, std::uint64_t seed) {
  stream_behaviour b;
  b.mode = mode;
  b.after_chunks = after_chunks;
  b.seed = seed;
  set_next_mode(std::move(b));
}

void fake_ollama::fail_next(int status, std::string message, std::size_t count, std::string path) {
  if (count == 0) return;
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->failures.push_back(impl::failure{status, std::move(message), count, std::move(path)});
}

void fake_ollama::set_reply(const std::string& model, std::string text) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  auto* m = impl_->find_model(model);
  if (m == nullptr) throw std::invalid_argument("fake_ollama::set_reply: unknown model " + model);
  m->reply = std::move(text);
}

void fake_ollama::clear_reply(const std::string& model) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  if (auto* m = impl_->find_model(model)) m->reply.reset();
}

void fake_ollama::set_thinking(const std::string& model, std::string text) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  auto* m = impl_->find_model(model);
  if (m == nullptr) throw std::invalid_argument("fake_ollama::set_thinking: unknown model " + model);
  m->thinking = std::move(text);
}

void fake_ollama::set_cold(const std::string& model, bool cold) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  auto* m = impl_->find_model(model);
  if (m == nullptr) throw std::invalid_argument("fake_ollama::set_cold: unknown model " + model);
  m->loaded = !cold;
}

bool fake_ollama::is_loaded(const std::string& model) const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  auto* m = impl_->find_model(model);
  return m != nullptr && m->loaded;
}

void fake_ollama::set_tool_arguments(nlohmann::json arguments) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  if (arguments.is_null()) {
    impl_->tool_arguments.reset();
  } else {
    impl_->tool_arguments = ojson::parse(arguments.dump());
  }
}

bool fake_ollama::has_model(const std::string& model) const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->find_model(model) != nullptr;
}

void fake_ollama::set_tool_calls_in_separate_chunk(bool on) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->separate_tool_chunk = on;
}

void fake_ollama::set_generate_tool_calls(nlohmann::json tool_calls) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  if (tool_calls.is_null())
    impl_->generate_tool_calls.reset();
  else
    impl_->generate_tool_calls = ojson::parse(tool_calls.dump());
}

void fake_ollama::set_signed_in(bool on) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->signed_in = on;
}

void fake_ollama::set_parallel_tool_calls(bool on) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->parallel_tool_calls = on;
}

void fake_ollama::set_huge_context(bool on, std::size_t count) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->huge_context = on;
  impl_->huge_context_count = count;
}

void fake_ollama::release_hung() { impl_->writer.release(); }

std::vector<recorded_request> fake_ollama::requests() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->log;
}

recorded_request fake_ollama::last_request() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->log.empty() ? recorded_request{} : impl_->log.back();
}

std::size_t fake_ollama::request_count() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->log.size();
}

void fake_ollama::clear_requests() {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->log.clear();
}

bool fake_ollama::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->log.size() >= n; });
}

std::size_t fake_ollama::disconnects() const { return impl_->writer.disconnects(); }

bool fake_ollama::wait_for_disconnects(std::size_t n, std::chrono::milliseconds timeout) const {
  return impl_->writer.wait_for_disconnects(n, timeout);
}

std::size_t fake_ollama::hung_streams() const { return impl_->writer.hung_streams(); }

bool fake_ollama::wait_for_hung_streams(std::size_t n, std::chrono::milliseconds timeout) const {
  return impl_->writer.wait_for_hung_streams(n, timeout);
}

}  // namespace llmtrace_test
