#include "suite/compare.hpp"

#include <cmath>
#include <limits>

namespace reznet::suite {
namespace {

RowVerdict VerdictOf(stats::Change c) {
  switch (c) {
    case stats::Change::kRegressed:
      return RowVerdict::kRegressed;
    case stats::Change::kImproved:
      return RowVerdict::kImproved;
    case stats::Change::kNoChange:
      return RowVerdict::kNoChange;
    case stats::Change::kTooFew:
      return RowVerdict::kTooFew;
  }
  return RowVerdict::kNone;
}

double ChangeOf(double baseline, double value) {
  if (baseline != 0) return value / baseline - 1;
  return value == 0 ? 0 : std::numeric_limits<double>::infinity();
}

// Rank test, interval and verdict of a latency statistic over two phases' samples.
void TestLatency(ComparisonRow& row, const PhaseStats* base, const PhaseStats* run,
                 const stats::Criteria& criteria, bool interval) {
  const auto a = base ? base->Weighted() : std::vector<stats::WeightedSample>{};
  const auto b = run ? run->Weighted() : std::vector<stats::WeightedSample>{};
  const stats::TestResult test = stats::MannWhitney(a, b);
  row.samples_before = test.n_a;
  row.samples_run = test.n_b;
  if (test.n_a > 0 && test.n_b > 0) row.p_value = test.p;
  const auto stat = stats::StatisticNamed(row.stat);
  if (interval && stat) {
    if (auto ci = stats::BootstrapChange(a, b, *stat)) {
      row.ci_low_pct = ci->low * 100;
      row.ci_high_pct = ci->high * 100;
    }
  }
  row.verdict = VerdictOf(stats::Decide(test, ChangeOf(row.before, row.value), true, criteria));
}

void TestErrorRate(ComparisonRow& row, const ProbeResult* base, const ProbeResult* run,
                   const stats::Criteria& criteria) {
  const auto n = [](const ProbeResult* p) { return p ? static_cast<std::uint64_t>(p->runs) : 0; };
  const auto f = [](const ProbeResult* p) {
    return p ? static_cast<std::uint64_t>(p->failures) : 0;
  };
  const stats::TestResult test = stats::ProportionTest(f(base), n(base), f(run), n(run));
  row.samples_before = test.n_a;
  row.samples_run = test.n_b;
  if (test.n_a > 0 && test.n_b > 0) row.p_value = test.p;
  row.verdict = VerdictOf(stats::Decide(test, ChangeOf(row.before, row.value), true, criteria));
}

}  // namespace

std::optional<ComparisonRow> CompareNfr(const RunRecord& run, const RunRecord& baseline,
                                        const std::string& nfr, const stats::Criteria& criteria,
                                        bool interval) {
  const NfrVerdict* v = run.Nfr(nfr);
  const NfrVerdict* b = baseline.Nfr(nfr);
  if (v == nullptr || b == nullptr || !b->value || !v->value) return std::nullopt;
  ComparisonRow row;
  row.nfr = v->nfr;
  row.probe = v->probe;
  row.phase = v->phase;
  row.stat = v->stat;
  row.latency = v->latency;
  row.before = *b->value;
  row.value = *v->value;
  row.change_pct = row.before != 0 ? (row.value / row.before - 1) * 100 : 0;
  const ProbeResult* rp = run.Probe(v->probe);
  const ProbeResult* bp = baseline.Probe(b->probe);
  bool regressed = false;
  if (v->stat == "error_rate") {
    TestErrorRate(row, bp, rp, criteria);
    regressed = row.verdict == RowVerdict::kRegressed;
  } else if (v->latency) {
    TestLatency(row, bp ? bp->Phase(b->phase) : nullptr, rp ? rp->Phase(v->phase) : nullptr,
                criteria, interval);
    regressed = row.verdict == RowVerdict::kRegressed;
  } else {
    // A ratio (a counter's mean over runs): no samples kept to test, so the tolerance alone.
    row.verdict = RowVerdict::kNotTested;
    regressed = -row.change_pct > criteria.tolerance * 100 + 1e-9;
  }
  row.status = v->verdict == Verdict::kFailed ? RowStatus::kViolated
               : regressed                    ? RowStatus::kWorse
                                              : RowStatus::kOk;
  return row;
}

std::vector<ComparisonRow> CompareNfrs(const RunRecord& run, const RunRecord& baseline,
                                       const stats::Criteria& criteria) {
  std::vector<ComparisonRow> rows;
  for (const auto& v : run.nfrs) {
    if (auto row = CompareNfr(run, baseline, v.nfr, criteria)) rows.push_back(std::move(*row));
  }
  return rows;
}

std::vector<ComparisonRow> ComparePhases(const RunRecord& run, const RunRecord& baseline,
                                         const stats::Criteria& criteria) {
  std::vector<ComparisonRow> rows;
  for (const auto& p : run.probes) {
    const ProbeResult* bp = baseline.Probe(p.name);
    if (bp == nullptr) continue;
    for (const auto& phase : p.phases) {
      const PhaseStats* bphase = bp->Phase(phase.name);
      if (bphase == nullptr || bphase->count == 0 || phase.count == 0) continue;
      ComparisonRow row;
      row.probe = p.name;
      row.phase = phase.name;
      row.stat = "p50";
      row.before = bphase->p50;
      row.value = phase.p50;
      row.change_pct = row.before != 0 ? (row.value / row.before - 1) * 100 : 0;
      TestLatency(row, bphase, &phase, criteria, true);
      row.status = row.verdict == RowVerdict::kRegressed ? RowStatus::kWorse : RowStatus::kOk;
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

}  // namespace reznet::suite
