#include "api/basic_auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

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

}  // namespace

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {
  cache_.reserve(kCacheEntries);
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

BasicAuth::Digest BasicAuth::KeyOf(const Credentials& c) const {
  auto it = users_.find(c.user);
  const std::string material =
      c.user + '\0' + c.password + '\0' + (it == users_.end() ? std::string() : it->second);
  Digest out{};
  unsigned int size = 0;
  if (EVP_Digest(material.data(), material.size(), out.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != out.size())
    throw std::runtime_error("SHA-256 failed (OpenSSL EVP_Digest)");
  return out;
}

bool BasicAuth::ContainsLocked(const Digest& key) const {
  // Every entry is compared, in constant time: how long this takes says nothing about which.
  int found = 0;
  for (const auto& entry : cache_)
    found |= CRYPTO_memcmp(entry.data(), key.data(), key.size()) == 0;
  return found != 0;
}

bool BasicAuth::InCache(const Digest& key) const {
  std::lock_guard lock(mu_);
  const bool found = ContainsLocked(key);
  if (found) ++hits_;
  return found;
}

BasicAuth::Verdict BasicAuth::Cached(std::string_view authorization) const {
  const auto creds = Parse(authorization);
  if (!creds) return Verdict::kDenied;
  return InCache(KeyOf(*creds)) ? Verdict::kAllowed : Verdict::kVerify;
}

bool BasicAuth::Verify(std::string_view authorization) {
  const auto creds = Parse(authorization);
  if (!creds || users_.empty()) return false;
  const auto it = users_.find(creds->user);
  // An unknown user is checked against a real hash too, so it costs as long as a known one.
  const std::string& hash = it != users_.end() ? it->second : users_.begin()->second;
  const auto computed = Crypt(creds->password, hash);
  const bool ok = it != users_.end() && computed && SameSecret(*computed, hash);
  if (!ok) return false;
  const Digest key = KeyOf(*creds);
  std::lock_guard lock(mu_);
  if (ContainsLocked(key)) return true;
  if (cache_.size() < kCacheEntries) {
    cache_.push_back(key);
  } else {
    cache_[next_] = key;
    next_ = (next_ + 1) % kCacheEntries;
  }
  return true;
}

std::uint64_t BasicAuth::cache_hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

std::string HashPassword(std::string_view password, int cost) {
  if (password.empty()) throw std::invalid_argument("the password is empty");
  if (password.size() > kMaxBcryptPassword)
    throw std::invalid_argument("bcrypt uses only the first 72 bytes of a password; this one has " +
                                std::to_string(password.size()));
  if (password.find('\0') != std::string_view::npos)
    throw std::invalid_argument("the password contains a NUL byte");
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // No random bytes passed: libxcrypt takes them from the OS.
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting,
                       sizeof setting) == nullptr)
    throw std::runtime_error(std::string("cannot make a bcrypt salt: ") + std::strerror(errno));
  auto hash = Crypt(std::string(password), setting);
  if (!hash) throw std::runtime_error(std::string("bcrypt failed: ") + std::strerror(errno));
  return *hash;
}

}  // namespace reznet::api
