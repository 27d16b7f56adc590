// reznet-testbed: a stand-in for the RezNet backend (and later the LLM providers) for the demo and
// the integration tests. In-memory data for now. Prints "listening on http://HOST:PORT" once bound
// (https:// with --tls-cert/--tls-key: the same routes over TLS).
//
//   GET  /health                  {"status": "ok"}
//   GET  /api/agents              [{"id": 1, "name": ..., "model": ...}, ...]  (X-Cache:
//   hit|miss|off) GET  /api/channels            [{"id": 1, "name": ..., "agent_id": ...}, ...] GET
//   /api/channels/{id}/messages?limit=&offset=   (or &before_id= for keyset pages) POST
//   /api/channels/{id}/messages  {"text": …}
// With --pg-dsn (and --redis-url) these run on PostgreSQL (+ Redis cache-aside): store.hpp;
// without, agents and channels are fixed in-memory lists.
//   GET  /testbed/faults          current faults
//   POST /testbed/faults          {"latency_ms", "jitter_ms", "error_rate", "error_status",
//                                  "stall_every", "stall_ms" (server-wide stall every N requests),
//                                  "llm": {...}}  (llm model and faults: llm_emulator.hpp)
//   POST /v1/messages             Anthropic Messages API (x-api-key), streaming or not
//   POST /v1/chat/completions     OpenAI Chat Completions (Bearer), streaming or not
//   POST /v1/responses            OpenAI Responses API (Bearer), streaming or not
//   POST /api/agents/{id}/chat    the RezNet agent: {"message"} -> JSON, or SSE with
//                                 Accept: text/event-stream
// latency_ms/error_rate faults apply to /health and /api/agents|channels; the llm block to the
// provider routes (and so to the agent, which calls them). Never to /testbed/*.
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <csignal>
#include <iostream>
#include <thread>

#include "common/json.hpp"
#include "testbed/faults.hpp"
#include "testbed/llm_emulator.hpp"
#include "testbed/store.hpp"

namespace {

// Sleeps until `delay` has passed, accurately: the kernel's sleep overshoots by 50-100 µs, which
// would blur the "known delay" that timing-honesty checks measure against. Sleep to 300 µs short
// of the target, then spin.
void PreciseDelay(std::chrono::microseconds delay) {
  const auto until = std::chrono::steady_clock::now() + delay;
  if (delay > std::chrono::microseconds(300))
    std::this_thread::sleep_until(until - std::chrono::microseconds(300));
  while (std::chrono::steady_clock::now() < until) {
  }
}

httplib::Server* g_server = nullptr;  // for the signal handler only

void OnSignal(int) {
  if (g_server) g_server->stop();
}

const char* kAgents = R"([{"id": 1, "name": "Architect", "model": "claude-3-5-haiku-latest"}, )"
                      R"({"id": 2, "name": "Coder", "model": "gpt-4o-mini"}, )"
                      R"({"id": 3, "name": "Reviewer", "model": "claude-3-5-sonnet-latest"}])";
const char* kChannels =
    R"([{"id": 1, "name": "general", "agent_id": 1}, {"id": 2, "name": "backend", "agent_id": 2}, )"
    R"({"id": 3, "name": "reviews", "agent_id": 3}])";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"reznet-testbed: stand-in RezNet backend for demos and tests"};
  std::string listen = "127.0.0.1:8000";
  int threads = 64;
  app.add_option("--listen", listen, "host:port (port 0: any free port)");
  app.add_option("--threads", threads, "server threads (one per open connection)")
      ->check(CLI::Range(1, 4096));
  std::string pg_dsn, redis_url;
  int seed_messages = 100000;
  app.add_option("--pg-dsn", pg_dsn,
                 "PostgreSQL conninfo (password from PGPASSWORD); without it data is in memory");
  app.add_option(
      "--redis-url", redis_url,
      "redis://host:port/db for the agents cache (password from REZNET_TESTBED_REDIS_PASSWORD)");
  app.add_option("--seed-messages", seed_messages, "messages to seed on first start")
      ->check(CLI::Range(0, 10000000));
  std::string tls_cert, tls_key;
  auto* cert_opt = app.add_option("--tls-cert", tls_cert, "serve https with this PEM certificate")
                       ->check(CLI::ExistingFile);
  app.add_option("--tls-key", tls_key, "the PEM private key of --tls-cert")
      ->check(CLI::ExistingFile)
      ->needs(cert_opt);
  cert_opt->needs(app.get_option("--tls-key"));
  CLI11_PARSE(app, argc, argv);

  std::unique_ptr<reznet::testbed::Store> store;
  if (!pg_dsn.empty()) {
    store = std::make_unique<reznet::testbed::Store>(pg_dsn, redis_url);
    try {
      store->Init(seed_messages);
    } catch (const std::exception& e) {
      std::cerr << "reznet-testbed: " << e.what() << "\n";
      return 2;
    }
  }

  reznet::testbed::FaultInjector faults;
  std::unique_ptr<httplib::Server> owned;
  if (tls_cert.empty()) {
    owned = std::make_unique<httplib::Server>();
  } else {
    auto https = std::make_unique<httplib::SSLServer>(tls_cert.c_str(), tls_key.c_str());
    if (!https->is_valid()) {
      std::cerr << "reznet-testbed: cannot use --tls-cert " << tls_cert << " / --tls-key\n";
      return 2;
    }
    owned = std::move(https);
  }
  const std::string scheme = tls_cert.empty() ? "http://" : "https://";
  httplib::Server& server = *owned;
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(100000);

  // Wraps an API route with fault injection (added latency, injected error status).
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  auto faulty = [&faults](Handler inner) {
    return
        [&faults, inner = std::move(inner)](const httplib::Request& req, httplib::Response& res) {
          auto d = faults.Next();
          if (d.delay.count() > 0) PreciseDelay(d.delay);
          if (d.error_status) {
            res.status = d.error_status;
            res.set_content(R"({"detail": "injected fault"})", "application/json");
            return;
          }
          inner(req, res);
        };
  };
  auto fixed = [](std::string body) {
    return [body = std::move(body)](const httplib::Request&, httplib::Response& res) {
      res.set_content(body, "application/json");
    };
  };
  // Store answers: the JSON, or the store's error as {"detail": …} with its status.
  auto answer = [](httplib::Response& res,
                   const std::expected<std::string, reznet::testbed::StoreError>& r) {
    if (r) {
      res.set_content(*r, "application/json");
    } else {
      res.status = r.error().status;
      res.set_content(boost::json::serialize(boost::json::object{{"detail", r.error().message}}),
                      "application/json");
    }
  };
  auto param = [](const httplib::Request& req, const char* name, long fallback) {
    if (!req.has_param(name)) return fallback;
    try {
      return std::stol(req.get_param_value(name));
    } catch (const std::exception&) {
      return fallback;
    }
  };
  server.Get("/health", faulty(fixed(R"({"status": "ok"})")));
  if (store) {
    auto* st = store.get();
    server.Get("/api/agents", faulty([st, answer](const httplib::Request&, httplib::Response& res) {
                 std::string cache;
                 auto r = st->Agents(cache);
                 res.set_header("X-Cache", cache);
                 answer(res, r);
               }));
    server.Get("/api/channels",
               faulty([st, answer](const httplib::Request&, httplib::Response& res) {
                 answer(res, st->Channels());
               }));
    server.Get(R"(/api/channels/(\d+)/messages)",
               faulty([st, answer, param](const httplib::Request& req, httplib::Response& res) {
                 const long limit = std::clamp(param(req, "limit", 50), 1L, 500L);
                 std::optional<long> before;
                 if (req.has_param("before_id")) before = param(req, "before_id", 0);
                 answer(res, st->Messages(std::stol(req.matches[1]), limit,
                                          std::max(0L, param(req, "offset", 0)), before));
               }));
    server.Post(
        R"(/api/channels/(\d+)/messages)",
        faulty([st, answer](const httplib::Request& req, httplib::Response& res) {
          boost::system::error_code ec;
          auto doc = boost::json::parse(req.body, ec);
          const auto* text = !ec && doc.is_object() ? doc.as_object().if_contains("text") : nullptr;
          if (!text || !text->is_string()) {
            res.status = 422;
            res.set_content(R"({"detail": "body needs a text"})", "application/json");
            return;
          }
          res.status = 201;
          answer(res, st->PostMessage(std::stol(req.matches[1]), std::string(text->as_string())));
        }));
  } else {
    server.Get("/api/agents", faulty(fixed(kAgents)));
    server.Get("/api/channels", faulty(fixed(kChannels)));
  }

  reznet::testbed::LlmEmulator llm;
  llm.Register(server);
  auto faults_json = [&] {
    auto doc = reznet::testbed::FaultsToJson(faults.Get());
    doc["llm"] = reznet::testbed::LlmModelToJson(llm.Get());
    if (store) doc["db"] = reznet::testbed::DbFaultsToJson(store->Faults());
    return reznet::common::WriteJson(doc);
  };
  server.Get("/testbed/faults", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(faults_json(), "application/json");
  });
  server.Post("/testbed/faults", [&](const httplib::Request& req, httplib::Response& res) {
    auto fail = [&](const std::string& why) {
      res.status = 400;
      res.set_content(boost::json::serialize(boost::json::object{{"error", why}}),
                      "application/json");
    };
    boost::system::error_code ec;
    auto doc = boost::json::parse(req.body, ec);
    if (ec || !doc.is_object()) return fail("body must be a JSON object");
    auto& obj = doc.as_object();
    auto model = llm.Get();
    if (auto* l = obj.if_contains("llm")) {
      auto parsed_llm = reznet::testbed::ParseLlmModel(boost::json::serialize(*l), model);
      if (!parsed_llm) return fail(parsed_llm.error().detail);
      model = *parsed_llm;
      obj.erase("llm");
    }
    if (auto* db = obj.if_contains("db")) {
      if (!store) return fail("db faults need --pg-dsn");
      auto parsed_db = reznet::testbed::ParseDbFaults(boost::json::serialize(*db), store->Faults());
      if (!parsed_db) return fail(parsed_db.error().detail);
      if (auto err = store->SetFaults(*parsed_db)) return fail(*err);
      obj.erase("db");
    }
    auto parsed = reznet::testbed::ParseFaults(boost::json::serialize(obj), faults.Get());
    if (!parsed) return fail(parsed.error().detail);
    faults.Set(*parsed);
    llm.Set(model);
    res.set_content(faults_json(), "application/json");
  });

  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "reznet-testbed: --listen needs host:port\n";
    return 2;
  }
  const std::string host = listen.substr(0, colon);
  int port = std::atoi(listen.c_str() + colon + 1);
  if (port == 0) {
    port = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    port = -1;
  }
  if (port < 0) {
    std::cerr << "reznet-testbed: cannot listen on " << listen << "\n";
    return 2;
  }
  llm.SetSelfUrl(scheme + (host == "0.0.0.0" ? std::string("127.0.0.1") : host) + ":" +
                 std::to_string(port));
  g_server = &server;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::cout << "reznet-testbed listening on " << scheme << host << ":" << port << std::endl;
  server.listen_after_bind();
  return 0;
}
