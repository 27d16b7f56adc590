#include "suite/record.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <random>

#include "common/json.hpp"
#include "common/time.hpp"

namespace reznet::suite {
namespace json = boost::json;

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

namespace {

template <class E, std::size_t N>
std::string_view NameOf(E e, const std::pair<E, std::string_view> (&names)[N]) {
  for (const auto& [k, name] : names)
    if (k == e) return name;
  return names[0].second;
}
template <class E, std::size_t N>
std::optional<E> Named(std::string_view text, const std::pair<E, std::string_view> (&names)[N]) {
  for (const auto& [k, name] : names)
    if (name == text) return k;
  return std::nullopt;
}

constexpr std::pair<RunState, std::string_view> kRunStates[] = {{RunState::kQueued, "queued"},
                                                                {RunState::kRunning, "running"},
                                                                {RunState::kPassed, "passed"},
                                                                {RunState::kFailed, "failed"},
                                                                {RunState::kError, "error"}};
constexpr std::pair<RowStatus, std::string_view> kRowStatuses[] = {
    {RowStatus::kOk, "ok"}, {RowStatus::kWorse, "worse"}, {RowStatus::kViolated, "violated"}};
constexpr std::pair<RowVerdict, std::string_view> kRowVerdicts[] = {
    {RowVerdict::kNone, ""},
    {RowVerdict::kRegressed, "regressed"},
    {RowVerdict::kImproved, "improved"},
    {RowVerdict::kNoChange, "no significant change"},
    {RowVerdict::kTooFew, "too few samples"},
    {RowVerdict::kNotTested, "not tested"}};
constexpr std::pair<Verdict, std::string_view> kVerdicts[] = {
    {Verdict::kSkipped, "skipped"},
    {Verdict::kPassed, "passed"},
    {Verdict::kFailed, "failed"},
    {Verdict::kInconclusive, "inconclusive"}};

}  // namespace

std::string_view ToString(RunState s) { return NameOf(s, kRunStates); }
std::optional<RunState> ParseRunState(std::string_view text) { return Named(text, kRunStates); }
std::string_view ToString(RowStatus s) { return NameOf(s, kRowStatuses); }
std::optional<RowStatus> ParseRowStatus(std::string_view text) { return Named(text, kRowStatuses); }
std::string_view ToString(RowVerdict v) { return NameOf(v, kRowVerdicts); }
std::optional<RowVerdict> ParseRowVerdict(std::string_view text) {
  return Named(text, kRowVerdicts);
}

// The names are literals: data() ends in a NUL.
const char* VerdictName(Verdict v) { return NameOf(v, kVerdicts).data(); }

std::vector<std::pair<double, std::uint64_t>> PhaseStats::Weighted() const {
  if (!histogram.empty()) return histogram;
  std::vector<std::pair<double, std::uint64_t>> out;
  out.reserve(samples.size());
  for (double v : samples) out.emplace_back(v, 1);
  return out;
}

std::uint64_t PhaseStats::Kept() const {
  std::uint64_t n = samples.size();
  for (const auto& [v, c] : histogram) n += c;
  return n;
}

namespace {

// Nanoseconds are the clocks' resolution; fewer digits keep history lines short.
double RoundNs(double seconds) { return std::round(seconds * 1e9) / 1e9; }

}  // namespace

void KeepSamples(PhaseStats& phase, std::vector<std::pair<double, std::uint64_t>> all) {
  std::erase_if(all, [](const auto& s) { return s.second == 0; });
  for (auto& s : all) s.first = RoundNs(s.first);
  const bool weighted =
      std::any_of(all.begin(), all.end(), [](const auto& s) { return s.second != 1; });
  phase.samples.clear();
  phase.histogram.clear();
  if (weighted) {
    std::sort(all.begin(), all.end());
    // Too many buckets: neighbours merge into groups of equal size, each at its largest value
    // (percentiles read from it are then a little high, never low).
    const std::size_t group = (all.size() + kMaxKeptSamples - 1) / kMaxKeptSamples;
    for (std::size_t i = 0; i < all.size(); i += group) {
      std::uint64_t count = 0;
      const std::size_t end = std::min(all.size(), i + group);
      for (std::size_t j = i; j < end; ++j) count += all[j].second;
      phase.histogram.emplace_back(all[end - 1].first, count);
    }
    return;
  }
  if (all.size() <= kMaxKeptSamples) {
    for (const auto& s : all) phase.samples.push_back(s.first);
    return;
  }
  // Evenly spaced order statistics: the distribution's shape at a fixed size. Rank tests on them
  // are conservative (they see fewer samples than there were).
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i < kMaxKeptSamples; ++i) {
    const double at = (static_cast<double>(i) + 0.5) * static_cast<double>(all.size()) /
                      static_cast<double>(kMaxKeptSamples);
    phase.samples.push_back(all[static_cast<std::size_t>(at)].first);
  }
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

json::object StrMap(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

json::value Opt(const std::optional<double>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

template <typename T, typename F>
json::array Array(const std::vector<T>& items, F each) {
  json::array out;
  for (const auto& item : items) out.push_back(each(item));
  return out;
}

json::object PhaseJson(const PhaseStats& p) {
  json::object o{{"name", p.name}, {"count", p.count}, {"min", p.min},
                 {"mean", p.mean}, {"p50", p.p50},     {"p90", p.p90},
                 {"p95", p.p95},   {"p99", p.p99},     {"max", p.max}};
  if (!p.histogram.empty()) {
    json::array h;
    for (const auto& [v, c] : p.histogram) h.push_back(json::array{v, c});
    o["histogram"] = std::move(h);
  } else {
    o["samples"] = json::array(p.samples.begin(), p.samples.end());
  }
  return o;
}

json::object ProbeJson(const ProbeResult& p) {
  json::object errors;
  for (const auto& [k, n] : p.errors) errors[k] = n;
  json::object counters;
  for (const auto& [k, v] : p.counters) counters[k] = v;
  return {{"name", p.name},
          {"kind", p.kind},
          {"planned", p.planned},
          {"runs", p.runs},
          {"failures", p.failures},
          {"skipped", p.skipped},
          {"skip_reason", p.skip_reason},
          {"errors", std::move(errors)},
          {"last_error", p.last_error},
          {"phases", Array(p.phases, PhaseJson)},
          {"counters", std::move(counters)},
          {"seconds", p.seconds}};
}

json::object VerdictJson(const NfrVerdict& v) {
  return {{"nfr", v.nfr},
          {"probe", v.probe},
          {"phase", v.phase},
          {"stat", v.stat},
          {"op", v.op},
          {"threshold", v.threshold},
          {"unit", v.latency ? "seconds" : "ratio"},
          {"value", Opt(v.value)},
          {"samples", v.samples},
          {"ci", v.interval ? json::value(json::array{Opt(v.interval->low), Opt(v.interval->high)})
                            : json::value(nullptr)},
          {"verdict", VerdictName(v.verdict)},
          {"reason", v.reason},
          {"severity", v.severity},
          {"baseline", Opt(v.reference)}};
}

json::object BaselineJson(const ComparisonRow& b) {
  return {{"nfr", b.nfr},
          {"probe", b.probe},
          {"phase", b.phase},
          {"stat", b.stat},
          {"unit", b.latency ? "seconds" : "ratio"},
          {"baseline", b.before},
          {"value", b.value},
          {"change_pct", b.change_pct},
          {"ci_low_pct", Opt(b.ci_low_pct)},
          {"ci_high_pct", Opt(b.ci_high_pct)},
          {"p_value", Opt(b.p_value)},
          {"samples_baseline", b.samples_before},
          {"samples_run", b.samples_run},
          {"verdict", ToString(b.verdict)},
          {"status", ToString(b.status)}};
}

// Reading: every accessor is tolerant of absent keys (older lines) but not of wrong types: a
// line whose field has the wrong type is not a run record, and the error names the field.
const json::value* Get(const json::object& o, std::string_view k) { return o.if_contains(k); }
[[noreturn]] void WrongType(std::string_view k, const char* expected) {
  throw std::runtime_error(std::string(k) + ": expected " + expected);
}
std::string S(const json::object& o, std::string_view k) {
  const auto* v = Get(o, k);
  if (v == nullptr) return {};
  if (!v->is_string()) WrongType(k, "a string");
  return std::string(v->as_string());
}
double Number(const json::value& v, std::string_view k) {
  if (!v.is_number()) WrongType(k, "a number");
  return v.to_number<double>();
}
double D(const json::object& o, std::string_view k) {
  const auto* v = Get(o, k);
  if (v == nullptr || v->is_null()) return 0;
  return Number(*v, k);
}
std::optional<double> OptD(const json::object& o, std::string_view k) {
  const auto* v = Get(o, k);
  if (v == nullptr || v->is_null()) return std::nullopt;
  return Number(*v, k);
}
bool B(const json::object& o, std::string_view k) {
  const auto* v = Get(o, k);
  if (v == nullptr) return false;
  if (!v->is_bool()) WrongType(k, "true or false");
  return v->as_bool();
}
const json::array& A(const json::value& v, std::string_view k) {
  if (!v.is_array()) WrongType(k, "an array");
  return v.as_array();
}
const json::array& A(const json::object& o, std::string_view k) {
  static const json::array kEmpty;
  const auto* v = Get(o, k);
  return v ? A(*v, k) : kEmpty;
}
const json::object& O(const json::value& v, std::string_view k) {
  if (!v.is_object()) WrongType(k, "an object");
  return v.as_object();
}
const json::object& O(const json::object& o, std::string_view k) {
  static const json::object kEmpty;
  const auto* v = Get(o, k);
  return v ? O(*v, k) : kEmpty;
}
std::string Str(const json::value& v, std::string_view k) {
  if (!v.is_string()) WrongType(k, "a string");
  return std::string(v.as_string());
}

// A key absent (or empty) in records written before it existed reads as `absent`.
template <class E>
E Enum(const json::object& o, std::string_view k, std::optional<E> (*parse)(std::string_view),
       const char* expected, E absent) {
  const std::string text = S(o, k);
  if (text.empty()) return absent;
  const auto e = parse(text);
  if (!e) WrongType(k, expected);
  return *e;
}

// Unknown (or absent) names read as skipped, as records have always been read.
Verdict VerdictOf(const std::string& s) { return Named(s, kVerdicts).value_or(Verdict::kSkipped); }

}  // namespace

std::string ToJson(const RunRecord& r) {
  const json::object doc{
      {"id", r.id},
      {"profile", r.profile},
      {"labels", StrMap(r.labels)},
      {"state", ToString(r.state)},
      {"error", r.error},
      {"version", r.version},
      {"started_at", r.started_at},
      {"finished_at", r.finished_at},
      {"progress", json::object{{"done", r.done}, {"total", r.total}, {"current", r.current}}},
      {"probes", Array(r.probes, ProbeJson)},
      {"nfrs", Array(r.nfrs, VerdictJson)},
      {"baseline_id", r.compared_with},
      {"tolerance", r.tolerance},
      {"significance", r.significance},
      {"on_inconclusive", r.inconclusive_fails ? "fail" : "pass"},
      {"cpu_pressure", Opt(r.cpu_pressure)},
      {"baseline", Array(r.comparison, BaselineJson)},
      {"baseline_phases", Array(r.phase_comparison, BaselineJson)}};
  // Tight, as history lines have always been written (runs.jsonl, the postgres record column).
  return common::WriteJson(doc, common::JsonStyle::kTight);
}

namespace {

// Records written before samples were kept have neither "samples" nor "histogram".
PhaseStats PhaseFromJson(const json::object& ph) {
  PhaseStats s{S(ph, "name"),
               static_cast<std::uint64_t>(D(ph, "count")),
               D(ph, "min"),
               D(ph, "mean"),
               D(ph, "p50"),
               D(ph, "p90"),
               D(ph, "p95"),
               D(ph, "p99"),
               D(ph, "max"),
               {},
               {}};
  for (const auto& v : A(ph, "samples")) s.samples.push_back(Number(v, "samples"));
  for (const auto& bucket : A(ph, "histogram")) {
    const auto& pair = A(bucket, "histogram[]");
    if (pair.size() != 2) WrongType("histogram[]", "[seconds, count]");
    s.histogram.emplace_back(Number(pair[0], "histogram[]"),
                             static_cast<std::uint64_t>(Number(pair[1], "histogram[]")));
  }
  return s;
}

ProbeResult ProbeFromJson(const json::value& pv) {
  const auto& po = O(pv, "probes[]");
  ProbeResult p;
  p.name = S(po, "name");
  p.kind = S(po, "kind");
  p.planned = static_cast<int>(D(po, "planned"));
  p.runs = static_cast<int>(D(po, "runs"));
  p.failures = static_cast<int>(D(po, "failures"));
  p.skipped = B(po, "skipped");
  p.skip_reason = S(po, "skip_reason");
  for (const auto& [k, v] : O(po, "errors"))
    p.errors[std::string(k)] = static_cast<int>(Number(v, "errors"));
  p.last_error = S(po, "last_error");
  for (const auto& phv : A(po, "phases")) {
    const auto& ph = O(phv, "phases[]");
    p.phases.push_back(PhaseFromJson(ph));
  }
  for (const auto& [k, v] : O(po, "counters"))
    p.counters.emplace_back(std::string(k), Number(v, "counters"));
  p.seconds = D(po, "seconds");
  return p;
}

NfrVerdict VerdictFromJson(const json::value& vv) {
  const auto& vo = O(vv, "nfrs[]");
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
  if (const auto* ci = Get(vo, "ci"); ci != nullptr && !ci->is_null()) {
    const auto& pair = A(*ci, "ci");
    if (pair.size() != 2) WrongType("ci", "[low, high]");
    auto side = [](const json::value& x) {
      return x.is_null() ? std::nullopt : std::optional<double>(Number(x, "ci"));
    };
    v.interval = NfrVerdict::Interval{side(pair[0]), side(pair[1])};
  }
  v.verdict = VerdictOf(S(vo, "verdict"));
  v.reason = S(vo, "reason");
  v.severity = S(vo, "severity");
  v.reference = OptD(vo, "baseline");
  return v;
}

ComparisonRow BaselineFromJson(const json::value& bv) {
  const auto& bo = O(bv, "baseline[]");
  ComparisonRow b{S(bo, "nfr"), S(bo, "unit") != "ratio", D(bo, "baseline"), D(bo, "value"),
                  D(bo, "change_pct")};
  b.status = Enum(bo, "status", ParseRowStatus, "ok, worse or violated", RowStatus::kOk);
  b.probe = S(bo, "probe");
  b.phase = S(bo, "phase");
  b.stat = S(bo, "stat");
  b.ci_low_pct = OptD(bo, "ci_low_pct");
  b.ci_high_pct = OptD(bo, "ci_high_pct");
  b.p_value = OptD(bo, "p_value");
  b.samples_before = static_cast<std::uint64_t>(D(bo, "samples_baseline"));
  b.samples_run = static_cast<std::uint64_t>(D(bo, "samples_run"));
  b.verdict = Enum(bo, "verdict", ParseRowVerdict,
                   "regressed, improved, no significant change, too few samples or not tested",
                   RowVerdict::kNone);
  return b;
}

RunRecord RunFromJson(const json::value& root) {
  const json::object& o = O(root, "the line");
  RunRecord r;
  r.id = S(o, "id");
  if (r.id.empty()) throw std::runtime_error("no id");
  r.profile = S(o, "profile");
  for (const auto& [k, v] : O(o, "labels")) r.labels[std::string(k)] = Str(v, "labels");
  // A record without a state never finished properly.
  r.state =
      Enum(o, "state", ParseRunState, "queued, running, passed, failed or error", RunState::kError);
  r.error = S(o, "error");
  r.version = S(o, "version");
  r.started_at = D(o, "started_at");
  r.finished_at = D(o, "finished_at");
  const auto& progress = O(o, "progress");
  r.done = static_cast<int>(D(progress, "done"));
  r.total = static_cast<int>(D(progress, "total"));
  r.current = S(progress, "current");
  for (const auto& pv : A(o, "probes")) r.probes.push_back(ProbeFromJson(pv));
  for (const auto& vv : A(o, "nfrs")) r.nfrs.push_back(VerdictFromJson(vv));
  r.compared_with = S(o, "baseline_id");
  if (Get(o, "tolerance")) r.tolerance = D(o, "tolerance");
  if (Get(o, "significance")) r.significance = D(o, "significance");
  r.inconclusive_fails = S(o, "on_inconclusive") == "fail";
  r.cpu_pressure = OptD(o, "cpu_pressure");
  for (const auto& bv : A(o, "baseline")) r.comparison.push_back(BaselineFromJson(bv));
  for (const auto& bv : A(o, "baseline_phases")) r.phase_comparison.push_back(BaselineFromJson(bv));
  return r;
}

}  // namespace

common::Result<RunRecord> ParseRun(const std::string& text) {
  try {
    return RunFromJson(json::parse(text));
  } catch (const boost::system::system_error& e) {
    return common::Invalid(e.code().message());  // what() carries Boost's source location
  } catch (const std::exception& e) {
    return common::Invalid(e.what());
  }
}

std::string ComparisonJson(const std::string& compared_with, const std::string& run_id,
                           double significance, double tolerance,
                           const std::vector<ComparisonRow>& nfrs,
                           const std::vector<ComparisonRow>& phases) {
  const json::object doc{
      {"baseline_id", compared_with},      {"run_id", run_id},
      {"significance", significance},      {"tolerance", tolerance},
      {"nfrs", Array(nfrs, BaselineJson)}, {"phases", Array(phases, BaselineJson)}};
  return common::WriteJson(doc, common::JsonStyle::kPretty);
}

std::string NewRunId(double unix_seconds) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%06x", static_cast<unsigned>(rng() & 0xffffff));
  return common::FormatUtc(unix_seconds, common::kCompactStamp) + "-" + suffix;
}

}  // namespace reznet::suite
