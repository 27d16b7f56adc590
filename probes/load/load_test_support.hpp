#pragma once
// What the load room's tests share (engine_test.cpp, load_config_test.cpp): the load kind for
// config::LoadString, and the settings of a loaded config's first probe. For test sources only.

#include <string>

#include "config/config.hpp"
#include "config/kind.hpp"
#include "probes/load/load_config.hpp"
#include "probes/load/load_probe.hpp"

namespace reznet::probes::load::test_support {

inline config::KindTraitsMap Kinds() {
  return {{std::string(LoadProbe::kKind), LoadProbe::Traits()}};
}

inline const LoadSettings& SettingsOf(const config::Config& c) {
  return static_cast<const LoadSettings&>(*c.probes[0].settings);
}

}  // namespace reznet::probes::load::test_support
