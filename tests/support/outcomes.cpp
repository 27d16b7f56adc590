#include "tests/support/outcomes.hpp"

namespace reznet::testing {

probes::Outcome Totals(std::initializer_list<probes::Duration> totals) {
  probes::Outcome o;
  for (const auto total : totals) o.Record("total", total);
  return o;
}

probes::Outcome Failed(clients::ErrorKind kind, std::string detail,
                       std::initializer_list<probes::Duration> totals) {
  probes::Outcome o = Totals(totals);
  o.Fail(kind, std::move(detail));
  return o;
}

}  // namespace reznet::testing
