#include "config/secrets.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace reznet::config {
namespace {

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsSecretHeader(const TargetConfig& target, std::string_view name) {
  static constexpr std::array<std::string_view, 3> kAlways = {"Authorization", "X-Api-Key",
                                                              "Cookie"};
  const auto same = [&](std::string_view n) { return SameName(n, name); };
  return std::any_of(kAlways.begin(), kAlways.end(), same) ||
         std::any_of(target.secret_headers.begin(), target.secret_headers.end(), same);
}

void AddHeaderValue(std::string_view value, common::Redactor& out) {
  out.Add(value);
  // "Bearer <token>", "Basic <b64>": the token may show up without its scheme word.
  if (const auto space = value.rfind(' '); space != std::string_view::npos) {
    out.Add(value.substr(space + 1));
  }
}

}  // namespace

void AddTargetSecrets(const TargetConfig& target, common::Redactor& out) {
  out.Add(target.api_key);
  out.Add(target.password);
  for (const auto& [name, value] : target.headers) {
    if (IsSecretHeader(target, name)) AddHeaderValue(value, out);
  }
}

common::Redactor MakeRedactor(const Config& config) {
  common::Redactor out;
  out.Add(config.daemon.auth_token);
  out.Add(config.history.password);
  for (const auto& [user, hash] : config.daemon.basic_users) out.Add(hash);
  for (const auto& [name, target] : config.targets) AddTargetSecrets(target, out);
  for (const auto& [name, module] : config.modules) AddTargetSecrets(module.target, out);
  return out;
}

std::shared_ptr<const common::Redactor> SecretsOf(const Config& config) {
  std::lock_guard lock(config.secrets.mutex_);
  if (!config.secrets.value_)
    config.secrets.value_ = std::make_shared<const common::Redactor>(MakeRedactor(config));
  return config.secrets.value_;
}

}  // namespace reznet::config
