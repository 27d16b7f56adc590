// The Beast API server over real loopback TCP, with cpp-httplib as an independent client.
#include "api/api_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include "api/suite_routes.hpp"

namespace reznet::api {
namespace {

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Route("GET", "/hello", [](const HttpRequest& r) {
      return HttpReply{
          200, "text/plain", "hi " + r.QueryParam("name") + " ua=" + r.Header("user-agent"), {}};
    });
    server_.Route("POST", "/echo", [](const HttpRequest& r) {
      return HttpReply{201, "text/plain", r.body, {{"X-Len", std::to_string(r.body.size())}}};
    });
    server_.Route(
        "GET", "/runs/",
        [](const HttpRequest& r) {
          return HttpReply{200, "text/plain", r.path.substr(6), {}};
        },
        true);
    server_.Route("GET", "/boom",
                  [](const HttpRequest&) -> HttpReply { throw std::runtime_error("bug"); });
    port_ = server_.Bind("127.0.0.1:0");
    server_.Start();
  }
  ApiServer server_;
  int port_ = 0;
};

TEST_F(ApiServerTest, RoutesQueryHeadersAndKeepAlive) {
  httplib::Client c("127.0.0.1", port_);
  c.set_keep_alive(true);
  auto r = c.Get("/hello?name=a%20b", {{"User-Agent", "t/1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hi a b ua=t/1");
  auto again = c.Get("/runs/abc123");  // same connection
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, "abc123");
  auto post = c.Post("/echo", "payload", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 201);
  EXPECT_EQ(post->body, "payload");
  EXPECT_EQ(post->get_header_value("X-Len"), "7");
}

// A handler stuck on a worker (a hung database, say) delays neither inline routes nor other
// worker routes.
TEST(ApiServerLanes, StuckHandlerDoesNotBlockOthers) {
  ApiServer server;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> stuck_started{0};
  server.Route("GET", "/stuck", [&](const HttpRequest&) {
    ++stuck_started;
    released.wait();
    return HttpReply{200, "text/plain", "late\n", {}};
  });
  server.Route("GET", "/other", [](const HttpRequest&) {
    return HttpReply{200, "text/plain", "other\n", {}};
  });
  server.Route(
      "GET", "/metrics",
      [](const HttpRequest&) {
        return HttpReply{200, "text/plain", "m\n", {}};
      },
      false, ApiServer::Lane::kInline);
  const int port = server.Bind("127.0.0.1:0");
  server.Start();
  std::vector<std::thread> stuck;
  struct Unstick {  // also when an assertion below returns early
    std::promise<void>& release;
    std::vector<std::thread>& threads;
    ~Unstick() {
      release.set_value();
      for (auto& t : threads) t.join();
    }
  } unstick{release, stuck};
  for (int i = 0; i < 3; ++i) {
    stuck.emplace_back([port] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(30, 0);
      auto r = c.Get("/stuck");
      EXPECT_TRUE(r && r->body == "late\n");
    });
  }
  for (int i = 0; i < 5000 && stuck_started.load() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(stuck_started.load(), 3) << "three handlers run at once on workers";
  httplib::Client c("127.0.0.1", port);
  for (int i = 0; i < 20; ++i) {
    auto m = c.Get("/metrics");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->body, "m\n");
  }
  auto other = c.Get("/other");  // a fourth worker is still free
  ASSERT_TRUE(other);
  EXPECT_EQ(other->body, "other\n");
  EXPECT_EQ(stuck_started.load(), 3) << "the stuck handlers are still stuck";
}

TEST_F(ApiServerTest, UnknownPathWrongMethodAndHandlerException) {
  httplib::Client c("127.0.0.1", port_);
  auto missing = c.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto wrong = c.Post("/hello", "", "text/plain");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->get_header_value("Allow"), "GET");
  auto boom = c.Get("/boom");
  ASSERT_TRUE(boom);
  EXPECT_EQ(boom->status, 500);
  EXPECT_EQ(boom->body, "internal error\n");
  auto head = c.Head("/hello");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
}

// A declared body over the limit is refused from the headers alone: a raw socket sends only the
// headers (a client still sending 2 MiB would race the server's close).
TEST_F(ApiServerTest, OversizedBodyIs413) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    response.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  EXPECT_TRUE(response.starts_with("HTTP/1.1 413 ")) << response;
}

TEST(ApiServer, BindErrorsSayWhy) {
  ApiServer a;
  int port = a.Bind("127.0.0.1:0");
  ApiServer b;
  try {
    b.Bind("127.0.0.1:" + std::to_string(port));
    FAIL() << "second bind should fail";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("Address already in use"), std::string::npos) << e.what();
  }
  EXPECT_THROW(b.Bind("nohost:1"), std::runtime_error);
}

TEST(Triggers, BearerTokenLoopbackAndExplicitYes) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secreT", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret-longer", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("x", ""));
  EXPECT_TRUE(IsLoopback("127.0.0.1"));
  EXPECT_TRUE(IsLoopback("localhost"));
  EXPECT_TRUE(IsLoopback("[::1]"));
  EXPECT_FALSE(IsLoopback("0.0.0.0"));
  EXPECT_FALSE(IsLoopback("10.0.0.7"));

  config::DaemonConfig d;
  HttpRequest req;
  EXPECT_FALSE(CheckTrigger(req, d, "127.0.0.1"));  // loopback, no token: allowed
  auto denied = CheckTrigger(req, d, "0.0.0.0");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  d.allow_unauthenticated_triggers = true;
  EXPECT_FALSE(CheckTrigger(req, d, "0.0.0.0"));
  d.auth_token = "s3cret";
  ASSERT_TRUE(CheckTrigger(req, d, "127.0.0.1"));
  EXPECT_EQ(CheckTrigger(req, d, "127.0.0.1")->status, 401);
  req.headers["authorization"] = "Bearer wrong";
  EXPECT_EQ(CheckTrigger(req, d, "0.0.0.0")->status, 401);
  req.headers["authorization"] = "Bearer s3cret";
  EXPECT_FALSE(CheckTrigger(req, d, "0.0.0.0"));
  EXPECT_EQ(CheckTrigger(req, d, "0.0.0.0"), std::nullopt);
  // The token never appears in a reply.
  req.headers["authorization"] = "s3cret";
  EXPECT_EQ(CheckTrigger(req, d, "127.0.0.1")->body.find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace reznet::api
