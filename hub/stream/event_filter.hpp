#pragma once
// What one stream client asked for: kinds= (a comma list of event kinds) and services= (a
// comma list of globs, '*' and '?', e.g. "db-*,web?"). Pure: parsed and matched without I/O.
#include <string>
#include <string_view>
#include <vector>

#include "common/error/result.hpp"

namespace vitals::hub::stream {

// Matches '*' (any run, also empty) and '?' (one character); everything else literally.
bool globMatch(std::string_view pattern, std::string_view text);

struct EventFilter {
  std::vector<std::string> kinds;     // empty: every kind
  std::vector<std::string> services;  // globs; empty: every service (and events without one)

  // True when an event of this kind about this service passes. With a services filter, events
  // about no service (service "") are not sent.
  bool matches(std::string_view kind, std::string_view service) const;
};

// Parses the two query values (absent = empty string). Errors ("stream.bad_filter") name the
// offending item: an unknown kind, an empty item, a glob with characters no service name has.
Result<EventFilter> parseFilter(std::string_view kinds, std::string_view services);

}  // namespace vitals::hub::stream
