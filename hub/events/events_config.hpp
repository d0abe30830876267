#pragma once
// Strict reading of the `events:` section; loads and validates the rules file it names.
#include "common/config/yaml_reader.hpp"
#include "hub/events/events_settings.hpp"

namespace vitals::hub {
struct ConfigSources;
}

namespace vitals::hub::events {

void readEventsSettings(config::YamlReader& section, const ConfigSources& sources,
                        EventsSettings& out);

}  // namespace vitals::hub::events
