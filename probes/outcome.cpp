#include "probes/outcome.hpp"

#include <cmath>
#include <cstdio>

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

std::string OutcomeToJson(const std::string& probe, const std::string& kind, const Outcome& o) {
  std::string out = "{\"probe\": " + common::JsonQuote(probe) +
                    ", \"kind\": " + common::JsonQuote(kind) +
                    ", \"ok\": " + (o.ok() ? "true" : "false") +
                    ", \"skipped\": " + (o.skipped ? "true" : "false");
  if (o.skipped) out += ", \"skip_reason\": " + common::JsonQuote(o.skip_reason);
  out += ", \"error\": ";
  out += o.error ? "{\"kind\": " + common::JsonQuote(o.error->kind) +
                       ", \"detail\": " + common::JsonQuote(o.error->detail) + "}"
                 : "null";
  out += ", \"phases\": {";
  for (std::size_t i = 0; i < o.phases.size(); ++i) {
    if (i) out += ", ";
    const Phase& p = o.phases[i];
    out += common::JsonQuote(p.name) + ": ";
    if (!p.weighted.empty()) {
      // {"count": N, "histogram": [[seconds, count], …]}
      out += "{\"count\": " + std::to_string(p.Count()) + ", \"histogram\": [";
      for (std::size_t j = 0; j < p.weighted.size(); ++j) {
        out += (j ? ", [" : "[") +
               common::JsonNumber(std::chrono::duration<double>(p.weighted[j].first).count()) +
               ", " + std::to_string(p.weighted[j].second) + "]";
      }
      out += "]}";
      continue;
    }
    out += "[";
    for (std::size_t j = 0; j < p.samples.size(); ++j) {
      if (j) out += ", ";
      out += common::JsonNumber(std::chrono::duration<double>(p.samples[j]).count());
    }
    out += "]";
  }
  out += "}, \"counters\": {";
  for (std::size_t i = 0; i < o.counters.size(); ++i) {
    if (i) out += ", ";
    out += common::JsonQuote(o.counters[i].first) + ": " + common::JsonNumber(o.counters[i].second);
  }
  out += "}";
  if (!o.notes.empty()) {
    out += ", \"notes\": {";
    for (std::size_t i = 0; i < o.notes.size(); ++i) {
      out += (i ? ", " : "") + common::JsonQuote(o.notes[i].first) + ": " +
             common::JsonQuote(o.notes[i].second);
    }
    out += "}";
  }
  return out + "}";
}

}  // namespace reznet::probes
