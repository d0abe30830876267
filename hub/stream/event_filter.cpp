#include "hub/stream/event_filter.hpp"

#include <algorithm>

#include "common/text/glob.hpp"
#include "hub/stream/event_publisher.hpp"

namespace vitals::hub::stream {
namespace {

std::vector<std::string> splitCommas(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    out.emplace_back(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) {
      return out;
    }
    start = comma + 1;
  }
}

bool globCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':' || c == '/' || c == '@' || c == '*' || c == '?';
}

}  // namespace

bool isKnownKind(std::string_view kind) {
  return std::find(std::begin(kKinds), std::end(kKinds), kind) != std::end(kKinds);
}

bool globMatch(std::string_view pattern, std::string_view text) {
  return text::globMatch(pattern, text);
}

bool EventFilter::matches(std::string_view kind, std::string_view service) const {
  if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    return false;
  }
  if (services.empty()) {
    return true;
  }
  if (service.empty()) {
    return false;
  }
  return std::any_of(services.begin(), services.end(),
                     [&](const std::string& glob) { return globMatch(glob, service); });
}

Result<EventFilter> parseFilter(std::string_view kinds, std::string_view services) {
  EventFilter f;
  if (!kinds.empty()) {
    for (auto& k : splitCommas(kinds)) {
      if (k.empty()) {
        return Error{
            "stream.bad_filter", "kinds= has an empty item (write kinds=status,agent)", {}};
      }
      if (!isKnownKind(k)) {
        std::string known;
        for (auto n : kKinds) {
          known += (known.empty() ? "" : ", ") + std::string(n);
        }
        return Error{"stream.bad_filter",
                     "kinds=: unknown event kind \"" + k + "\" (known: " + known + ")",
                     {}};
      }
      f.kinds.push_back(std::move(k));
    }
  }
  if (!services.empty()) {
    for (auto& s : splitCommas(services)) {
      if (s.empty()) {
        return Error{
            "stream.bad_filter", "services= has an empty item (write services=db-*,web)", {}};
      }
      if (s.size() > 256 || !std::all_of(s.begin(), s.end(), globCharacter)) {
        return Error{"stream.bad_filter",
                     "services=: \"" + s.substr(0, 64) +
                         "\" is not a glob of service names (letters, digits, - _ . : / @, "
                         "and the wildcards * and ?; at most 256 characters)",
                     {}};
      }
      f.services.push_back(std::move(s));
    }
  }
  return f;
}

}  // namespace vitals::hub::stream
