#include "probes/outcome.hpp"

#include <cmath>
#include <cstdio>

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

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9f", v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string OutcomeToJson(const std::string& probe, const std::string& kind, const Outcome& o) {
  std::string out = "{\"probe\": " + JsonQuote(probe) + ", \"kind\": " + JsonQuote(kind) +
                    ", \"ok\": " + (o.ok() ? "true" : "false") +
                    ", \"skipped\": " + (o.skipped ? "true" : "false");
  if (o.skipped) out += ", \"skip_reason\": " + JsonQuote(o.skip_reason);
  out += ", \"error\": ";
  out += o.error ? "{\"kind\": " + JsonQuote(o.error->kind) +
                       ", \"detail\": " + JsonQuote(o.error->detail) + "}"
                 : "null";
  out += ", \"phases\": {";
  for (std::size_t i = 0; i < o.phases.size(); ++i) {
    if (i) out += ", ";
    const Phase& p = o.phases[i];
    out += JsonQuote(p.name) + ": ";
    if (!p.weighted.empty()) {
      // {"count": N, "histogram": [[seconds, count], …]}
      out += "{\"count\": " + std::to_string(p.Count()) + ", \"histogram\": [";
      for (std::size_t j = 0; j < p.weighted.size(); ++j) {
        out += (j ? ", [" : "[") +
               JsonNumber(std::chrono::duration<double>(p.weighted[j].first).count()) + ", " +
               std::to_string(p.weighted[j].second) + "]";
      }
      out += "]}";
      continue;
    }
    out += "[";
    for (std::size_t j = 0; j < p.samples.size(); ++j) {
      if (j) out += ", ";
      out += JsonNumber(std::chrono::duration<double>(p.samples[j]).count());
    }
    out += "]";
  }
  out += "}, \"counters\": {";
  for (std::size_t i = 0; i < o.counters.size(); ++i) {
    if (i) out += ", ";
    out += JsonQuote(o.counters[i].first) + ": " + JsonNumber(o.counters[i].second);
  }
  out += "}";
  if (!o.notes.empty()) {
    out += ", \"notes\": {";
    for (std::size_t i = 0; i < o.notes.size(); ++i) {
      out += (i ? ", " : "") + JsonQuote(o.notes[i].first) + ": " + JsonQuote(o.notes[i].second);
    }
    out += "}";
  }
  return out + "}";
}

std::string FormatSeconds(double seconds) {
  char buf[32];
  if (seconds >= 1)
    std::snprintf(buf, sizeof buf, "%.2f s", seconds);
  else if (seconds >= 0.001)
    std::snprintf(buf, sizeof buf, "%.1f ms", seconds * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f µs", seconds * 1e6);
  return buf;
}

}  // namespace reznet::probes
