#pragma once
// Strict reading of the `events:` section; loads and validates the rules file it names.
#include "common/config/config_sources.hpp"
#include "common/config/yaml_reader.hpp"
#include "hub/events/events_settings.hpp"

namespace vitals::hub::events {

void readEventsSettings(config::YamlReader& section, const config::ConfigSources& sources,
                        EventsSettings& out);

}  // namespace vitals::hub::events
