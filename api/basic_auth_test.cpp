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

using Users = std::map<std::string, std::string>;

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
  EXPECT_TRUE(auth_.Verify(header).allowed);
  EXPECT_EQ(auth_.Cached(header), BasicAuth::Verdict::kAllowed);
  EXPECT_EQ(auth_.Cached("basic   " + header.substr(6) + " "), BasicAuth::Verdict::kAllowed);
  EXPECT_EQ(auth_.cache_hits(), 2u);
}

// Issue #24 (break 4): a wrong password, once checked, is answered from memory (no bcrypt); the
// right password of the same user is not affected.
TEST_F(BasicAuthTest, WrongPasswordIsDeniedAndRememberedAsWrong) {
  for (const char* creds : {"prom:s3cret", "prom:s3cret pw ", "prom:other", "ops:s3cret pw"}) {
    EXPECT_EQ(auth_.Cached(Basic(creds)), BasicAuth::Verdict::kVerify) << creds;
    EXPECT_FALSE(auth_.Verify(Basic(creds)).allowed) << creds;
    EXPECT_EQ(auth_.Cached(Basic(creds)), BasicAuth::Verdict::kDenied) << creds;
  }
  EXPECT_EQ(auth_.failure_hits(), 4u);
  EXPECT_EQ(auth_.cache_hits(), 0u);
  EXPECT_EQ(auth_.Cached(Basic("prom:s3cret pw")), BasicAuth::Verdict::kVerify);
  EXPECT_TRUE(auth_.Verify(Basic("prom:s3cret pw")).allowed);
  // A cached success of one user does not open the door to another.
  ASSERT_TRUE(auth_.Verify(Basic("ops:other")).allowed);
  EXPECT_EQ(auth_.Cached(Basic("prom:other")), BasicAuth::Verdict::kDenied);
  EXPECT_FALSE(auth_.Verify(Basic("prom:other")).allowed);
}

TEST(BasicAuth, RememberedFailuresExpire) {
  auto now = BasicAuth::SteadyClock::time_point{} + std::chrono::hours(1);
  BasicAuth auth({{"u", HashPassword("pw", 4)}}, [&now] { return now; });
  ASSERT_FALSE(auth.Verify(Basic("u:wrong")).allowed);
  EXPECT_EQ(auth.Cached(Basic("u:wrong")), BasicAuth::Verdict::kDenied);
  now += BasicAuth::kFailureTtl;
  EXPECT_EQ(auth.Cached(Basic("u:wrong")), BasicAuth::Verdict::kVerify);
  // The memory's bound (kFailureEntries, least recently used out): CredentialMemory's tests.
}

// Issue #24 (break 8): with users of cost 4 and 6, an unknown user is checked against the costliest
// (2^6 rounds, not the first user's 2^4), and a wrong password of either user costs the same.
TEST(BasicAuth, EveryFailedCheckCostsTheHighestConfiguredCost) {
  BasicAuth auth({{"cheap", HashPassword("pw", 4)}, {"dear", HashPassword("pw", 6)}});
  EXPECT_EQ(auth.max_cost(), 6);
  const std::uint64_t max_rounds = 1u << 6;
  EXPECT_EQ(auth.Verify(Basic("nobody:pw")).rounds, max_rounds);
  EXPECT_EQ(auth.Verify(Basic("aaaa:x")).rounds, max_rounds);  // sorts before every user
  EXPECT_EQ(auth.Verify(Basic("cheap:wrong")).rounds, max_rounds);
  EXPECT_EQ(auth.Verify(Basic("dear:wrong")).rounds, max_rounds);
  const auto right = auth.Verify(Basic("cheap:pw"));
  EXPECT_TRUE(right.allowed);
  EXPECT_EQ(right.rounds, 1u << 4);  // a success tells nothing an attacker lacks
  EXPECT_TRUE(auth.Verify(Basic("dear:pw")).allowed);
}

// Issue #24 (break 7): the checker refuses what the config loader refuses, naming the user.
TEST(BasicAuth, RefusesHashesTooCostlyOrMalformed) {
  const std::string tail(53, 'a');
  EXPECT_THROW(BasicAuth(Users{{"u", "$2b$13$" + tail}}), std::invalid_argument);
  EXPECT_THROW(BasicAuth(Users{{"u", "$2b$31$" + tail}}), std::invalid_argument);
  EXPECT_THROW(BasicAuth(Users{{"u", "plain"}}), std::invalid_argument);
  EXPECT_NO_THROW(BasicAuth(Users{{"u", "$2b$12$" + tail}}));
}

TEST_F(BasicAuthTest, UnknownUserIsDenied) {
  EXPECT_EQ(auth_.Cached(Basic("nobody:s3cret pw")), BasicAuth::Verdict::kVerify);
  EXPECT_FALSE(auth_.Verify(Basic("nobody:s3cret pw")).allowed);
  EXPECT_FALSE(auth_.Verify(Basic("Prom:s3cret pw")).allowed);  // user names are case-sensitive
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
    EXPECT_FALSE(auth_.Verify(h).allowed) << h;
    EXPECT_EQ(auth_.Verify(h).rounds, 0u) << h;
  }
}

TEST(BasicAuth, AcceptsApacheStyle2yHashes) {
  std::string hash = HashPassword("pw", 4);
  ASSERT_TRUE(hash.starts_with("$2b$04$")) << hash;
  ASSERT_EQ(hash.size(), 60u);
  hash.replace(0, 4, "$2y$");  // htpasswd -B writes $2y$; same algorithm for these passwords
  BasicAuth auth({{"u", hash}});
  EXPECT_TRUE(auth.Verify(Basic("u:pw")).allowed);
  EXPECT_FALSE(auth.Verify(Basic("u:pW")).allowed);
}

TEST(BasicAuth, CacheIsBounded) {
  const std::string hash = HashPassword("pw", 4);
  std::map<std::string, std::string> users;
  for (std::size_t i = 0; i <= BasicAuth::kCacheEntries; ++i) users["u" + std::to_string(i)] = hash;
  BasicAuth auth(users);
  for (std::size_t i = 0; i <= BasicAuth::kCacheEntries; ++i)
    ASSERT_TRUE(auth.Verify(Basic("u" + std::to_string(i) + ":pw")).allowed);
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
  EXPECT_THROW(HashPassword("pw", 3), std::invalid_argument);
  EXPECT_THROW(HashPassword("pw", 13), std::invalid_argument);
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
