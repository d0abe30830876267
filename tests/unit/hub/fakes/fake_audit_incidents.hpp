#pragma once
// In-memory AuditReader and AlertApiStore for the audit and incidents handlers: rows in memory
// with the stores' filters, order and paging, and acknowledgements by the alert policy (onAck).
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hub/alerts/alert_api_store.hpp"
#include "hub/audit/audit_query.hpp"

namespace vitals::test {

class FakeAuditReader final : public hub::audit::AuditReader {
 public:
  std::vector<hub::audit::AuditRow> rows;  // any order
  std::vector<hub::audit::AuditQuery> queries;

  Result<std::vector<hub::audit::AuditRow>> query(const hub::audit::AuditQuery& q) override {
    queries.push_back(q);
    auto sorted = rows;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return std::pair(a.at, a.id) > std::pair(b.at, b.id);
    });
    std::vector<hub::audit::AuditRow> out;
    for (const auto& r : sorted) {
      const auto at_us =
          std::chrono::duration_cast<std::chrono::microseconds>(r.at.time_since_epoch()).count();
      if (q.before && std::pair<std::int64_t, std::int64_t>(at_us, r.id) >= *q.before) {
        continue;
      }
      if ((!q.actor.empty() && r.actor != q.actor) || (!q.target.empty() && r.target != q.target)) {
        continue;
      }
      if (!q.action.empty()) {
        const bool prefix = q.action.back() == '*';
        const std::string a = prefix ? q.action.substr(0, q.action.size() - 1) : q.action;
        if (prefix ? r.action.rfind(a, 0) != 0 : r.action != a) {
          continue;
        }
      }
      if (static_cast<int>(out.size()) > q.limit) {
        break;
      }
      out.push_back(r);
    }
    return out;  // up to limit + 1
  }
};

class FakeAlertApiStore final : public hub::alerts::AlertApiStore {
 public:
  std::map<std::int64_t, hub::alerts::Incident> incidents;
  std::map<std::int64_t, std::vector<hub::alerts::TimelineRow>> timelines;
  std::map<std::int64_t, hub::alerts::Silence> silences_;
  std::int64_t next_silence = 1;

  Result<std::vector<hub::alerts::Incident>> list(const hub::alerts::AlertQuery& q) override {
    std::vector<hub::alerts::Incident> out;
    for (auto it = incidents.rbegin(); it != incidents.rend(); ++it) {
      const auto& i = it->second;
      if ((q.state == "open" && !i.open) || (q.state == "resolved" && i.open) ||
          (!q.service.empty() && i.service != q.service) ||
          (!q.kind.empty() && q.kind != hub::alerts::toString(i.kind)) ||
          (q.before_id != 0 && i.id >= q.before_id)) {
        continue;
      }
      if (static_cast<int>(out.size()) == q.limit) {
        break;
      }
      out.push_back(i);
    }
    return out;
  }
  Result<std::optional<std::pair<hub::alerts::Incident, std::vector<hub::alerts::TimelineRow>>>>
  get(std::int64_t id) override {
    using Found = std::pair<hub::alerts::Incident, std::vector<hub::alerts::TimelineRow>>;
    auto it = incidents.find(id);
    if (it == incidents.end()) {
      return std::optional<Found>{};
    }
    return std::optional<Found>{Found{it->second, timelines[id]}};
  }
  Result<hub::alerts::AckResult> ack(std::int64_t id, const std::string& by,
                                     SystemTime now) override {
    auto it = incidents.find(id);
    if (it == incidents.end()) {
      return hub::alerts::AckResult::NotFound;
    }
    if (!it->second.open) {
      return hub::alerts::AckResult::Resolved;
    }
    if (it->second.acked_at) {
      return hub::alerts::AckResult::AlreadyAcknowledged;
    }
    auto plan = hub::alerts::onAck(it->second, by, now);
    if (!plan.incident) {
      return Error{"alerts.ack", "acknowledgement had no effect", {}};
    }
    it->second = *plan.incident;
    for (const auto& e : plan.events) {
      timelines[id].push_back(
          {static_cast<std::int64_t>(timelines[id].size()) + 1, now, e.event, e.channel, e.detail});
    }
    return hub::alerts::AckResult::Acknowledged;
  }
  Result<std::vector<hub::alerts::Silence>> silences(bool include_expired, SystemTime now,
                                                     int limit) override {
    std::vector<hub::alerts::Silence> out;
    for (auto it = silences_.rbegin(); it != silences_.rend(); ++it) {
      if ((include_expired || it->second.ends_at > now) && static_cast<int>(out.size()) < limit) {
        out.push_back(it->second);
      }
    }
    return out;
  }
  Result<std::optional<hub::alerts::Silence>> silence(std::int64_t id) override {
    auto it = silences_.find(id);
    return it == silences_.end() ? std::optional<hub::alerts::Silence>{}
                                 : std::optional<hub::alerts::Silence>{it->second};
  }
  Result<std::int64_t> addSilence(const hub::alerts::Silence& s) override {
    auto stored = s;
    stored.id = next_silence++;
    silences_[stored.id] = stored;
    return stored.id;
  }
  Result<bool> expireSilence(std::int64_t id, SystemTime now) override {
    auto it = silences_.find(id);
    if (it == silences_.end() || it->second.ends_at <= now) {
      return false;
    }
    it->second.ends_at = now;
    return true;
  }
};

}  // namespace vitals::test
