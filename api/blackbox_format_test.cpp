// GET /probe's texts: blackbox_exporter's names, types and labels for http modules, the other
// kinds' series, escaping, and the debug page (secrets scrubbed, user text kept on its line).
#include "api/blackbox_format.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "common/redact.hpp"

namespace reznet::api {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

probes::Outcome HttpsOutcome() {
  probes::Outcome o;
  o.notes = {{"peer_address", "127.0.0.1"}, {"tls_version", "TLS 1.3"}};
  o.Record("dns", 1ms);
  o.Record("connect", 2ms);
  o.Record("tls", 3ms);
  o.Record("ttfb", 4ms);
  o.Record("transfer", 5ms);
  o.Record("total", 15ms);
  o.SetCounter("status", 200);
  o.SetCounter("bytes", 339);
  o.SetCounter("http_version", 1.1);
  o.SetCounter("content_length", 339);
  o.SetCounter("cert_expiry", 1799286724);
  o.SetCounter("verified_chain_expiry", 1799286000);
  return o;
}

// family -> TYPE, and every sample line's name{labels} -> value as text.
struct Parsed {
  std::map<std::string, std::string> types;
  std::map<std::string, std::string> samples;
};
Parsed Parse(const std::string& text) {
  Parsed p;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# TYPE ")) {
      const auto rest = line.substr(7);
      p.types[rest.substr(0, rest.find(' '))] = rest.substr(rest.find(' ') + 1);
    } else if (!line.empty() && line[0] != '#') {
      const auto space = line.rfind(' ');
      p.samples[line.substr(0, space)] = line.substr(space + 1);
    }
  }
  return p;
}

TEST(BlackboxFormat, HttpsRunHasBlackboxNamesTypesAndLabels) {
  const Parsed p = Parse(RenderProbeResult("http", HttpsOutcome(), 0.0123));
  const std::set<std::string> want = {"probe_dns_lookup_time_seconds",
                                      "probe_duration_seconds",
                                      "probe_failed_due_to_regex",
                                      "probe_http_content_length",
                                      "probe_http_duration_seconds",
                                      "probe_http_redirects",
                                      "probe_http_ssl",
                                      "probe_http_status_code",
                                      "probe_http_uncompressed_body_length",
                                      "probe_http_version",
                                      "probe_ip_addr_hash",
                                      "probe_ip_protocol",
                                      "probe_ssl_earliest_cert_expiry",
                                      "probe_ssl_last_chain_expiry_timestamp_seconds",
                                      "probe_success",
                                      "probe_tls_version_info",
                                      "probe_phase_duration_seconds"};
  std::set<std::string> got;
  for (const auto& [name, type] : p.types) {
    got.insert(name);
    EXPECT_EQ(type, "gauge") << name;
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(p.samples.at("probe_success"), "1");
  EXPECT_EQ(p.samples.at("probe_http_status_code"), "200");
  EXPECT_EQ(p.samples.at("probe_http_version"), "1.1");
  EXPECT_EQ(p.samples.at("probe_http_ssl"), "1");
  EXPECT_EQ(p.samples.at("probe_http_redirects"), "0");
  EXPECT_EQ(p.samples.at("probe_failed_due_to_regex"), "0");
  EXPECT_EQ(p.samples.at("probe_ssl_earliest_cert_expiry"), "1799286724");
  EXPECT_EQ(p.samples.at("probe_tls_version_info{version=\"TLS 1.3\"}"), "1");
  EXPECT_EQ(p.samples.at("probe_ip_protocol"), "4");
  EXPECT_EQ(p.samples.at("probe_ip_addr_hash"), "3668918509");  // blackbox's for 127.0.0.1
  // Our phases under blackbox's names: resolve = dns, processing = ttfb.
  EXPECT_EQ(p.samples.at("probe_http_duration_seconds{phase=\"resolve\"}"), "0.001");
  EXPECT_EQ(p.samples.at("probe_http_duration_seconds{phase=\"connect\"}"), "0.002");
  EXPECT_EQ(p.samples.at("probe_http_duration_seconds{phase=\"tls\"}"), "0.003");
  EXPECT_EQ(p.samples.at("probe_http_duration_seconds{phase=\"processing\"}"), "0.004");
  EXPECT_EQ(p.samples.at("probe_http_duration_seconds{phase=\"transfer\"}"), "0.005");
  EXPECT_EQ(p.samples.at("probe_phase_duration_seconds{phase=\"total\"}"), "0.015");
  // The http kind's counters are in blackbox's families, not also as probe_http_<counter>.
  EXPECT_FALSE(p.types.contains("probe_http_status"));
  EXPECT_FALSE(p.types.contains("probe_http_bytes"));
}

TEST(BlackboxFormat, FailedPlainRunKeepsEveryHttpFamilyAtZero) {
  probes::Outcome o;
  o.Fail(clients::ErrorKind::kConnect, "connect to 127.0.0.1:1: Connection refused");
  const Parsed p = Parse(RenderProbeResult("http", o, 0.001));
  EXPECT_EQ(p.samples.at("probe_success"), "0");
  EXPECT_EQ(p.samples.at("probe_http_status_code"), "0");
  EXPECT_EQ(p.samples.at("probe_http_version"), "0");
  EXPECT_EQ(p.samples.at("probe_http_ssl"), "0");
  EXPECT_EQ(p.samples.at("probe_http_duration_seconds{phase=\"tls\"}"), "0");
  EXPECT_EQ(p.samples.at("probe_error{kind=\"connect\"}"), "1");
  EXPECT_FALSE(p.types.contains("probe_ssl_earliest_cert_expiry"));
  EXPECT_FALSE(p.types.contains("probe_tls_version_info"));
  EXPECT_FALSE(p.types.contains("probe_ip_protocol"));  // no address noted
}

TEST(BlackboxFormat, BodyExpectationFailureIsFailedDueToRegex) {
  probes::Outcome o = HttpsOutcome();
  o.Fail(clients::ErrorKind::kAssertion, "body does not contain \"ok\"");
  EXPECT_EQ(Parse(RenderProbeResult("http", o, 0.01)).samples.at("probe_failed_due_to_regex"), "1");
  o.Fail(clients::ErrorKind::kHttpStatus, "status 500, expected 2xx");
  EXPECT_EQ(Parse(RenderProbeResult("http", o, 0.01)).samples.at("probe_failed_due_to_regex"), "0");
}

TEST(BlackboxFormat, OtherKindsKeepTheirSeries) {
  probes::Outcome o;
  o.Record("set", 1ms);
  o.SetCounter("hit_ratio", 0.5);
  const Parsed p = Parse(RenderProbeResult("redis", o, 0.002));
  EXPECT_EQ(p.samples.at("probe_phase_duration_seconds{phase=\"set\"}"), "0.001");
  EXPECT_EQ(p.samples.at("probe_redis_hit_ratio"), "0.5");
  EXPECT_FALSE(p.types.contains("probe_http_duration_seconds"));
}

TEST(BlackboxFormat, UserTextIsEscaped) {
  probes::Outcome o;
  o.Record("query:a\"b\nc", 1ms);
  o.Fail(clients::ErrorKind::kProtocol, "line one\nprobe_success 1\r\n");
  const std::string text = RenderProbeResult("postgres", o, 0.001);
  EXPECT_THAT(text, HasSubstr(R"(probe_phase_duration_seconds{phase="query:a\"b\nc"} 0.001)"));
  EXPECT_THAT(text, HasSubstr(R"(# error: protocol: line one\nprobe_success 1\r\n)"));
  EXPECT_THAT(text, Not(HasSubstr("\nprobe_success 1")));
}

TEST(BlackboxFormat, DebugPageSaysWhatTheRunDidWithoutSecrets) {
  probes::Outcome o = HttpsOutcome();
  o.Fail(clients::ErrorKind::kAssertion, "body has s3cret-token\nlevel=info forged=1");
  common::Redactor secrets;
  secrets.Add("s3cret-token");
  const ProbeDebugInfo info{"http_2xx", "http", "127.0.0.1:8443/a b\"c", "https://127.0.0.1:8443",
                            3};
  const std::string metrics = RenderProbeResult("http", o, 0.02);
  const std::string page = RenderProbeDebug(info, o, 0.02, metrics, secrets);
  EXPECT_TRUE(page.starts_with("Logs for the probe:\n"));
  EXPECT_THAT(page, HasSubstr("msg=\"Beginning probe\" probe=http target=\"127.0.0.1:8443/a "
                              "b\\\"c\" timeout_seconds=3\n"));
  EXPECT_THAT(page, HasSubstr("msg=\"Target as parsed\" target=https://127.0.0.1:8443\n"));
  EXPECT_THAT(page, HasSubstr("msg=\"Resolved target address\" ip=127.0.0.1\n"));
  EXPECT_THAT(page, HasSubstr("msg=Phase phase=ttfb blackbox_phase=processing seconds=0.004"));
  EXPECT_THAT(page, HasSubstr("msg=\"Received HTTP response\" status_code=200 http_version=1.1"));
  EXPECT_THAT(page, HasSubstr("msg=\"TLS handshake\" version=\"TLS 1.3\" "
                              "earliest_cert_expiry=2027-01-07T01:52:04Z\n"));
  EXPECT_THAT(page, HasSubstr("level=error module=http_2xx msg=\"Probe failed\" "
                              "error_kind=assertion error=\"body has ***\\nlevel=info forged=1\""));
  EXPECT_THAT(page, HasSubstr("\n\n\nMetrics that would have been returned:\n# HELP "));
  EXPECT_THAT(page, Not(HasSubstr("s3cret")));
  EXPECT_THAT(page, Not(HasSubstr("\nlevel=info forged")));
}

}  // namespace
}  // namespace reznet::api
