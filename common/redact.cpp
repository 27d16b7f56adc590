#include "common/redact.hpp"

#include <algorithm>

namespace reznet::common {

void Redactor::Add(std::string_view secret) {
  if (secret.size() < kMinSecretLength) return;
  secrets_.emplace(secret);
}

void Redactor::Add(const Redactor& other) {
  secrets_.insert(other.secrets_.begin(), other.secrets_.end());
}

bool Redactor::Contains(std::string_view text) const {
  return std::any_of(secrets_.begin(), secrets_.end(),
                     [&](const std::string& s) { return text.find(s) != std::string_view::npos; });
}

std::string Redactor::Scrub(std::string_view text) const {
  std::string out(text);
  for (const auto& secret : secrets_) {
    for (auto pos = out.find(secret); pos != std::string::npos;
         pos = out.find(secret, pos + kRedacted.size())) {
      out.replace(pos, secret.size(), kRedacted);
    }
  }
  return out;
}

std::string MaskUrlUserInfo(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const auto authority_start = scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", authority_start);
  const std::string_view authority = url.substr(authority_start, authority_end - authority_start);
  // The last '@' ends the user-info: a password may itself contain '@'.
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  const std::string_view user_info = authority.substr(0, at);
  const auto colon = user_info.find(':');
  std::string out(url.substr(0, authority_start));
  // Without a colon the whole user-info is a credential (a token as user name).
  out += colon == std::string_view::npos
             ? std::string(kRedacted)
             : std::string(user_info.substr(0, colon + 1)) + std::string(kRedacted);
  out += url.substr(authority_start + at);
  return out;
}

}  // namespace reznet::common
