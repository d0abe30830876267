#pragma once
// Strict reading of the `preflight:` section (file:line problems like the rest of the config).
#include <set>
#include <string>

#include "common/config/yaml_reader.hpp"
#include "hub/preflight/preflight_settings.hpp"

namespace vitals::hub::preflight {

// Reads `preflight:` into out (which holds the defaults). channels: the names of notify.channels,
// which notifier_test checks must name.
void readPreflightSettings(config::YamlReader& section, const std::set<std::string>& channels,
                           PreflightSettings& out);

}  // namespace vitals::hub::preflight
