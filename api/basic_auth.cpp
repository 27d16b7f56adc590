#include "api/basic_auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "config/bcrypt_hash.hpp"

namespace reznet::api {
namespace {

// Longer headers are not credentials anyone configured; refusing them early bounds the work.
constexpr std::size_t kMaxHeader = 1024;
// bcrypt reads at most 72 bytes of a password and ignores the rest.
constexpr std::size_t kMaxBcryptPassword = 72;

bool SameSecret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// crypt_rn with its 32 KiB work area on the heap; nullopt when libcrypt refuses (a bad setting
// gives a "*…" failure token instead of a hash).
std::optional<std::string> Crypt(const std::string& password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') return std::nullopt;
  return std::string(out);
}

// A fresh salt of `cost` ("$2b$NN$" + 22 characters). No random bytes passed: libxcrypt takes
// them from the OS.
std::string Setting(int cost) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting,
                       sizeof setting) == nullptr)
    throw std::runtime_error(std::string("cannot make a bcrypt salt: ") + std::strerror(errno));
  return setting;
}

std::uint64_t Rounds(int cost) { return std::uint64_t{1} << cost; }

}  // namespace

BasicAuth::BasicAuth(std::map<std::string, std::string> users,
                     std::function<SteadyClock::time_point()> now)
    : users_(std::move(users)), hmac_key_(32), now_(std::move(now)) {
  max_cost_ = config::kMinBcryptCost;
  for (const auto& [user, hash] : users_) {
    if (auto valid = config::ValidateBcryptHash(hash); !valid)
      throw std::invalid_argument("basic_users." + user + ": " + valid.error().detail);
    max_cost_ = std::max(max_cost_, config::BcryptCost(hash));
  }
  for (int cost = config::kMinBcryptCost; cost <= max_cost_; ++cost)
    dummy_settings_.push_back(Setting(cost));
  if (RAND_bytes(hmac_key_.data(), static_cast<int>(hmac_key_.size())) != 1)
    throw std::runtime_error("cannot make a random key (OpenSSL RAND_bytes)");
}

std::optional<BasicAuth::Credentials> BasicAuth::Parse(std::string_view header) {
  if (header.size() > kMaxHeader || header.size() < 6) return std::nullopt;
  const std::string_view scheme = header.substr(0, 6);
  if (!std::equal(scheme.begin(), scheme.end(), "basic ",
                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
    return std::nullopt;
  std::string_view b64 = header.substr(6);
  while (!b64.empty() && b64.front() == ' ') b64.remove_prefix(1);
  while (!b64.empty() && b64.back() == ' ') b64.remove_suffix(1);
  if (b64.empty() || b64.size() % 4 != 0) return std::nullopt;
  std::string decoded(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the bytes that padding stands for; drop them.
  std::size_t size = static_cast<std::size_t>(n);
  for (std::size_t i = b64.size(); i > 0 && b64[i - 1] == '=' && size > 0; --i) --size;
  decoded.resize(size);
  const auto colon = decoded.find(':');
  // A NUL would end the password early for crypt: "a\0b" must not pass as "a".
  if (colon == std::string::npos || colon == 0 || decoded.find('\0') != std::string::npos)
    return std::nullopt;
  return Credentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

Digest BasicAuth::KeyOf(const Credentials& c) const {
  auto it = users_.find(c.user);
  const std::string material =
      c.user + '\0' + c.password + '\0' + (it == users_.end() ? std::string() : it->second);
  Digest out{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), hmac_key_.data(), static_cast<int>(hmac_key_.size()),
           reinterpret_cast<const unsigned char*>(material.data()), material.size(), out.data(),
           &size) == nullptr ||
      size != out.size())
    throw std::runtime_error("HMAC-SHA-256 failed (OpenSSL HMAC)");
  return out;
}

BasicAuth::Verdict BasicAuth::Cached(std::string_view authorization) {
  const auto creds = Parse(authorization);
  if (!creds) return Verdict::kDenied;
  const Digest key = KeyOf(*creds);
  const auto now = now_();
  std::lock_guard lock(mu_);
  if (good_.Contains(key, now)) {
    ++hits_;
    return Verdict::kAllowed;
  }
  if (bad_.Contains(key, now)) {
    ++failure_hits_;
    return Verdict::kDenied;
  }
  return Verdict::kVerify;
}

// Dummy checks at costs from_cost..max_cost_-1: after a check at from_cost they add up to one at
// max_cost_ (each +1 doubles bcrypt's rounds).
std::uint64_t BasicAuth::PadRounds(const std::string& password, int from_cost) const {
  std::uint64_t rounds = 0;
  for (int cost = from_cost; cost < max_cost_; ++cost) {
    Crypt(password, dummy_settings_[static_cast<std::size_t>(cost - config::kMinBcryptCost)]);
    rounds += Rounds(cost);
  }
  return rounds;
}

BasicAuth::Check BasicAuth::Verify(std::string_view authorization) {
  const auto creds = Parse(authorization);
  if (!creds || users_.empty()) return {};
  const auto it = users_.find(creds->user);
  Check check;
  if (it == users_.end()) {
    // An unknown user costs what the costliest known one does: its answer time says nothing.
    Crypt(creds->password, dummy_settings_.back());
    check.rounds = Rounds(max_cost_);
  } else {
    const int cost = config::BcryptCost(it->second);
    const auto computed = Crypt(creds->password, it->second);
    check.allowed = computed && SameSecret(*computed, it->second);
    check.rounds = Rounds(cost);
    if (!check.allowed) check.rounds += PadRounds(creds->password, cost);
  }
  const Digest key = KeyOf(*creds);
  const auto now = now_();
  std::lock_guard lock(mu_);
  (check.allowed ? good_ : bad_).Remember(key, now);
  return check;
}

std::uint64_t BasicAuth::cache_hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

std::uint64_t BasicAuth::failure_hits() const {
  std::lock_guard lock(mu_);
  return failure_hits_;
}

std::string HashPassword(std::string_view password, int cost) {
  if (password.empty()) throw std::invalid_argument("the password is empty");
  if (password.size() > kMaxBcryptPassword)
    throw std::invalid_argument("bcrypt uses only the first 72 bytes of a password; this one has " +
                                std::to_string(password.size()));
  if (password.find('\0') != std::string_view::npos)
    throw std::invalid_argument("the password contains a NUL byte");
  if (cost < config::kMinBcryptCost || cost > config::kMaxBcryptCost)
    throw std::invalid_argument("the cost must be " + std::to_string(config::kMinBcryptCost) +
                                ".." + std::to_string(config::kMaxBcryptCost));
  const std::string setting = Setting(cost);
  auto hash = Crypt(std::string(password), setting);
  if (!hash) throw std::runtime_error(std::string("bcrypt failed: ") + std::strerror(errno));
  return *hash;
}

}  // namespace reznet::api
