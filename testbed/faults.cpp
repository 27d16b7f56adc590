#include "testbed/faults.hpp"

#include <boost/json.hpp>

namespace reznet::testbed {

common::Result<Faults> ParseFaults(const std::string& body, Faults f) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(body, ec);
  if (ec || !doc.is_object()) return common::Invalid("body must be a JSON object");
  const auto& obj = doc.as_object();
  auto number = [&](const char* key, double& out, double min, double max) -> std::string {
    auto* v = obj.if_contains(key);
    if (v == nullptr) return "";
    if (!v->is_number()) return std::string(key) + " must be a number";
    double d = v->to_number<double>();
    if (d < min || d > max) return std::string(key) + " out of range";
    out = d;
    return "";
  };
  double status = f.error_status;
  for (auto err :
       {number("latency_ms", f.latency_ms, 0, 600000), number("jitter_ms", f.jitter_ms, 0, 600000),
        number("error_rate", f.error_rate, 0, 1), number("error_status", status, 100, 599),
        number("stall_every", f.stall_every, 0, 1e9), number("stall_ms", f.stall_ms, 0, 600000)}) {
    if (!err.empty()) return common::Invalid(err);
  }
  f.error_status = static_cast<int>(status);
  for (const auto& kv : obj) {
    const std::string key(kv.key());
    if (key != "latency_ms" && key != "jitter_ms" && key != "error_rate" && key != "error_status" &&
        key != "stall_every" && key != "stall_ms") {
      return common::Invalid(
          "unknown key " + key +
          " (known: latency_ms, jitter_ms, error_rate, error_status, stall_every, stall_ms)");
    }
  }
  return f;
}

boost::json::object FaultsToJson(const Faults& f) {
  return {{"latency_ms", f.latency_ms},   {"jitter_ms", f.jitter_ms},
          {"error_rate", f.error_rate},   {"error_status", f.error_status},
          {"stall_every", f.stall_every}, {"stall_ms", f.stall_ms}};
}

Faults FaultInjector::Get() const {
  std::lock_guard lock(mutex_);
  return faults_;
}

void FaultInjector::Set(const Faults& f) {
  std::lock_guard lock(mutex_);
  faults_ = f;
}

FaultInjector::Decision FaultInjector::Next() {
  std::lock_guard lock(mutex_);
  Decision d;
  double ms = faults_.latency_ms;
  if (faults_.jitter_ms > 0)
    ms += std::uniform_real_distribution<double>(0, faults_.jitter_ms)(rng_);
  d.delay = std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000));
  const auto now = std::chrono::steady_clock::now();
  ++requests_;
  if (faults_.stall_every >= 1 && faults_.stall_ms > 0 &&
      requests_ % static_cast<std::uint64_t>(faults_.stall_every) == 0 && now >= stalled_until_) {
    stalled_until_ =
        now + std::chrono::microseconds(static_cast<std::int64_t>(faults_.stall_ms * 1000));
  }
  if (stalled_until_ > now)
    d.delay += std::chrono::duration_cast<std::chrono::microseconds>(stalled_until_ - now);
  if (faults_.error_rate > 0 &&
      std::uniform_real_distribution<double>(0, 1)(rng_) < faults_.error_rate) {
    d.error_status = faults_.error_status;
  }
  return d;
}

}  // namespace reznet::testbed
