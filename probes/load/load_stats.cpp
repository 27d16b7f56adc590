#include "probes/load/load_stats.hpp"

#include <boost/json.hpp>
#include <cstdio>

#include "common/format.hpp"
#include "common/json.hpp"
#include "probes/outcome.hpp"

namespace reznet::probes::load {
namespace json = boost::json;
using stats::Bucketing;
using stats::DenseHistogram;

namespace {

void Add(stats::DenseHistogram& into, const stats::DenseHistogram& from) {
  if (from.summary().count == 0) return;
  for (int i = 0; i < stats::Bucketing::kCount; ++i) {
    if (auto c = from.BucketCount(i)) into.AddBucket(i, c);
  }
  into.AddSummary(from.summary());
}

json::object Stats(const LatencyStats& s) {
  return {{"count", s.count}, {"min", s.min}, {"mean", s.mean}, {"p50", s.p50},
          {"p90", s.p90},     {"p95", s.p95}, {"p99", s.p99},   {"max", s.max}};
}

// Sparse: [[bucket, count], …] plus the summary, enough to merge exactly.
json::object Hist(const stats::DenseHistogram& h) {
  json::array buckets;
  for (int i = 0; i < stats::Bucketing::kCount; ++i) {
    if (auto c = h.BucketCount(i)) buckets.push_back({i, c});
  }
  return {{"count", h.summary().count},
          {"sum_ns", h.summary().sum_ns},
          {"min_ns", h.summary().min_ns},
          {"max_ns", h.summary().max_ns},
          {"buckets", std::move(buckets)}};
}

json::object ErrorsJson(const StepStats& st) {
  json::object errors;
  for (const auto& [kind, count] : st.errors) errors[kind] = count;
  return errors;
}

void ReadHist(const json::object& o, stats::DenseHistogram& h) {
  stats::Summary s;
  s.count = o.at("count").to_number<std::uint64_t>();
  s.sum_ns = o.at("sum_ns").to_number<double>();
  s.min_ns = o.at("min_ns").to_number<std::int64_t>();
  s.max_ns = o.at("max_ns").to_number<std::int64_t>();
  std::uint64_t total = 0;
  for (const auto& b : o.at("buckets").as_array()) {
    const auto& pair = b.as_array();
    const int index = pair.at(0).to_number<int>();
    const auto count = pair.at(1).to_number<std::uint64_t>();
    if (index < 0 || index >= stats::Bucketing::kCount) throw std::out_of_range("bucket index");
    h.AddBucket(index, count);
    total += count;
  }
  if (total != s.count) throw std::invalid_argument("bucket counts do not add up to count");
  if (s.count > 0) h.AddSummary(s);
}

std::string Ms(double seconds) { return common::FormatSeconds(seconds); }

}  // namespace

StepStats& LoadStats::Step(const std::string& name) {
  for (auto& s : steps) {
    if (s.name == name) return s;
  }
  steps.emplace_back();
  steps.back().name = name;
  return steps.back();
}

void LoadStats::Merge(const LoadStats& o) {
  if (test.empty()) test = o.test;
  if (executor.empty()) executor = o.executor;
  users += o.users;
  rate += o.rate;
  seconds = std::max(seconds, o.seconds);
  iterations += o.iterations;
  dropped += o.dropped;
  interrupted += o.interrupted;
  Add(lateness, o.lateness);
  Add(tls, o.tls);
  tls_resumed += o.tls_resumed;
  for (const auto& step : o.steps) {
    StepStats& mine = Step(step.name);
    Add(mine.latency, step.latency);
    Add(mine.raw, step.raw);
    mine.ok += step.ok;
    mine.failed += step.failed;
    for (const auto& [k, n] : step.errors) mine.errors[k] += n;
    if (!step.last_error.empty()) mine.last_error = step.last_error;
  }
}

std::uint64_t LoadStats::Requests() const {
  std::uint64_t n = 0;
  for (const auto& s : steps) n += s.ok + s.failed;
  return n;
}

std::uint64_t LoadStats::Failed() const {
  std::uint64_t n = 0;
  for (const auto& s : steps) n += s.failed;
  return n;
}

LatencyStats StatsOf(const stats::DenseHistogram& h) {
  LatencyStats s;
  s.count = h.summary().count;
  if (s.count == 0) return s;
  static constexpr double kQs[] = {0.5, 0.9, 0.95, 0.99};
  const auto q = h.Quantiles(kQs);
  s.p50 = static_cast<double>(q[0]) * 1e-9;
  s.p90 = static_cast<double>(q[1]) * 1e-9;
  s.p95 = static_cast<double>(q[2]) * 1e-9;
  s.p99 = static_cast<double>(q[3]) * 1e-9;
  s.min = static_cast<double>(h.summary().min_ns) * 1e-9;
  s.max = static_cast<double>(h.summary().max_ns) * 1e-9;
  s.mean = h.summary().sum_ns / static_cast<double>(s.count) * 1e-9;
  return s;
}

stats::DenseHistogram Overall(const LoadStats& s, bool raw) {
  stats::DenseHistogram h;
  for (const auto& step : s.steps) Add(h, raw ? step.raw : step.latency);
  return h;
}

std::string ToJson(const LoadStats& s) {
  const auto requests = s.Requests();
  const auto failed = s.Failed();
  const double error_rate = requests ? static_cast<double>(failed) / requests : 0;
  const double throughput = s.seconds > 0 ? requests / s.seconds : 0;
  json::object steps;
  json::object hists;
  for (const auto& st : s.steps) {
    const auto n = st.ok + st.failed;
    steps[st.name] = {{"requests", n},
                      {"failed", st.failed},
                      {"error_rate", n ? static_cast<double>(st.failed) / n : 0.0},
                      {"latency", Stats(StatsOf(st.latency))},
                      {"raw_latency", Stats(StatsOf(st.raw))},
                      {"errors", ErrorsJson(st)},
                      {"last_error", st.last_error}};
    hists[st.name] = {
        {"latency", Hist(st.latency)}, {"raw", Hist(st.raw)},      {"ok", st.ok},
        {"failed", st.failed},         {"errors", ErrorsJson(st)}, {"last_error", st.last_error}};
  }
  const json::object doc{{"test", s.test},
                         {"executor", s.executor},
                         {"users", s.users},
                         {"rate", s.rate},
                         {"segment", s.segment},
                         {"seconds", s.seconds},
                         {"requests", requests},
                         {"successful", requests - failed},
                         {"failed", failed},
                         {"error_rate", error_rate},
                         {"throughput_rps", throughput},
                         {"iterations", s.iterations},
                         {"dropped", s.dropped},
                         {"interrupted", s.interrupted},
                         {"latency", Stats(StatsOf(Overall(s, false)))},
                         {"raw_latency", Stats(StatsOf(Overall(s, true)))},
                         {"late_start", Stats(StatsOf(s.lateness))},
                         {"tls", json::object{{"handshakes", s.tls.summary().count},
                                              {"resumed", s.tls_resumed},
                                              {"handshake", Stats(StatsOf(s.tls))}}},
                         {"steps", std::move(steps)},
                         {"histograms", json::object{{"lateness", Hist(s.lateness)},
                                                     {"tls", Hist(s.tls)},
                                                     {"steps", std::move(hists)}}}};
  return common::WriteJson(doc);
}

common::Result<LoadStats> ParseLoadStats(const std::string& text) {
  try {
    const json::value root = json::parse(text);
    const auto& o = root.as_object();
    LoadStats s;
    s.test = std::string(o.at("test").as_string());
    s.executor = std::string(o.at("executor").as_string());
    s.users = o.at("users").to_number<std::int64_t>();
    s.rate = o.at("rate").to_number<double>();
    s.segment = std::string(o.at("segment").as_string());
    s.seconds = o.at("seconds").to_number<double>();
    s.iterations = o.at("iterations").to_number<std::uint64_t>();
    s.dropped = o.at("dropped").to_number<std::uint64_t>();
    s.interrupted = o.at("interrupted").to_number<std::uint64_t>();
    const auto& h = o.at("histograms").as_object();
    ReadHist(h.at("lateness").as_object(), s.lateness);
    if (const auto* t = h.if_contains("tls")) {  // results of plain-http builds have none
      ReadHist(t->as_object(), s.tls);
      s.tls_resumed = o.at("tls").at("resumed").to_number<std::uint64_t>();
    }
    for (const auto& [name, v] : h.at("steps").as_object()) {
      const auto& so = v.as_object();
      StepStats& st = s.Step(std::string(name));
      ReadHist(so.at("latency").as_object(), st.latency);
      ReadHist(so.at("raw").as_object(), st.raw);
      st.ok = so.at("ok").to_number<std::uint64_t>();
      st.failed = so.at("failed").to_number<std::uint64_t>();
      for (const auto& [k, c] : so.at("errors").as_object())
        st.errors[std::string(k)] = c.to_number<std::uint64_t>();
      if (const auto* le = so.if_contains("last_error"))
        st.last_error = std::string(le->as_string());
    }
    return s;
  } catch (const boost::system::system_error& e) {
    return common::Invalid(e.code().message());
  } catch (const std::exception& e) {
    return common::Invalid(e.what());
  }
}

std::string ResultsBlock(const LoadStats& s) {
  const auto requests = s.Requests();
  const auto failed = s.Failed();
  const auto overall = StatsOf(Overall(s, false));
  const bool open = s.executor == "constant-arrival-rate";
  char line[256];
  std::string out = "============================================================\n";
  out +=
      "LOAD TEST RESULTS — " + s.test + " (" + s.executor + ", " +
      (open ? common::JsonNumber(s.rate) + " iterations/s" : std::to_string(s.users) + " users") +
      (s.segment != "1/1" ? ", segment " + s.segment : "") + ")\n";
  out += "============================================================\n";
  std::snprintf(line, sizeof line,
                "Total requests:    %llu\nSuccessful:        %llu\nFailed:            %llu\n"
                "Error rate:        %.2f %%\nThroughput:        %.1f requests/s over %.1f s\n",
                static_cast<unsigned long long>(requests),
                static_cast<unsigned long long>(requests - failed),
                static_cast<unsigned long long>(failed),
                requests ? 100.0 * static_cast<double>(failed) / requests : 0.0,
                s.seconds > 0 ? requests / s.seconds : 0.0, s.seconds);
  out += line;
  out += "\nLatency" + std::string(open ? " (from intended start)" : "") + ":\n";
  out += "  p50 " + Ms(overall.p50) + "   p95 " + Ms(overall.p95) + "   p99 " + Ms(overall.p99) +
         "\n  min " + Ms(overall.min) + "   max " + Ms(overall.max) + "   mean " +
         Ms(overall.mean) + "\n";
  if (open) {
    const auto raw = StatsOf(Overall(s, true));
    const auto late = StatsOf(s.lateness);
    out += "Raw latency (from actual start, not corrected):\n  p50 " + Ms(raw.p50) + "   p95 " +
           Ms(raw.p95) + "   p99 " + Ms(raw.p99) + "   max " + Ms(raw.max) + "\n";
    std::snprintf(line, sizeof line,
                  "Iterations: %llu started, %llu dropped (no free user within max_lateness); "
                  "late start p99 %s, max %s\n",
                  static_cast<unsigned long long>(s.iterations),
                  static_cast<unsigned long long>(s.dropped), Ms(late.p99).c_str(),
                  Ms(late.max).c_str());
    out += line;
  }
  if (const auto n = s.tls.summary().count) {
    const auto q = StatsOf(s.tls);
    std::snprintf(line, sizeof line, "TLS handshakes:    %llu (%llu resumed), p50 %s, p99 %s\n",
                  static_cast<unsigned long long>(n),
                  static_cast<unsigned long long>(s.tls_resumed), Ms(q.p50).c_str(),
                  Ms(q.p99).c_str());
    out += line;
  }
  out += "\nPer step:\n";
  std::snprintf(line, sizeof line, "  %-18s %9s %7s %10s %10s %10s %10s\n", "step", "requests",
                "errors", "p50", "p95", "p99", "max");
  out += line;
  for (const auto& st : s.steps) {
    const auto q = StatsOf(st.latency);
    std::snprintf(line, sizeof line, "  %-18s %9llu %7llu %10s %10s %10s %10s\n", st.name.c_str(),
                  static_cast<unsigned long long>(st.ok + st.failed),
                  static_cast<unsigned long long>(st.failed), Ms(q.p50).c_str(), Ms(q.p95).c_str(),
                  Ms(q.p99).c_str(), Ms(q.max).c_str());
    out += line;
    if (!st.last_error.empty()) out += "    last error: " + st.last_error + "\n";
  }
  if (s.interrupted)
    out += "\n" + std::to_string(s.interrupted) +
           " requests cut by the end of the test (not counted)\n";
  return out;
}

}  // namespace reznet::probes::load
