#include "common/exposition.hpp"

#include <prometheus/metric_family.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>

namespace reznet::common {

using prometheus::ClientMetric;
using prometheus::MetricType;

void AppendNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    // Whole numbers (counts, Unix times) as integers: 1700000000, not 1.7e+09.
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v));
    out.append(buf, ec == std::errc() ? end : buf);
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc() ? end : buf);
  }
}

namespace {

void AppendCount(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

// Escapes \ and newline (HELP) and also " (label values).
void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// name{labels[,extra_name="extra_value"]} — `extra` is the histogram's le.
void AppendSeries(std::string& out, const std::string& name, std::string_view suffix,
                  const ClientMetric& m, std::string_view extra_name = {}, double extra_value = 0) {
  out += name;
  out += suffix;
  if (m.label.empty() && extra_name.empty()) {
    out += ' ';
    return;
  }
  out += '{';
  bool first = true;
  for (const auto& l : m.label) {
    if (!first) out += ',';
    first = false;
    out += l.name;
    out += "=\"";
    AppendEscaped(out, l.value, true);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    AppendNumber(out, extra_value);
    out += '"';
  }
  out += "} ";
}

void AppendTimestamp(std::string& out, const ClientMetric& m) {
  if (m.timestamp_ms != 0) {
    out += ' ';
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, m.timestamp_ms);
    out.append(buf, ec == std::errc() ? end : buf);
  }
  out += '\n';
}

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Untyped:
      break;
  }
  return "untyped";
}

// name_count and name_sum of a summary or histogram.
void AppendCountAndSum(std::string& out, const std::string& name, const ClientMetric& m,
                       std::uint64_t count, double sum) {
  AppendSeries(out, name, "_count", m);
  AppendCount(out, count);
  AppendTimestamp(out, m);
  AppendSeries(out, name, "_sum", m);
  AppendNumber(out, sum);
  AppendTimestamp(out, m);
}

}  // namespace

void AppendLabelValue(std::string& out, std::string_view value) { AppendEscaped(out, value, true); }

void AppendHelpType(std::string& out, std::string_view name, std::string_view help,
                    std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  AppendEscaped(out, help, false);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

namespace {

// name[suffix]{labels[,le="bound"]} — a bound only for histogram buckets.
void AppendPlainSeries(std::string& out, std::string_view name, std::string_view suffix,
                       std::span<const Label> labels, const double* le = nullptr) {
  out += name;
  out += suffix;
  if (labels.empty() && le == nullptr) {
    out += ' ';
    return;
  }
  out += '{';
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += key;
    out += "=\"";
    AppendEscaped(out, value, true);
    out += '"';
  }
  if (le != nullptr) {
    if (!first) out += ',';
    out += "le=\"";
    AppendNumber(out, *le);
    out += '"';
  }
  out += "} ";
}

}  // namespace

void AppendSample(std::string& out, std::string_view name, std::span<const Label> labels,
                  double value) {
  AppendPlainSeries(out, name, "", labels);
  AppendNumber(out, value);
  out += '\n';
}

void AppendHistogram(std::string& out, std::string_view name, std::span<const Label> labels,
                     std::span<const double> bounds, std::span<const std::uint64_t> counts,
                     double sum) {
  std::uint64_t total = 0;
  for (auto c : counts) total += c;
  AppendPlainSeries(out, name, "_count", labels);
  AppendCount(out, total);
  out += '\n';
  AppendPlainSeries(out, name, "_sum", labels);
  AppendNumber(out, sum);
  out += '\n';
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    const double le = i < bounds.size() ? bounds[i] : INFINITY;
    cumulative += i < counts.size() ? counts[i] : 0;
    AppendPlainSeries(out, name, "_bucket", labels, &le);
    AppendCount(out, cumulative);
    out += '\n';
  }
}

void AppendExposition(std::string& out, const std::vector<prometheus::MetricFamily>& families) {
  for (const auto& f : families) {
    if (f.metric.empty()) continue;
    out += "# HELP ";
    out += f.name;
    out += ' ';
    AppendEscaped(out, f.help, false);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += TypeName(f.type);
    out += '\n';
    for (const auto& m : f.metric) {
      switch (f.type) {
        case MetricType::Counter:
        case MetricType::Gauge:
        case MetricType::Untyped:
          AppendSeries(out, f.name, "", m);
          AppendNumber(out, f.type == MetricType::Counter ? m.counter.value
                            : f.type == MetricType::Gauge ? m.gauge.value
                                                          : m.untyped.value);
          AppendTimestamp(out, m);
          break;
        case MetricType::Summary:
          AppendCountAndSum(out, f.name, m, m.summary.sample_count, m.summary.sample_sum);
          for (const auto& q : m.summary.quantile) {
            AppendSeries(out, f.name, "", m, "quantile", q.quantile);
            AppendNumber(out, q.value);
            AppendTimestamp(out, m);
          }
          break;
        case MetricType::Histogram: {
          AppendCountAndSum(out, f.name, m, m.histogram.sample_count, m.histogram.sample_sum);
          bool inf_seen = false;
          for (const auto& b : m.histogram.bucket) {
            AppendSeries(out, f.name, "_bucket", m, "le", b.upper_bound);
            AppendCount(out, b.cumulative_count);
            AppendTimestamp(out, m);
            inf_seen = inf_seen || std::isinf(b.upper_bound);
          }
          if (!inf_seen) {
            AppendSeries(out, f.name, "_bucket", m, "le", INFINITY);
            AppendCount(out, m.histogram.sample_count);
            AppendTimestamp(out, m);
          }
          break;
        }
      }
    }
  }
}

}  // namespace reznet::common
