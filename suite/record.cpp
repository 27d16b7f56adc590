#include "suite/record.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <random>

#include "common/json.hpp"
#include "probes/outcome.hpp"

namespace reznet::suite {
namespace json = boost::json;
using common::JsonNumber;
using common::JsonQuote;

const PhaseStats* ProbeResult::Phase(const std::string& n) const {
  for (const auto& p : phases) {
    if (p.name == n) return &p;
  }
  return nullptr;
}

std::optional<double> ProbeResult::CounterMean(const std::string& n) const {
  for (const auto& [k, v] : counters) {
    if (k == n) return v;
  }
  return std::nullopt;
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPassed:
      return "passed";
    case Verdict::kFailed:
      return "failed";
    case Verdict::kSkipped:
      return "skipped";
  }
  return "skipped";
}

const ProbeResult* RunRecord::Probe(const std::string& n) const {
  for (const auto& p : probes) {
    if (p.name == n) return &p;
  }
  return nullptr;
}

const NfrVerdict* RunRecord::Nfr(const std::string& n) const {
  for (const auto& v : nfrs) {
    if (v.nfr == n) return &v;
  }
  return nullptr;
}

int RunRecord::Count(Verdict v) const {
  int n = 0;
  for (const auto& x : nfrs) n += x.verdict == v ? 1 : 0;
  return n;
}

namespace {

// A tiny writer for objects with keys in a fixed order.
class Obj {
 public:
  Obj& Str(std::string_view k, std::string_view v) { return Raw(k, common::JsonQuote(v)); }
  Obj& Num(std::string_view k, double v) { return Raw(k, common::JsonNumber(v)); }
  Obj& Opt(std::string_view k, const std::optional<double>& v) {
    return Raw(k, v ? common::JsonNumber(*v) : "null");
  }
  Obj& Bool(std::string_view k, bool v) { return Raw(k, v ? "true" : "false"); }
  Obj& Raw(std::string_view k, std::string_view json) {
    out_ += out_.size() > 1 ? "," : "";
    out_ += common::JsonQuote(k);
    out_ += ':';
    out_ += json;
    return *this;
  }
  std::string Done() { return out_ + "}"; }

 private:
  std::string out_ = "{";
};

template <typename T, typename F>
std::string Array(const std::vector<T>& items, F each) {
  std::string out = "[";
  for (const auto& item : items) out += (out.size() > 1 ? "," : "") + each(item);
  return out + "]";
}

std::string StrMap(const std::map<std::string, std::string>& m) {
  Obj o;
  for (const auto& [k, v] : m) o.Str(k, v);
  return o.Done();
}

std::string PhaseJson(const PhaseStats& p) {
  return Obj()
      .Str("name", p.name)
      .Num("count", static_cast<double>(p.count))
      .Num("min", p.min)
      .Num("mean", p.mean)
      .Num("p50", p.p50)
      .Num("p90", p.p90)
      .Num("p95", p.p95)
      .Num("p99", p.p99)
      .Num("max", p.max)
      .Done();
}

std::string ProbeJson(const ProbeResult& p) {
  Obj errors;
  for (const auto& [k, n] : p.errors) errors.Num(k, n);
  Obj counters;
  for (const auto& [k, v] : p.counters) counters.Num(k, v);
  return Obj()
      .Str("name", p.name)
      .Str("kind", p.kind)
      .Num("planned", p.planned)
      .Num("runs", p.runs)
      .Num("failures", p.failures)
      .Bool("skipped", p.skipped)
      .Str("skip_reason", p.skip_reason)
      .Raw("errors", errors.Done())
      .Str("last_error", p.last_error)
      .Raw("phases", Array(p.phases, PhaseJson))
      .Raw("counters", counters.Done())
      .Num("seconds", p.seconds)
      .Done();
}

std::string VerdictJson(const NfrVerdict& v) {
  return Obj()
      .Str("nfr", v.nfr)
      .Str("probe", v.probe)
      .Str("phase", v.phase)
      .Str("stat", v.stat)
      .Str("op", v.op)
      .Num("threshold", v.threshold)
      .Str("unit", v.latency ? "seconds" : "ratio")
      .Opt("value", v.value)
      .Num("samples", static_cast<double>(v.samples))
      .Str("verdict", VerdictName(v.verdict))
      .Str("reason", v.reason)
      .Str("severity", v.severity)
      .Opt("baseline", v.baseline)
      .Done();
}

std::string BaselineJson(const BaselineRow& b) {
  return Obj()
      .Str("nfr", b.nfr)
      .Str("unit", b.latency ? "seconds" : "ratio")
      .Num("baseline", b.baseline)
      .Num("value", b.value)
      .Num("change_pct", b.change_pct)
      .Str("status", b.status)
      .Done();
}

// Reading: every accessor is tolerant of absent keys (older lines) but not of wrong types.
const json::value* Get(const json::object& o, std::string_view k) { return o.if_contains(k); }
std::string S(const json::object& o, std::string_view k) {
  const auto* v = Get(o, k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
double D(const json::object& o, std::string_view k) {
  const auto* v = Get(o, k);
  if (v == nullptr || v->is_null()) return 0;
  return v->to_number<double>();
}
std::optional<double> OptD(const json::object& o, std::string_view k) {
  const auto* v = Get(o, k);
  if (v == nullptr || v->is_null()) return std::nullopt;
  return v->to_number<double>();
}
const json::array& A(const json::object& o, std::string_view k) {
  static const json::array kEmpty;
  const auto* v = Get(o, k);
  return v ? v->as_array() : kEmpty;
}
const json::object& O(const json::object& o, std::string_view k) {
  static const json::object kEmpty;
  const auto* v = Get(o, k);
  return v ? v->as_object() : kEmpty;
}

Verdict VerdictOf(const std::string& s) {
  if (s == "passed") return Verdict::kPassed;
  if (s == "failed") return Verdict::kFailed;
  return Verdict::kSkipped;
}

}  // namespace

std::string ToJson(const RunRecord& r) {
  return Obj()
      .Str("id", r.id)
      .Str("profile", r.profile)
      .Raw("labels", StrMap(r.labels))
      .Str("state", r.state)
      .Str("error", r.error)
      .Str("version", r.version)
      .Num("started_at", r.started_at)
      .Num("finished_at", r.finished_at)
      .Raw("progress",
           Obj().Num("done", r.done).Num("total", r.total).Str("current", r.current).Done())
      .Raw("probes", Array(r.probes, ProbeJson))
      .Raw("nfrs", Array(r.nfrs, VerdictJson))
      .Str("baseline_id", r.baseline_id)
      .Num("tolerance", r.tolerance)
      .Raw("baseline", Array(r.baseline, BaselineJson))
      .Done();
}

std::optional<RunRecord> FromJson(const std::string& text, std::string* error) {
  try {
    const json::value root = json::parse(text);
    const json::object& o = root.as_object();
    RunRecord r;
    r.id = S(o, "id");
    if (r.id.empty()) throw std::runtime_error("no id");
    r.profile = S(o, "profile");
    for (const auto& [k, v] : O(o, "labels")) r.labels[std::string(k)] = std::string(v.as_string());
    r.state = S(o, "state");
    r.error = S(o, "error");
    r.version = S(o, "version");
    r.started_at = D(o, "started_at");
    r.finished_at = D(o, "finished_at");
    const auto& progress = O(o, "progress");
    r.done = static_cast<int>(D(progress, "done"));
    r.total = static_cast<int>(D(progress, "total"));
    r.current = S(progress, "current");
    for (const auto& pv : A(o, "probes")) {
      const auto& po = pv.as_object();
      ProbeResult p;
      p.name = S(po, "name");
      p.kind = S(po, "kind");
      p.planned = static_cast<int>(D(po, "planned"));
      p.runs = static_cast<int>(D(po, "runs"));
      p.failures = static_cast<int>(D(po, "failures"));
      const auto* skipped = Get(po, "skipped");
      p.skipped = skipped && skipped->as_bool();
      p.skip_reason = S(po, "skip_reason");
      for (const auto& [k, v] : O(po, "errors"))
        p.errors[std::string(k)] = static_cast<int>(v.to_number<double>());
      p.last_error = S(po, "last_error");
      for (const auto& phv : A(po, "phases")) {
        const auto& ph = phv.as_object();
        p.phases.push_back({S(ph, "name"), static_cast<std::uint64_t>(D(ph, "count")), D(ph, "min"),
                            D(ph, "mean"), D(ph, "p50"), D(ph, "p90"), D(ph, "p95"), D(ph, "p99"),
                            D(ph, "max")});
      }
      for (const auto& [k, v] : O(po, "counters"))
        p.counters.emplace_back(std::string(k), v.to_number<double>());
      p.seconds = D(po, "seconds");
      r.probes.push_back(std::move(p));
    }
    for (const auto& vv : A(o, "nfrs")) {
      const auto& vo = vv.as_object();
      NfrVerdict v;
      v.nfr = S(vo, "nfr");
      v.probe = S(vo, "probe");
      v.phase = S(vo, "phase");
      v.stat = S(vo, "stat");
      v.op = S(vo, "op");
      v.threshold = D(vo, "threshold");
      v.latency = S(vo, "unit") != "ratio";
      v.value = OptD(vo, "value");
      v.samples = static_cast<std::uint64_t>(D(vo, "samples"));
      v.verdict = VerdictOf(S(vo, "verdict"));
      v.reason = S(vo, "reason");
      v.severity = S(vo, "severity");
      v.baseline = OptD(vo, "baseline");
      r.nfrs.push_back(std::move(v));
    }
    r.baseline_id = S(o, "baseline_id");
    if (const auto* t = Get(o, "tolerance")) r.tolerance = t->to_number<double>();
    for (const auto& bv : A(o, "baseline")) {
      const auto& bo = bv.as_object();
      r.baseline.push_back({S(bo, "nfr"), S(bo, "unit") != "ratio", D(bo, "baseline"),
                            D(bo, "value"), D(bo, "change_pct"), S(bo, "status")});
    }
    return r;
  } catch (const boost::system::system_error& e) {
    if (error) *error = e.code().message();  // what() carries Boost's source location
    return std::nullopt;
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

std::string NewRunId(double unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  static thread_local std::mt19937 rng{std::random_device{}()};
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%06x", static_cast<unsigned>(rng() & 0xffffff));
  return std::string(stamp) + "-" + suffix;
}

}  // namespace reznet::suite
