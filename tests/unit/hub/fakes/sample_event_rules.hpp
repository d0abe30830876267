#pragma once
// The inbound-event rules the events tests and the events fuzz target share: patterns, enums,
// defaults, integer and boolean parameters, $target, a fixed agent and operator overrides.
namespace vitals::test {

inline constexpr const char* kSampleEventRules = R"(rules:
  - name: restart-container
    event_type: container.oom
    target: "web-*"
    action: restart-container
    cooldown: 5m
    params:
      name:
        from: container
        pattern: "^[a-z0-9-]{1,32}$"
        required: true
      signal:
        enum: [HUP, TERM]
        default: TERM
  - name: touch
    event_type: disk.full
    action: cleanup
    agent: node-9
    allow_operator_override: true
    cooldown: 0s
    params:
      host:
        from: $target
      keep:
        type: integer
        required: true
      force:
        type: boolean
)";

}  // namespace vitals::test
