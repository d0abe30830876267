#pragma once
// In-memory AlertStore for the alert engine: status changes after a cursor, incidents with their
// timeline, silences, stored alert configs with a fingerprint that changes with them, and an
// outbox idempotent by the notification's key. transaction() rolls every table back when the
// work fails, as PostgreSQL does; fail_next makes the next call of a named method fail.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hub/alerts/alert_store.hpp"

namespace vitals::test {

class FakeAlertEngineStore final : public hub::alerts::AlertStore {
 public:
  struct EventRow {
    std::int64_t alert_id = 0;
    hub::alerts::TimelineEvent event;
    SystemTime at{};
  };
  struct Tables {
    std::int64_t cursor = 0;
    std::vector<hub::alerts::Change> changes;
    std::map<std::int64_t, hub::alerts::Incident> incidents;
    std::vector<EventRow> events;
    std::vector<hub::alerts::Silence> silences;
    std::map<std::string, hub::notify::AlertConfig> configs;
    int configs_version = 0;
    std::set<std::string> stopped_agents;
    std::vector<hub::notify::Notification> outbox;
    std::set<std::string> outbox_keys;
    std::int64_t next_incident_id = 1;
  };
  Tables t;
  std::string fail_next;  // a method name: its next call fails with db.unavailable
  int commits = 0;
  int rollbacks = 0;

  // Test helpers.
  std::int64_t addChange(hub::alerts::Change c) {
    c.id = static_cast<std::int64_t>(t.changes.size()) + 1;
    t.changes.push_back(c);
    return c.id;
  }
  void putConfig(const hub::notify::AlertConfig& c) {
    t.configs[c.service] = c;
    ++t.configs_version;
  }
  std::vector<hub::alerts::Incident> incidentsOf(const std::string& service) const {
    std::vector<hub::alerts::Incident> out;
    for (const auto& [id, i] : t.incidents) {
      if (i.service == service) {
        out.push_back(i);
      }
    }
    return out;
  }
  std::vector<hub::notify::Notification> sentTo(const std::string& channel) const {
    std::vector<hub::notify::Notification> out;
    for (const auto& n : t.outbox) {
      if (n.channel == channel) {
        out.push_back(n);
      }
    }
    return out;
  }

  Status transaction(const std::function<Status()>& fn) override {
    const Tables before = t;
    auto s = fn();
    if (!s.ok()) {
      t = before;
      ++rollbacks;
      return s;
    }
    ++commits;
    return s;
  }
  Result<std::int64_t> lockCursor() override {
    if (failing("lockCursor")) {
      return injected();
    }
    return t.cursor;
  }
  Status advanceCursor(std::int64_t last_change_id) override {
    if (failing("advanceCursor")) {
      return injected();
    }
    t.cursor = last_change_id;
    return okStatus();
  }
  Result<std::vector<hub::alerts::Change>> changesAfter(std::int64_t after, int limit) override {
    std::vector<hub::alerts::Change> out;
    for (const auto& c : t.changes) {
      if (c.id > after && static_cast<int>(out.size()) < limit) {
        out.push_back(c);
      }
    }
    return out;
  }
  Result<std::optional<hub::alerts::Incident>> openIncident(
      const std::string& service, hub::alerts::IncidentKind kind) override {
    for (const auto& [id, i] : t.incidents) {
      if (i.open && i.service == service && i.kind == kind) {
        return std::optional<hub::alerts::Incident>{i};
      }
    }
    return std::optional<hub::alerts::Incident>{};
  }
  Result<std::vector<hub::alerts::Incident>> lockOpenIncidents(int limit) override {
    std::vector<hub::alerts::Incident> out;
    for (const auto& [id, i] : t.incidents) {
      if (i.open && static_cast<int>(out.size()) < limit) {
        out.push_back(i);
      }
    }
    return out;
  }
  Result<std::optional<hub::alerts::Incident>> stopPendingIncident(
      const std::string& service) override {
    for (auto it = t.incidents.rbegin(); it != t.incidents.rend(); ++it) {
      const auto& i = it->second;
      if (!i.open && i.service == service && i.kind == hub::alerts::IncidentKind::Status &&
          i.stop_notice_due) {
        return std::optional<hub::alerts::Incident>{i};
      }
    }
    return std::optional<hub::alerts::Incident>{};
  }
  Result<bool> agentStillStopped(const std::string& agent) override {
    return t.stopped_agents.count(agent) > 0;
  }
  Result<std::vector<hub::alerts::Incident>> lockDueStopNotices(SystemTime now,
                                                                int limit) override {
    std::vector<hub::alerts::Incident> out;
    for (const auto& [id, i] : t.incidents) {
      if (i.stop_notice_due && *i.stop_notice_due <= now && static_cast<int>(out.size()) < limit) {
        out.push_back(i);
      }
    }
    return out;
  }
  Status save(hub::alerts::Incident& incident) override {
    if (failing("save")) {
      return injected();
    }
    if (incident.id == 0) {
      incident.id = t.next_incident_id++;
    }
    t.incidents[incident.id] = incident;
    return okStatus();
  }
  Status addEvents(std::int64_t alert_id, const std::vector<hub::alerts::TimelineEvent>& events,
                   SystemTime at) override {
    for (const auto& e : events) {
      t.events.push_back({alert_id, e, at});
    }
    return okStatus();
  }
  Result<std::vector<hub::alerts::Silence>> silences(SystemTime from, SystemTime until) override {
    std::vector<hub::alerts::Silence> out;
    for (const auto& s : t.silences) {
      if (s.ends_at > from && s.starts_at < until) {
        out.push_back(s);
      }
    }
    return out;
  }
  Result<std::string> alertConfigsFingerprint() override {
    return std::to_string(t.configs_version);
  }
  Result<std::optional<hub::notify::AlertConfig>> alertConfig(const std::string& service) override {
    auto it = t.configs.find(service);
    if (it == t.configs.end()) {
      return std::optional<hub::notify::AlertConfig>{};
    }
    return std::optional<hub::notify::AlertConfig>{it->second};
  }
  Result<bool> enqueue(const hub::notify::Notification& n) override {
    if (failing("enqueue")) {
      return injected();
    }
    if (!t.outbox_keys.insert(n.idempotencyKey()).second) {
      return false;
    }
    t.outbox.push_back(n);
    return true;
  }

 private:
  bool failing(const char* method) {
    if (fail_next == method) {
      fail_next.clear();
      return true;
    }
    return false;
  }
  static Error injected() { return Error{"db.unavailable", "injected failure", {}}; }
};

}  // namespace vitals::test
