// The http probe over TLS against a real loopback HTTPS server (cpp-httplib's SSLServer) with
// certificates made by the openssl command line for each run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <thread>

#include "config/loader.hpp"
#include "probes/probe.hpp"

namespace reznet::probes {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class TlsServer {
 public:
  // A self-signed certificate whose subjectAltName is `san` (e.g. "IP:127.0.0.1").
  explicit TlsServer(const std::string& san) {
    dir_ = std::filesystem::temp_directory_path() /
           ("reznet-tls-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=reznet-test -addext "
        "subjectAltName=" +
        san + " -keyout " + (dir_ / "key.pem").string() + " -out " + cert() + " 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed: " + cmd);
    server_ = std::make_unique<httplib::SSLServer>(cert().c_str(), (dir_ / "key.pem").c_str());
    server_->Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"status": "ok"})", "application/json");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(1ms);
  }
  ~TlsServer() {
    server_->stop();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }
  std::string cert() const { return (dir_ / "cert.pem").string(); }
  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_);
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
};

Outcome RunHttps(const std::string& target_yaml) {
  ProbeRegistry registry;
  RegisterBuiltinProbes(registry);
  auto cfg = config::LoadString("targets:\n  t: " + target_yaml +
                                    "\nprobes:\n  - name: p\n    kind: http\n"
                                    "    target: t\n    timeout: 5s\n    http: { path: /health }\n",
                                "tls.yaml", registry.Parsers());
  boost::asio::io_context io;
  auto probe = registry.Create({cfg.probes[0], cfg.FindTarget("t"), io.get_executor()});
  Outcome result;
  boost::asio::co_spawn(io, probe->Run({std::chrono::steady_clock::now() + 5s, 0}),
                        [&](std::exception_ptr ep, Outcome o) {
                          if (ep) std::rethrow_exception(ep);
                          result = std::move(o);
                        });
  io.run();
  return result;
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
  EXPECT_EQ(o.error->kind, "tls");
  EXPECT_THAT(o.error->detail, HasSubstr("TLS handshake with 127.0.0.1"));
  EXPECT_THAT(o.error->detail, HasSubstr("certificate verify failed"));
}

TEST(HttpsProbe, HostNameMustMatchTheCertificate) {
  TlsServer server("DNS:other.example");
  auto o = RunHttps("{ url: \"" + server.url() + "\", ca_file: \"" + server.cert() + "\" }");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, "tls");
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
