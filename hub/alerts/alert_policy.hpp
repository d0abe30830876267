#pragma once
// The alert policy: what to do with an incident when its service changes status, and when time
// passes (escalation, reminders, a silence or a dependency that ended, flapping that stopped).
// Pure: no clock, no I/O. The engine (alert_engine.hpp) feeds it the recorded status changes in
// order and stores what it returns, with the notifications, in one transaction.
//
// Rules, in the words of the docs (docs/alerts.md):
// - An incident opens when a service leaves healthy and resolves when it is healthy again; one
//   open incident per (service, kind).
// - Every change of an open incident's status is notified to the channels notified so far;
//   nothing repeats while the status stays the same, except a reminder once the suppression
//   window has passed since the last notice.
// - Escalation: the first channel first; after escalation_delay without an acknowledgement, the
//   next channel, and so on. An acknowledgement stops escalation and reminders.
// - Recovery notices go to every channel that was notified, whatever else happened since.
// - Silenced, inhibited (a depends_on service is down: it is named as the root cause) and
//   below-min_severity changes are recorded on the incident but not sent; when the silence ends,
//   the dependency recovers or the status gets worse, the open incident is notified then.
// - A flapping check sends "flapping started" once and "flapping stopped" when it settles,
//   instead of each transition.
// - Services that turned UNKNOWN because their agent is unreachable are covered by the grouped
//   "N agents unreachable" incident and do not page one by one.
// - A clean stop of the agent resolves the incident at once ("agent stopped at <time>"); the
//   channels notified so far are told "monitoring stopped" once the restart grace has passed
//   (onStopDue), unless the agent came back first: then the incident reopens with the real
//   status quietly (a change of status is notified as usual), or resolves with a recovery
//   notice. A service that left the view (its last check removed, its agent retired) resolves
//   with the "monitoring stopped" notice at once. Channels with stop_notices: false skip it.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/model/status.hpp"
#include "common/time/clock.hpp"
#include "hub/notify/alert_config.hpp"
#include "hub/policy/transition.hpp"

namespace vitals::hub::alerts {

enum class IncidentKind { Status, LogRate, Agents };
std::string_view toString(IncidentKind k);
std::optional<IncidentKind> parseIncidentKind(std::string_view text);

struct Incident {
  std::int64_t id = 0;  // 0 = not stored yet
  std::string service;
  IncidentKind kind = IncidentKind::Status;
  bool open = true;
  HealthStatus status = HealthStatus::Unknown;
  HealthStatus worst = HealthStatus::Unknown;
  std::string reason;
  std::string agent;
  std::string check;
  SystemTime opened_at{};
  std::optional<SystemTime> resolved_at;
  std::optional<std::int64_t> silenced_by;
  std::string root_cause;              // the depends_on service that was down when it opened
  bool notified = false;               // something was sent: the recovery notice must follow
  int level = -1;                      // highest index into the config's channels notified so far
  std::optional<SystemTime> level_at;  // when `level` was reached
  std::optional<SystemTime> last_notified_at;  // for reminders
  int reminders = 0;
  bool flapping = false;
  int transitions = 1;
  std::optional<SystemTime> acked_at;
  std::string acked_by;
  // Resolved by a clean stop of its agent: the "monitoring stopped" notice is owed from then
  // on, unless the agent is back first (restart grace).
  std::optional<SystemTime> stop_notice_due;
};

// One recorded status change (a status_changes row).
struct Change {
  std::int64_t id = 0;
  std::string service;
  HealthStatus from = HealthStatus::Unknown;
  HealthStatus to = HealthStatus::Unknown;
  SystemTime at{};
  std::string reason;
  std::string agent;
  std::string check;
  policy::Cause cause = policy::Cause::Check;
  bool flapping = false;
};

// Where the change stands when it is handled.
struct Circumstances {
  const notify::AlertConfig& config;
  std::optional<std::int64_t> silence;  // an active silence that covers it
  std::string inhibitor;                // a depends_on service that is down now ("" = none)
  SystemTime now{};
  // agents.restart_grace: how long a clean stop's notice waits for the agent to come back.
  std::chrono::milliseconds restart_grace{std::chrono::minutes{2}};
  // Channels configured with stop_notices: false ("monitoring stopped" notices not sent).
  const std::set<std::string>* quiet_stop_channels = nullptr;
};

struct Outgoing {
  std::string channel;
  std::string label;  // unique within the incident per channel: the outbox idempotency key part
  HealthStatus from = HealthStatus::Unknown;
  HealthStatus to = HealthStatus::Unknown;
  std::string summary;
};

struct TimelineEvent {
  std::string event;  // opened, changed, notified, silenced, inhibited, escalated, ...
  std::string channel;
  std::string detail;
};

struct Plan {
  std::optional<Incident> incident;  // to store (insert when id == 0); nullopt = nothing
  std::vector<Outgoing> notify;
  std::vector<TimelineEvent> events;
};

// Whether `status` is severe enough to notify under min_severity ("degraded": degraded,
// unknown and down; "unknown": unknown and down; "down": down only).
bool severeEnough(HealthStatus status, const std::string& min_severity);
// Glob match with '*' and '?' (silence matchers).
bool globMatch(std::string_view pattern, std::string_view text);

// A recorded change, with the open incident of its (service, kind) if there is one.
Plan onChange(const std::optional<Incident>& open, const Change& change, const Circumstances& cx);
// Time passed for an open incident. `flapping_now`: its deciding check is still flapping.
Plan onTick(const Incident& open, const Circumstances& cx, bool flapping_now);
// The stop notice of an incident resolved by a clean stop is due (stop_notice_due <= now).
// `agent_stopped`: its agent is still stopped (otherwise nothing is sent).
Plan onStopDue(const Incident& resolved, const Circumstances& cx, bool agent_stopped);
// An operator acknowledged it (no effect on a resolved or already acknowledged incident).
Plan onAck(const Incident& open, const std::string& by, SystemTime now);

}  // namespace vitals::hub::alerts
