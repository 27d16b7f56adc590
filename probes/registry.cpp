#include <algorithm>
#include <stdexcept>

#include "config/secrets.hpp"
#include "config/suite.hpp"
#include "probes/probe.hpp"
#include "probes/redacting_probe.hpp"

namespace reznet::probes {
namespace {

// Why `traits` cannot describe a kind, or "" when they can.
std::string Contradiction(const config::KindTraits& traits) {
  if (traits.name.empty()) return "no name";
  if (!traits.parse) return "no parse function";
  if (std::find(traits.phases.begin(), traits.phases.end(), traits.chart_phase) ==
      traits.phases.end())
    return "chart_phase \"" + traits.chart_phase + "\" is not one of its phases";
  for (const auto& profile : traits.profiles) {
    const bool known =
        profile != config::kFullProfile &&
        std::find(std::begin(config::kDefaultProfiles), std::end(config::kDefaultProfiles),
                  profile) != std::end(config::kDefaultProfiles);
    if (!known) return "profile \"" + profile + "\" is not a default profile other than full";
  }
  if (traits.default_samples < 1) return "default_samples must be at least 1";
  return "";
}

}  // namespace

void ProbeRegistry::Add(config::KindTraits traits, Factory factory) {
  std::string why = Contradiction(traits);
  if (why.empty() && kinds_.count(traits.name)) why = "added twice";
  if (!why.empty()) throw std::logic_error("probe kind " + traits.name + ": " + why);
  std::string name = traits.name;
  factories_[name] = std::move(factory);
  kinds_[name] = std::move(traits);
}

std::unique_ptr<Probe> ProbeRegistry::Create(const CreateArgs& args) const {
  auto it = factories_.find(args.probe.kind);
  if (it == factories_.end()) throw std::invalid_argument("unknown probe kind " + args.probe.kind);
  auto probe = it->second(args);
  // The config's secrets are collected once and shared by all its probes: a walk over every
  // target per probe made discovery quadratic (100,000 targets never applied).
  std::shared_ptr<const common::Redactor> redactor;
  if (args.config != nullptr) {
    redactor = config::SecretsOf(*args.config);
  } else if (args.target != nullptr) {
    common::Redactor own;
    config::AddTargetSecrets(*args.target, own);
    redactor = std::make_shared<const common::Redactor>(std::move(own));
  }
  if (!redactor || redactor->Empty()) return probe;
  return std::make_unique<RedactingProbe>(std::move(probe), std::move(redactor));
}

}  // namespace reznet::probes
