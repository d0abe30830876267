#pragma once
// Strict reading of the `federation:` section of hub.yaml.
#include <string>

#include "common/config/yaml_reader.hpp"
#include "hub/federation/federation_settings.hpp"

namespace vitals::hub::federation {

// Reads `federation:` into out (which holds the defaults). own_id: this hub's id, which
// alert_on may not name.
void readFederationSettings(config::YamlReader& section, const std::string& own_id,
                            FederationSettings& out);

}  // namespace vitals::hub::federation
