#include "probes/outcome.hpp"

#include <boost/json.hpp>

#include "common/json.hpp"

namespace reznet::probes {

void Outcome::Record(const std::string& phase, Duration d) {
  for (auto& p : phases) {
    if (p.name == phase) {
      p.samples.push_back(d);
      return;
    }
  }
  phases.push_back(Phase{phase, {d}});
}

void Outcome::RecordWeighted(const std::string& phase, Duration d, std::uint64_t count) {
  for (auto& p : phases) {
    if (p.name == phase) {
      p.weighted.emplace_back(d, count);
      return;
    }
  }
  phases.push_back(Phase{phase, {}, {{d, count}}});
}

std::uint64_t Phase::Count() const {
  std::uint64_t n = samples.size();
  for (const auto& [d, c] : weighted) n += c;
  return n;
}

void Outcome::SetCounter(const std::string& name, double value) {
  for (auto& [k, v] : counters) {
    if (k == name) {
      v = value;
      return;
    }
  }
  counters.emplace_back(name, value);
}

const Phase* Outcome::FindPhase(const std::string& name) const {
  for (const auto& p : phases) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::optional<double> Outcome::Counter(const std::string& name) const {
  for (const auto& [k, v] : counters) {
    if (k == name) return v;
  }
  return std::nullopt;
}

namespace {

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// A phase: every sample in seconds, or — for weighted (histogram) phases —
// {"count": N, "histogram": [[seconds, count], …]}.
boost::json::value PhaseJson(const Phase& p) {
  if (!p.weighted.empty()) {
    boost::json::array histogram;
    for (const auto& [d, count] : p.weighted) histogram.push_back({Seconds(d), count});
    return boost::json::object{{"count", p.Count()}, {"histogram", std::move(histogram)}};
  }
  boost::json::array samples;
  for (const auto& d : p.samples) samples.push_back(Seconds(d));
  return samples;
}

}  // namespace

std::string OutcomeToJson(const std::string& probe, const std::string& kind, const Outcome& o) {
  boost::json::object out;
  out["probe"] = probe;
  out["kind"] = kind;
  out["ok"] = o.ok();
  out["skipped"] = o.skipped;
  if (o.skipped) out["skip_reason"] = o.skip_reason;
  out["error"] = o.error ? boost::json::value{{"kind", clients::ToString(o.error->kind)},
                                              {"detail", o.error->detail}}
                         : boost::json::value(nullptr);
  boost::json::object phases;
  for (const auto& p : o.phases) phases[p.name] = PhaseJson(p);
  out["phases"] = std::move(phases);
  boost::json::object counters;
  for (const auto& [name, value] : o.counters) counters[name] = value;
  out["counters"] = std::move(counters);
  if (!o.notes.empty()) {
    boost::json::object notes;
    for (const auto& [name, text] : o.notes) notes[name] = text;
    out["notes"] = std::move(notes);
  }
  return common::WriteJson(out);
}

}  // namespace reznet::probes
