#pragma once
// The Prometheus text exposition format (0.0.4) of collected metric families, written straight
// into a string with std::to_chars: the same text as prometheus-cpp's TextSerializer (HELP, TYPE,
// one line per sample; histograms as _count, _sum, then cumulative _bucket lines ending at +Inf),
// at a fraction of its cost, which goes to iostream sentries and printf (bench/scale.py: 1,000
// probes render in … ms instead of …). Numbers are the shortest text that reads back to the
// same double; NaN, +Inf and -Inf as the format spells them.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prometheus {
struct MetricFamily;
}

namespace reznet::common {

void AppendExposition(std::string& out, const std::vector<prometheus::MetricFamily>& families);

// The pieces, for text written by hand (GET /probe): a sample value, and a label value escaped
// (\\, \" and newline).
void AppendNumber(std::string& out, double v);
void AppendLabelValue(std::string& out, std::string_view value);

// Text written from plain values by the parts that keep their series themselves (probe series,
// window statistics): the same lines AppendExposition writes for a collected family. Labels are
// written in the order given; callers give them sorted by name, as prometheus-cpp collects them.
using Label = std::pair<std::string_view, std::string_view>;
// "# HELP name help" and "# TYPE name type" (type: counter, gauge, histogram).
void AppendHelpType(std::string& out, std::string_view name, std::string_view help,
                    std::string_view type);
// "name{labels} value".
void AppendSample(std::string& out, std::string_view name, std::span<const Label> labels,
                  double value);
// A histogram's _count, _sum and cumulative _bucket lines; `counts` has one per bound (value <=
// bound, not cumulative) and one more for +Inf.
void AppendHistogram(std::string& out, std::string_view name, std::span<const Label> labels,
                     std::span<const double> bounds, std::span<const std::uint64_t> counts,
                     double sum);

}  // namespace reznet::common
