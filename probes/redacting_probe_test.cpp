// The redacting decorator: what a probe relays from upstream loses its secrets.
#include "probes/redacting_probe.hpp"

#include <gtest/gtest.h>

namespace reznet::probes {
namespace {

TEST(ScrubOutcome, MasksDetailSkipReasonAndNotes) {
  common::Redactor r;
  r.Add("sk-ant-secret");
  Outcome o;
  o.Fail("http_401", "HTTP 401: invalid x-api-key: sk-ant-secret");
  o.skip_reason = "key sk-ant-secret refused";
  o.notes = {{"source", "sk-ant-secret"}, {"plain", "INFO stats"}};
  ScrubOutcome(o, r);
  EXPECT_EQ(o.error->kind, "http_401");
  EXPECT_EQ(o.error->detail, "HTTP 401: invalid x-api-key: ***");
  EXPECT_EQ(o.skip_reason, "key *** refused");
  EXPECT_EQ(o.notes[0].second, "***");
  EXPECT_EQ(o.notes[1].second, "INFO stats");
}

}  // namespace
}  // namespace reznet::probes
