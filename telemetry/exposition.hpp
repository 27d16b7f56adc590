#pragma once
// The Prometheus text exposition format (0.0.4) of collected metric families, written straight
// into a string with std::to_chars: the same text as prometheus-cpp's TextSerializer (HELP, TYPE,
// one line per sample; histograms as _count, _sum, then cumulative _bucket lines ending at +Inf),
// at a fraction of its cost, which goes to iostream sentries and printf (bench/scale.py: 1,000
// probes render in … ms instead of …). Numbers are the shortest text that reads back to the
// same double; NaN, +Inf and -Inf as the format spells them.

#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
struct MetricFamily;
}

namespace reznet::telemetry {

void AppendExposition(std::string& out, const std::vector<prometheus::MetricFamily>& families);

// The pieces, for text written by hand (GET /probe): a sample value, and a label value escaped
// (\\, \" and newline).
void AppendNumber(std::string& out, double v);
void AppendLabelValue(std::string& out, std::string_view value);

}  // namespace reznet::telemetry
