// Basic auth against bcrypt hashes: the checker alone, then through the server over loopback.
#include "api/basic_auth.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>

#include <future>
#include <vector>

#include "api/api_server.hpp"

namespace reznet::api {
namespace {

std::string Base64(const std::string& s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string Basic(const std::string& user_colon_password) {
  return "Basic " + Base64(user_colon_password);
}

// Cost 4 (the minimum) keeps the tests fast; the algorithm is the same.
class BasicAuthTest : public ::testing::Test {
 protected:
  BasicAuth auth_{{{"prom", HashPassword("s3cret pw", 4)}, {"ops", HashPassword("other", 4)}}};
};

TEST_F(BasicAuthTest, RightPasswordVerifiesThenIsCached) {
  const std::string header = Basic("prom:s3cret pw");
  EXPECT_EQ(auth_.Cached(header), BasicAuth::Verdict::kVerify);
  EXPECT_EQ(auth_.cache_hits(), 0u);
  EXPECT_TRUE(auth_.Verify(header));
  EXPECT_EQ(auth_.Cached(header), BasicAuth::Verdict::kAllowed);
  EXPECT_EQ(auth_.Cached("basic   " + header.substr(6) + " "), BasicAuth::Verdict::kAllowed);
  EXPECT_EQ(auth_.cache_hits(), 2u);
}

TEST_F(BasicAuthTest, WrongPasswordIsDeniedAndNeverCached) {
  for (const char* creds : {"prom:s3cret", "prom:s3cret pw ", "prom:other", "ops:s3cret pw"}) {
    EXPECT_FALSE(auth_.Verify(Basic(creds))) << creds;
    EXPECT_EQ(auth_.Cached(Basic(creds)), BasicAuth::Verdict::kVerify) << creds;
  }
  // A cached success of one user does not open the door to another.
  ASSERT_TRUE(auth_.Verify(Basic("ops:other")));
  EXPECT_FALSE(auth_.Verify(Basic("prom:other")));
  EXPECT_EQ(auth_.Cached(Basic("prom:other")), BasicAuth::Verdict::kVerify);
}

TEST_F(BasicAuthTest, UnknownUserIsDenied) {
  EXPECT_EQ(auth_.Cached(Basic("nobody:s3cret pw")), BasicAuth::Verdict::kVerify);
  EXPECT_FALSE(auth_.Verify(Basic("nobody:s3cret pw")));
  EXPECT_FALSE(auth_.Verify(Basic("Prom:s3cret pw")));  // user names are case-sensitive
}

TEST_F(BasicAuthTest, MalformedHeadersAreDeniedWithoutBcrypt) {
  const std::vector<std::string> bad = {
      "",
      "Basic",
      "Basic ",
      "Bearer " + Base64("prom:s3cret pw"),
      "Basic !!!!",
      "Basic cHJvbTpzZ",  // "prom:s…" cut: not a multiple of 4 characters
      Basic("no colon here"),
      Basic(":s3cret pw"),                          // no user
      Basic(std::string("prom:s3cret pw\0x", 16)),  // NUL: crypt would stop there
      "Basic " + std::string(2000, 'A'),
  };
  for (const auto& h : bad) {
    EXPECT_EQ(auth_.Cached(h), BasicAuth::Verdict::kDenied) << h;
    EXPECT_FALSE(auth_.Verify(h)) << h;
  }
}

TEST(BasicAuth, AcceptsApacheStyle2yHashes) {
  std::string hash = HashPassword("pw", 4);
  ASSERT_TRUE(hash.starts_with("$2b$04$")) << hash;
  ASSERT_EQ(hash.size(), 60u);
  hash.replace(0, 4, "$2y$");  // htpasswd -B writes $2y$; same algorithm for these passwords
  BasicAuth auth({{"u", hash}});
  EXPECT_TRUE(auth.Verify(Basic("u:pw")));
  EXPECT_FALSE(auth.Verify(Basic("u:pW")));
}

TEST(BasicAuth, CacheIsBounded) {
  const std::string hash = HashPassword("pw", 4);
  std::map<std::string, std::string> users;
  for (std::size_t i = 0; i <= BasicAuth::kCacheEntries; ++i) users["u" + std::to_string(i)] = hash;
  BasicAuth auth(users);
  for (std::size_t i = 0; i <= BasicAuth::kCacheEntries; ++i)
    ASSERT_TRUE(auth.Verify(Basic("u" + std::to_string(i) + ":pw")));
  // The first entry made room for the last.
  EXPECT_EQ(auth.Cached(Basic("u0:pw")), BasicAuth::Verdict::kVerify);
  EXPECT_EQ(auth.Cached(Basic("u1:pw")), BasicAuth::Verdict::kAllowed);
  EXPECT_EQ(auth.Cached(Basic("u" + std::to_string(BasicAuth::kCacheEntries) + ":pw")),
            BasicAuth::Verdict::kAllowed);
}

TEST(BasicAuth, HashPasswordRefusesWhatBcryptWouldMangle) {
  EXPECT_THROW(HashPassword(""), std::invalid_argument);
  EXPECT_THROW(HashPassword(std::string(73, 'x')), std::invalid_argument);
  EXPECT_THROW(HashPassword(std::string("a\0b", 3)), std::invalid_argument);
  EXPECT_NE(HashPassword("same", 4), HashPassword("same", 4));  // salted
}

class AuthServerTest : public ::testing::Test {
 protected:
  // Cost 12 (~0.25 s a check) so that a burst of wrong passwords fills the check queue.
  void SetUp() override {
    server_.RequireBasicAuth(std::make_shared<BasicAuth>(
        std::map<std::string, std::string>{{"prom", HashPassword("right", 12)}}));
    server_.Route(
        "GET", "/metrics",
        [](const HttpRequest&) {
          return HttpReply{200, "text/plain", "up 1\n", {}};
        },
        false, ApiServer::Lane::kInline);
    server_.Route("POST", "/echo", [](const HttpRequest& r) {
      return HttpReply{201, "text/plain", r.body, {}};
    });
    port_ = server_.Bind("127.0.0.1:0");
    server_.Start();
  }
  int Get(const std::string& creds) {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30);
    httplib::Headers h;
    if (!creds.empty()) h.emplace("Authorization", Basic(creds));
    auto r = c.Get("/metrics", h);
    return r ? r->status : -1;
  }
  ApiServer server_;
  int port_ = 0;
};

TEST_F(AuthServerTest, ReadsNeedBasicAuthPostsDoNot) {
  httplib::Client c("127.0.0.1", port_);
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Basic realm=\"reznet-perfd\"");
  EXPECT_EQ(Get("prom:wrong"), 401);
  EXPECT_EQ(Get("prom:right"), 200);
  EXPECT_EQ(Get("prom:right"), 200);  // cached now
  auto missing = c.Get("/nothing-here");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);  // no route map for strangers
  // POST routes authorise themselves (the bearer token of CheckTrigger).
  auto post = c.Post("/echo", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 201);
}

TEST_F(AuthServerTest, WrongPasswordBurstIsShedWhileCachedScrapesPass) {
  ASSERT_EQ(Get("prom:right"), 200);  // cache it
  std::vector<std::future<int>> burst;
  for (int i = 0; i < 24; ++i)
    burst.push_back(std::async(std::launch::async,
                               [this, i] { return Get("prom:wrong" + std::to_string(i)); }));
  // While the checks run, cached credentials are answered without waiting for them.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Get("prom:right"), 200);
  int denied = 0, busy = 0;
  for (auto& f : burst) {
    const int status = f.get();
    denied += status == 401;
    busy += status == 503;
  }
  EXPECT_EQ(denied + busy, 24);
  EXPECT_GE(busy, 1) << "at most 8 checks wait; the rest are answered 503 at once";
  EXPECT_GE(denied, 1);
}

}  // namespace
}  // namespace reznet::api
