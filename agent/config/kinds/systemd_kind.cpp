// kind: systemd — see docs/configuration-agent.md "kind: systemd".
#include <algorithm>
#include <cctype>
#include <string_view>

#include "agent/config/kinds/kind_readers.hpp"

namespace vitals::agent::kinds {

void readSystemd(config::YamlReader& c, const LoadOptions&, CheckConfig& check) {
  SystemdCheckSpec spec;
  if (auto unit = c.str("unit")) {
    const bool ok = !unit->empty() && (*unit)[0] != '-' &&
                    std::all_of(unit->begin(), unit->end(), [](unsigned char ch) {
                      return std::isalnum(ch) != 0 || std::string_view(":-_.@\\").find(
                                                          static_cast<char>(ch)) !=
                                                          std::string_view::npos;
                    });
    if (!ok) {
      c.problem("unit", "must be a unit name such as nginx.service; got \"" + *unit + "\"");
    }
    spec.unit = *unit;
  } else {
    c.problem("unit", "is required for kind systemd");
  }
  check.spec = std::move(spec);
}

}  // namespace vitals::agent::kinds
