// Inbound event payloads: the body parser (parseInboundEvent) and, for bodies it accepts, the
// whole EventProcessor path over fakes (rule match, parameter building and validation,
// cooldown, the recorded event). Invariants: a refusal has the documented code; an accepted
// body re-serialises to one that parses the same; built parameters satisfy their rules; the
// outcome status is one of the documented ones and an accepted event is recorded.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <regex>
#include <set>
#include <string>

#include "common/time/manual_time.hpp"
#include "hub/events/event_processor.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/unit/hub/fakes/fake_events.hpp"
#include "tests/unit/hub/fakes/sample_event_rules.hpp"

namespace {

using namespace vitals;
using namespace vitals::hub::events;

// The rules of tests/unit/hub/events_test.cpp.
const char* const kRules = vitals::test::kSampleEventRules;

const EventRules& rules() {
  static const EventRules r = [] {
    config::Problems problems;
    auto parsed = parseEventRules(kRules, "actions.yaml", problems);
    FUZZ_CHECK(parsed.has_value(), "the fixed rules parse");
    return *parsed;
  }();
  return r;
}

void checkParams(const EventRule& rule, const std::map<std::string, std::string>& params) {
  for (const auto& p : rule.params) {
    auto it = params.find(p.name);
    if (it == params.end()) {
      FUZZ_CHECK(!p.required && !p.default_value, "a required or defaulted parameter is set");
      continue;
    }
    const std::string& v = it->second;
    if (p.pattern) {
      FUZZ_CHECK(std::regex_match(v, *p.pattern), "a value matches its pattern");
    }
    if (!p.allowed.empty()) {
      FUZZ_CHECK(std::find(p.allowed.begin(), p.allowed.end(), v) != p.allowed.end(),
                 "a value is one of its enum");
    }
    if (p.type == ParamType::Boolean) {
      FUZZ_CHECK(v == "true" || v == "false", "a boolean is true or false");
    }
    if (p.type == ParamType::Integer) {
      FUZZ_CHECK(!v.empty() && v.find_first_not_of("-0123456789") == std::string::npos,
                 "an integer is digits");
    }
  }
  for (const auto& entry : params) {
    const bool declared = std::any_of(rule.params.begin(), rule.params.end(),
                                      [&](const ParamRule& p) { return p.name == entry.first; });
    FUZZ_CHECK(declared, "only declared parameters reach the action");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto event = parseInboundEvent(body);
  if (!event.ok()) {
    FUZZ_CHECK(event.error().code == "event.invalid", "a refused body has code event.invalid");
    return 0;
  }
  FUZZ_CHECK(!event->event_type.empty() && !event->target.empty(), "type and target are set");
  FUZZ_CHECK(event->payload.is_object(), "the payload is an object");

  // Round trip through JSON.
  nlohmann::json j{
      {"event_type", event->event_type}, {"target", event->target}, {"payload", event->payload}};
  if (event->controller_override) {
    j["controller_override"] = *event->controller_override;
  }
  const std::string again = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto reparsed = parseInboundEvent(again);
  FUZZ_CHECK(reparsed.ok(), "an accepted event re-serialises to an accepted body");

  if (const EventRule* rule = rules().match(event->event_type, event->target)) {
    auto params = buildParams(*rule, event->target, event->payload);
    if (params.ok()) {
      checkParams(*rule, params.value());
    } else {
      FUZZ_CHECK(params.error().code == "event.param", "a refused parameter has code event.param");
    }
  }

  // The whole path, over fakes.
  ManualTime time;
  test::FakeActionRunner runner;
  test::FakeEventLog log;
  metrics::Registry registry;
  EventProcessor processor{rules(),
                           [](const std::string& target) -> Result<std::string> {
                             if (target == "web-1") {
                               return std::string("node-1");
                             }
                             return Error{"event.no_agent", "no agent reports " + target, {}};
                           },
                           runner,
                           log,
                           time,
                           registry,
                           {}};
  const bool operator_role = size % 2 == 0;
  const EventCaller caller{"key:1", operator_role ? "operator" : "admin", "http:key:1"};
  const EventOutcome out = processor.handle(*event, caller);
  static const std::set<int> kStatuses{200, 400, 403, 422, 429, 502, 503, 504};
  FUZZ_CHECK(kStatuses.count(out.status) == 1, "the outcome status is a documented one");
  if (out.status == 200) {
    FUZZ_CHECK(out.record.has_value(), "an accepted event is recorded");
    FUZZ_CHECK(log.rows.size() == 1, "an accepted event is in the log once");
    FUZZ_CHECK(runner.requests.size() == 1, "an accepted event runs its action once");
    const EventRule* rule = rules().match(event->event_type, event->target);
    FUZZ_CHECK(rule != nullptr, "an accepted event matched a rule");
    checkParams(*rule, runner.requests[0].params);
  } else {
    FUZZ_CHECK(!out.code.empty(), "a refusal has a code");
  }
  return 0;
}
