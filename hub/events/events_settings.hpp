#pragma once
// Inbound events configuration (`events:` in the hub config), with the rules file already
// loaded and validated (so `vitals-hub --check-config` checks it too).
#include <chrono>
#include <string>

#include "hub/events/event_rules.hpp"

namespace vitals::hub::events {

struct HmacSettings {
  std::string secret;           // secret: never logged; empty = HMAC not accepted
  std::string previous_secret;  // accepted as well during a rotation
  std::chrono::milliseconds max_age{std::chrono::seconds{300}};  // |now - timestamp| allowed
  std::string role = "operator";  // what a correctly signed request may do
};

struct EventsSettings {
  bool enabled = false;  // the section is present
  std::string rules_file;
  EventRules rules;
  HmacSettings hmac;
  bool nats = true;                   // subscribe to vitals.events.>
  std::string nats_role = "operator";  // the role of events that arrive on NATS
  std::chrono::milliseconds default_cooldown{std::chrono::seconds{60}};
  std::chrono::milliseconds action_timeout{std::chrono::seconds{30}};
};

}  // namespace vitals::hub::events
