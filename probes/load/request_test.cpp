// A load step's request bytes (probes/load/request.hpp): what an earlier response put into a
// variable cannot reshape the request.
#include "probes/load/request.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace reznet::probes::load {
namespace {

using ::testing::HasSubstr;

LoadSettings Settings() {
  LoadSettings s;
  s.target = *config::ParseUrl("http://127.0.0.1:8000/base");
  return s;
}

TEST(BuildRequest, AnExtractedValueStaysOnePathSegment) {
  const LoadSettings s = Settings();
  Step step;
  step.name = "read";
  step.path = ParseTemplate("/c/{{cid}}/m?after={{vu}}");
  Vars vars;
  vars.vu = 7;
  // A hostile server answered {"id": "1 HTTP/1.1\r\nX-Injected: yes\r\n\r\nGET /a/../b"}.
  vars.values["cid"] = "1 HTTP/1.1\r\nX-Injected: yes\r\n\r\nGET /a/../b";
  std::string out, error;
  ASSERT_TRUE(BuildRequest(s, step, RequestHead(s, step), vars, out, error)) << error;
  EXPECT_THAT(out, ::testing::StartsWith(
                       "GET /base/c/1%20HTTP%2F1.1%0D%0AX-Injected%3A%20yes%0D%0A%0D%0AGET%20%2Fa%"
                       "2F..%2Fb/m?after=7 HTTP/1.1\r\n"));
  EXPECT_EQ(out.find("\r\nX-Injected"), std::string::npos);
}

TEST(BuildRequest, AValueWithALineBreakIsNotSentInAHeader) {
  const LoadSettings s = Settings();
  Step step;
  step.name = "send";
  step.path = ParseTemplate("/x");
  step.headers = {{"X-Token", ParseTemplate("t-{{token}}")}};
  Vars vars;
  vars.values["token"] = "abc\r\nX-Injected: yes";
  std::string out, error;
  EXPECT_FALSE(BuildRequest(s, step, RequestHead(s, step), vars, out, error));
  EXPECT_THAT(error, HasSubstr("{{token}} holds a control character"));
  vars.values["token"] = "abc";
  ASSERT_TRUE(BuildRequest(s, step, RequestHead(s, step), vars, out, error)) << error;
  EXPECT_THAT(out, HasSubstr("\r\nX-Token: t-abc\r\n"));
  vars.values.clear();
  EXPECT_FALSE(BuildRequest(s, step, RequestHead(s, step), vars, out, error));
  EXPECT_EQ(error, "{{token}} was not extracted by an earlier step");
}

}  // namespace
}  // namespace reznet::probes::load
