#include "nfr/alert_notifier.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cmath>
#include <ctime>

#include "clients/http_client.hpp"

namespace reznet::nfr {
namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
  const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03lldZ", buf, static_cast<long long>(ms));
  return out;
}

std::string Substitute(const std::string& text, const config::NfrRule& rule, double value) {
  std::map<std::string, std::string> vars = {
      {"value", config::FormatThreshold(rule, value)},
      {"threshold", config::FormatThreshold(rule, rule.threshold)}};
  if (rule.baseline) {
    vars["baseline"] = config::FormatThreshold(rule, *rule.baseline);
    char change[32];
    std::snprintf(change, sizeof change, "%+.1f%%",
                  *rule.baseline != 0 ? (value / *rule.baseline - 1) * 100 : 0.0);
    vars["change"] = change;
  }
  std::string out = text;
  for (const auto& [k, v] : vars) {
    const std::string key = "{{" + k + "}}";
    for (auto at = out.find(key); at != std::string::npos; at = out.find(key, at + v.size()))
      out.replace(at, key.size(), v);
  }
  return out;
}

std::string AlertJson(const config::NfrRule& rule, const Notification& n,
                      const std::string& generator_url,
                      std::chrono::system_clock::time_point ends_at) {
  json::object labels;
  for (const auto& [k, v] : rule.labels) labels[k] = v;
  labels["alertname"] = rule.name;
  labels["nfr"] = rule.name;
  labels["severity"] = rule.severity;
  labels["probe"] = rule.probe;
  json::object annotations;
  for (const auto& [k, v] : rule.annotations) annotations[k] = Substitute(v, rule, n.value);
  if (!annotations.contains("summary")) {
    annotations["summary"] = rule.name + ": " + rule.stat_name + " " +
                             config::FormatThreshold(rule, n.value) + " (promise " + rule.op_text +
                             " " + config::FormatThreshold(rule, rule.threshold) + ")";
  }
  annotations["value"] = config::FormatThreshold(rule, n.value);
  annotations["threshold"] = config::FormatThreshold(rule, rule.threshold);
  if (rule.baseline) {
    annotations["baseline"] = config::FormatThreshold(rule, *rule.baseline);
    annotations["change"] = Substitute("{{change}}", rule, n.value);
  }
  return json::serialize(json::object{{"labels", labels},
                                      {"annotations", annotations},
                                      {"startsAt", Rfc3339(n.starts_at)},
                                      {"endsAt", Rfc3339(ends_at)},
                                      {"generatorURL", generator_url}});
}

struct AlertNotifier::Impl {
  struct Active {
    config::NfrRule rule;
    Notification n;
  };
  struct Target {
    config::Url url;
    std::unique_ptr<clients::HttpClient> client;
    Clock::time_point retry_at{};
    Clock::duration backoff{};
    bool failing = false;  // log changes of state only, not every retry
  };
  asio::any_io_executor executor;
  config::AlertingConfig cfg;
  std::string generator_url;
  DeliveryCounter count_delivery;
  std::map<std::string, Active> alerts;  // by rule name; resolved ones until sent once
  std::vector<Target> targets;
  asio::steady_timer wake;
  bool stopping = false;

  Impl(asio::any_io_executor ex, config::AlertingConfig c, std::string gen, DeliveryCounter count)
      : executor(ex),
        cfg(std::move(c)),
        generator_url(std::move(gen)),
        count_delivery(std::move(count)),
        wake(ex) {
    for (const auto& u : cfg.alertmanager_urls) {
      targets.push_back({u,
                         std::make_unique<clients::HttpClient>(ex, u, clients::TlsOptions{},
                                                               clients::HttpLimits{}),
                         {},
                         {}});
    }
  }

  std::string Body() const {
    const auto now = std::chrono::system_clock::now();
    std::string body = "[";
    for (const auto& [name, a] : alerts) {
      const auto ends =
          a.n.kind == Notification::Kind::kResolved
              ? a.n.ends_at
              : now + 3 * std::chrono::duration_cast<std::chrono::system_clock::duration>(
                              cfg.resend_interval);
      body += (body.size() > 1 ? "," : "") + AlertJson(a.rule, a.n, generator_url, ends);
    }
    return body + "]";
  }

  asio::awaitable<bool> Send(Target& t, const std::string& body) {
    clients::HttpRequest req{
        "POST", "/api/v2/alerts", {{"content-type", "application/json"}}, body};
    auto r = co_await t.client->Send(req, Clock::now() + std::chrono::seconds(10), true);
    const bool ok = r && r->status >= 200 && r->status <= 299;
    if (count_delivery) count_delivery(t.url.ToString(), ok);
    if (!ok) {
      spdlog::warn(
          "alertmanager {}: delivery failed ({}); retrying", t.url.ToString(),
          r ? "HTTP " + std::to_string(r->status) : r.error().kind + ": " + r.error().detail);
    }
    co_return ok;
  }

  asio::awaitable<void> Loop() {
    auto next_resend = Clock::now();
    while (!stopping) {
      const auto now = Clock::now();
      bool all_ok = true;
      if (!alerts.empty() && now >= next_resend) {
        const std::string body = Body();
        for (auto& t : targets) {
          if (co_await Send(t, body)) {
            t.backoff = {};
          } else {
            all_ok = false;
            t.backoff = std::min<Clock::duration>(
                t.backoff == Clock::duration{} ? std::chrono::seconds(1) : t.backoff * 2,
                cfg.resend_interval);
            t.retry_at = Clock::now() + t.backoff;
          }
        }
        if (all_ok || targets.empty()) {
          std::erase_if(alerts, [](const auto& kv) {
            return kv.second.n.kind == Notification::Kind::kResolved;
          });
          next_resend = Clock::now() + cfg.resend_interval;
        } else {
          Clock::time_point soonest = Clock::now() + cfg.resend_interval;
          for (const auto& t : targets) {
            if (t.backoff != Clock::duration{}) soonest = std::min(soonest, t.retry_at);
          }
          next_resend = soonest;
        }
      }
      wake.expires_at(alerts.empty() ? Clock::now() + std::chrono::hours(24) : next_resend);
      boost::system::error_code ec;
      co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted && !stopping)
        next_resend = Clock::now();  // woken by Notify
    }
  }
};

AlertNotifier::AlertNotifier(asio::any_io_executor executor, config::AlertingConfig config,
                             std::string generator_url, DeliveryCounter count_delivery)
    : impl_(std::make_shared<Impl>(executor, std::move(config), std::move(generator_url),
                                   std::move(count_delivery))) {}

AlertNotifier::~AlertNotifier() = default;

void AlertNotifier::Notify(const config::NfrRule& rule, const Notification& n) {
  if (n.kind == Notification::Kind::kResolved && !impl_->cfg.send_resolved) {
    impl_->alerts.erase(rule.name);
    return;
  }
  impl_->alerts[rule.name] = {rule, n};
  impl_->wake.cancel();
}

void AlertNotifier::Start() {
  if (impl_->targets.empty()) return;
  asio::co_spawn(
      impl_->executor, [impl = impl_]() -> asio::awaitable<void> { co_await impl->Loop(); },
      asio::detached);
}

void AlertNotifier::Reconfigure(config::AlertingConfig config, std::string generator_url) {
  auto fresh = std::make_shared<Impl>(impl_->executor, std::move(config), std::move(generator_url),
                                      impl_->count_delivery);
  fresh->alerts = impl_->alerts;
  Stop();
  impl_ = std::move(fresh);
  Start();
}

void AlertNotifier::Stop() {
  impl_->stopping = true;
  impl_->wake.cancel();
}

}  // namespace reznet::nfr
