// The http probe over TLS against a real loopback HTTPS server (tests/support: cpp-httplib's
// SSLServer) with certificates made by the openssl command line for each run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "probes/probe.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/probe_runs.hpp"

namespace reznet::probes {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A loopback HTTPS server with a self-signed certificate whose subjectAltName is `san` (e.g.
// "IP:127.0.0.1"), serving /health.
class TlsServer : public testing::LoopbackServer {
 public:
  explicit TlsServer(const std::string& san)
      : testing::LoopbackServer(testing::Tls{san}, [](httplib::Server& server) {
          server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(R"({"status": "ok"})", "application/json");
          });
        }) {}
};

Outcome RunHttps(const std::string& target_yaml) {
  return testing::RunProbeOnce(
      testing::LoadConfig("targets:\n  t: " + target_yaml +
                              "\nprobes:\n  - name: p\n    kind: http\n"
                              "    target: t\n    timeout: 5s\n    http: { path: /health }\n",
                          "tls.yaml"));
}

TEST(HttpsProbe, TrustedByCaFileRecordsTlsPhase) {
  TlsServer server("IP:127.0.0.1");
  auto o = RunHttps("{ url: \"" + server.url() + "\", ca_file: \"" + server.cert() + "\" }");
  ASSERT_TRUE(o.ok()) << o.error->kind << ": " << o.error->detail;
  ASSERT_NE(o.FindPhase("tls"), nullptr);
  EXPECT_GT(o.FindPhase("tls")->samples[0], 0ns);
  EXPECT_EQ(*o.Counter("status"), 200);
}

TEST(HttpsProbe, UntrustedCertificateFailsWithTlsError) {
  TlsServer server("IP:127.0.0.1");
  auto o =
      RunHttps("{ url: \"" + server.url() + "\" }");  // system trust store: self-signed is unknown
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, clients::ErrorKind::kTls);
  EXPECT_THAT(o.error->detail, HasSubstr("TLS handshake with 127.0.0.1"));
  EXPECT_THAT(o.error->detail, HasSubstr("certificate verify failed"));
}

TEST(HttpsProbe, HostNameMustMatchTheCertificate) {
  TlsServer server("DNS:other.example");
  auto o = RunHttps("{ url: \"" + server.url() + "\", ca_file: \"" + server.cert() + "\" }");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, clients::ErrorKind::kTls);
  EXPECT_THAT(o.error->detail, HasSubstr("certificate verify failed"));
}

TEST(HttpsProbe, InsecureSkipVerifyIsExplicit) {
  TlsServer server("DNS:other.example");
  auto o = RunHttps("{ url: \"" + server.url() + "\", insecure_skip_verify: true }");
  EXPECT_TRUE(o.ok()) << o.error->detail;
}

TEST(HttpsProbe, HostNamesAreResolvedAndVerifiedByName) {
  TlsServer server("DNS:localhost");
  auto o =
      RunHttps("{ url: \"" + server.url("localhost") + "\", ca_file: \"" + server.cert() + "\" }");
  EXPECT_TRUE(o.ok()) << o.error->detail;
  EXPECT_NE(o.FindPhase("dns"), nullptr);
}

}  // namespace
}  // namespace reznet::probes
