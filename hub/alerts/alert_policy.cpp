#include "hub/alerts/alert_policy.hpp"

#include <algorithm>

#include "common/text/glob.hpp"

namespace vitals::hub::alerts {
namespace {

using policy::Cause;

std::string arrow(HealthStatus from, HealthStatus to) {
  return std::string(toString(from)) + "->" + std::string(toString(to));
}

std::string where(const Incident& i) {
  std::string out;
  if (!i.check.empty()) {
    out += "check " + i.check;
  }
  if (!i.agent.empty()) {
    out += (out.empty() ? "agent " : " on ") + i.agent;
  }
  return out.empty() ? "" : " (" + out + ")";
}

std::string problemSummary(const Incident& i) {
  std::string s = i.service + " is " + std::string(toString(i.status));
  if (!i.reason.empty()) {
    s += ": " + i.reason;
  }
  return s + where(i);
}

IncidentKind kindOf(const Change& c) {
  switch (c.cause) {
    case Cause::AgentsGroup:
      return IncidentKind::Agents;
    case Cause::LogRate:
      return IncidentKind::LogRate;
    default:
      return IncidentKind::Status;
  }
}

// Channels 0..level of the config (those already notified).
void toNotified(Plan& p, const Incident& i, const notify::AlertConfig& cfg,
                const std::string& label, HealthStatus from, const std::string& summary) {
  const int last = std::min<int>(i.level, static_cast<int>(cfg.channels.size()) - 1);
  for (int k = 0; k <= last; ++k) {
    const auto& ch = cfg.channels[static_cast<std::size_t>(k)];
    p.notify.push_back({ch, label, from, i.status, summary});
    p.events.push_back({"notified", ch, label});
  }
}

// First notice of an incident: the first channel (escalation takes it further).
void firstNotice(Plan& p, Incident& i, const notify::AlertConfig& cfg, const std::string& label,
                 HealthStatus from, const std::string& summary, SystemTime now) {
  i.notified = true;
  i.level = 0;
  i.level_at = now;
  i.last_notified_at = now;
  if (cfg.channels.empty()) {
    p.events.push_back({"notified", "", "dashboard only: no channels configured"});
    return;
  }
  toNotified(p, i, cfg, label, from, summary);
}

// Why a notifiable state is held back right now ("" = it is not).
std::string heldBack(const Incident& i, const Circumstances& cx) {
  if (!cx.config.enabled) {
    return "alerts disabled for this service";
  }
  if (!severeEnough(i.status, cx.config.min_severity)) {
    return "below min_severity " + cx.config.min_severity;
  }
  if (cx.silence) {
    return "silenced by silence " + std::to_string(*cx.silence);
  }
  if (!cx.inhibitor.empty()) {
    return "inhibited: dependency " + cx.inhibitor + " is down";
  }
  return "";
}

std::string heldEvent(const Circumstances& cx) {
  if (cx.silence) {
    return "silenced";
  }
  if (!cx.inhibitor.empty()) {
    return "inhibited";
  }
  return "held";
}

// "monitoring stopped" to the channels notified so far, except those that turned it off.
void stopNotice(Plan& p, const Incident& i, const Circumstances& cx, const std::string& label) {
  const std::string summary = "monitoring of " + i.service + " stopped: " + i.reason + " (was " +
                              std::string(toString(i.status)) + ")";
  const auto& cfg = cx.config;
  const int last = std::min<int>(i.level, static_cast<int>(cfg.channels.size()) - 1);
  for (int k = 0; k <= last; ++k) {
    const auto& ch = cfg.channels[static_cast<std::size_t>(k)];
    if (cx.quiet_stop_channels != nullptr && cx.quiet_stop_channels->count(ch) != 0) {
      p.events.push_back({"held", ch, "stop_notices off for this channel"});
      continue;
    }
    p.notify.push_back({ch, label, i.status, HealthStatus::Unknown, summary});
    p.events.push_back({"notified", ch, label});
  }
}

// Its agent stopped cleanly, or the service left the view: the incident resolves now.
Plan onStoppedOrRemoved(const std::optional<Incident>& open, const Change& c,
                        const Circumstances& cx) {
  Plan p;
  if (!open || !open->open) {
    return p;
  }
  Incident i = *open;  // `status` keeps the last known status (what the notice says it was)
  i.open = false;
  i.resolved_at = c.at;
  i.reason = c.reason;
  ++i.transitions;
  const bool stopped = c.cause == Cause::Stopped;
  if (stopped) {
    i.agent = c.agent;  // the stopped agent: the notice waits for it
    i.check = c.check;
  }
  p.events.push_back({stopped ? "stopped" : "removed", "", c.reason});
  if (i.notified && !cx.silence) {
    if (stopped) {
      i.stop_notice_due = c.at + cx.restart_grace;
      p.events.push_back({"stop-notice-scheduled", "",
                          "monitoring stopped notice unless the agent is back within " +
                              std::to_string(cx.restart_grace.count() / 1000) + "s"});
    } else {
      stopNotice(p, i, cx, "monitoring-stopped-" + std::to_string(i.transitions));
    }
  }
  p.events.push_back({"resolved", "", c.reason});
  p.incident = std::move(i);
  return p;
}

// The agent came back within the restart grace; `pending` was resolved by its stop.
Plan onResumed(const Incident& pending, const Change& c, const Circumstances& cx) {
  Plan p;
  Incident i = pending;
  const HealthStatus before = i.status;
  i.stop_notice_due.reset();
  ++i.transitions;
  i.reason = c.reason;
  p.events.push_back({"resumed", "", "agent back within the restart grace"});
  if (c.to == HealthStatus::Healthy) {
    i.status = HealthStatus::Healthy;
    if (i.notified && cx.config.recovery_notice && !cx.silence) {
      toNotified(p, i, cx.config, "recovered-" + std::to_string(i.transitions), before,
                 i.service + " recovered (was " + std::string(toString(before)) + ")");
    }
    p.incident = std::move(i);
    return p;
  }
  // Still failing: the same incident goes on, as if the stop had not happened.
  i.open = true;
  i.resolved_at.reset();
  i.status = c.to;
  i.worst = worst(i.worst, c.to);
  i.agent = c.agent;
  i.check = c.check;
  p.events.push_back({"reopened", "", arrow(before, c.to)});
  if (c.to != before && i.notified && !cx.silence) {
    i.last_notified_at = cx.now;
    toNotified(p, i, cx.config, std::to_string(i.transitions) + ":" + arrow(before, c.to), before,
               problemSummary(i));
  }
  p.incident = std::move(i);
  return p;
}

}  // namespace

Plan onStopDue(const Incident& resolved, const Circumstances& cx, bool agent_stopped) {
  Plan p;
  Incident i = resolved;
  i.stop_notice_due.reset();
  if (!agent_stopped) {
    p.events.push_back({"resumed", "", "agent back: no stop notice"});
  } else {
    stopNotice(p, i, cx, "monitoring-stopped-" + std::to_string(i.transitions));
  }
  p.incident = std::move(i);
  return p;
}

std::string_view toString(IncidentKind k) {
  switch (k) {
    case IncidentKind::Status:
      return "status";
    case IncidentKind::LogRate:
      return "log_rate";
    case IncidentKind::Agents:
      return "agents";
  }
  return "status";
}

std::optional<IncidentKind> parseIncidentKind(std::string_view text) {
  for (auto k : {IncidentKind::Status, IncidentKind::LogRate, IncidentKind::Agents}) {
    if (toString(k) == text) {
      return k;
    }
  }
  return std::nullopt;
}

bool severeEnough(HealthStatus status, const std::string& min_severity) {
  switch (status) {
    case HealthStatus::Healthy:
      return false;
    case HealthStatus::Degraded:
      return min_severity == "degraded";
    case HealthStatus::Unknown:
      return min_severity == "degraded" || min_severity == "unknown";
    case HealthStatus::Down:
      return true;
  }
  return false;
}

bool globMatch(std::string_view pattern, std::string_view text) {
  return pattern.empty() || text::globMatch(pattern, text);
}

Plan onChange(const std::optional<Incident>& open, const Change& c, const Circumstances& cx) {
  Plan p;
  const auto& cfg = cx.config;
  const IncidentKind kind = kindOf(c);

  // The grouped "N agents unreachable" event: one notice, nothing stays open (agents coming
  // back are seen per service).
  if (kind == IncidentKind::Agents) {
    Incident i;
    i.service = c.service;
    i.kind = kind;
    i.open = false;
    i.status = c.to;
    i.worst = c.to;
    i.reason = c.reason;
    i.agent = c.agent;
    i.opened_at = c.at;
    i.resolved_at = c.at;
    i.silenced_by = cx.silence;
    p.events.push_back({"opened", "", c.reason});
    if (cx.silence || !cfg.enabled) {
      p.events.push_back({"silenced", "", heldBack(i, cx)});
    } else {
      firstNotice(p, i, cfg, "agents-unreachable", HealthStatus::Healthy, c.reason, cx.now);
    }
    p.events.push_back({"resolved", "", "one-shot notice"});
    p.incident = std::move(i);
    return p;
  }

  if (c.cause == Cause::Stopped || c.cause == Cause::Removed) {
    return onStoppedOrRemoved(open, c, cx);
  }
  if (c.cause == Cause::Resumed && open && !open->open) {
    return onResumed(*open, c, cx);
  }
  if (open && !open->open) {
    return p;  // only a resume looks at a resolved incident
  }

  // A service seen for the first time (from == to: its first window) that has no result yet is
  // not a problem; one that starts out failing is.
  if (c.from == c.to && (c.to == HealthStatus::Unknown || c.to == HealthStatus::Healthy)) {
    return p;
  }
  if (c.to == HealthStatus::Healthy) {
    if (!open) {
      return p;  // nothing was wrong as far as alerts know
    }
    Incident i = *open;
    const HealthStatus before = i.status;
    i.status = HealthStatus::Healthy;
    i.open = false;
    i.resolved_at = c.at;
    ++i.transitions;
    i.reason = c.reason;
    if (i.notified && cfg.recovery_notice) {
      std::string summary = i.service + " recovered (was " + std::string(toString(before)) +
                            (i.flapping ? ", flapping" : "") + ")";
      toNotified(p, i, cfg, "recovered", before, summary);
    }
    p.events.push_back({"resolved", "", arrow(before, HealthStatus::Healthy)});
    p.incident = std::move(i);
    return p;
  }

  // Agent went silent: the grouped incident speaks for it. Keep an open incident current.
  if (c.cause == Cause::Unreachable) {
    if (!open) {
      return p;
    }
    Incident i = *open;
    i.status = c.to;
    ++i.transitions;
    p.events.push_back({"unreachable", "", "covered by the grouped agents incident"});
    p.incident = std::move(i);
    return p;
  }

  Incident i;
  HealthStatus before = c.from;
  if (open) {
    i = *open;
    before = i.status;
    ++i.transitions;
    p.events.push_back({"changed", "", arrow(before, c.to)});
  } else {
    i.service = c.service;
    i.kind = kind;
    i.opened_at = c.at;
    i.silenced_by = cx.silence;
    i.root_cause = cx.inhibitor;
    p.events.push_back({"opened", "", arrow(c.from, c.to)});
  }
  i.status = c.to;
  i.worst = open ? worst(i.worst, c.to) : c.to;
  i.reason = c.reason;
  i.agent = c.agent;
  i.check = c.check;
  if (!cx.inhibitor.empty() && i.root_cause.empty() && !i.notified) {
    i.root_cause = cx.inhibitor;
  }

  // Once notified, only a silence holds changes back (the operator already knows).
  const std::string held =
      i.notified ? (cx.silence ? "silenced by silence " + std::to_string(*cx.silence) : "")
                 : heldBack(i, cx);
  const std::string label = std::to_string(i.transitions) + ":" + arrow(before, c.to);
  if (!held.empty()) {
    p.events.push_back({heldEvent(cx), "", held});
  } else if (c.flapping && !i.flapping) {
    i.flapping = true;
    const std::string summary =
        i.service + " is flapping" + where(i) + ", now " + std::string(toString(i.status));
    if (!i.notified) {
      firstNotice(p, i, cfg, "flapping-started-" + std::to_string(i.transitions), before, summary,
                  cx.now);
    } else {
      i.last_notified_at = cx.now;
      toNotified(p, i, cfg, "flapping-started-" + std::to_string(i.transitions), before, summary);
    }
    p.events.push_back({"flapping-started", "", summary});
  } else if (c.flapping && i.flapping) {
    p.events.push_back({"suppressed", "", "flapping: " + arrow(before, c.to)});
  } else if (!i.notified) {
    firstNotice(p, i, cfg, label, before, problemSummary(i), cx.now);
  } else {
    if (i.flapping) {
      i.flapping = false;
      p.events.push_back({"flapping-stopped", "", ""});
    }
    i.last_notified_at = cx.now;
    toNotified(p, i, cfg, label, before, problemSummary(i));
  }
  p.incident = std::move(i);
  return p;
}

Plan onTick(const Incident& open, const Circumstances& cx, bool flapping_now) {
  Plan p;
  if (!open.open || open.kind == IncidentKind::Agents) {
    return p;
  }
  const auto& cfg = cx.config;
  Incident i = open;
  bool changed = false;

  if (i.flapping && !flapping_now) {
    i.flapping = false;
    changed = true;
    const std::string summary =
        i.service + " stopped flapping, now " + std::string(toString(i.status)) + where(i);
    p.events.push_back({"flapping-stopped", "", summary});
    if (i.notified) {
      i.last_notified_at = cx.now;
      toNotified(p, i, cfg, "flapping-stopped-" + std::to_string(i.transitions), i.status, summary);
    }
  }

  if (!i.notified) {
    // Held back when it opened: a silence that ended or a dependency that recovered lets it go.
    if (heldBack(i, cx).empty() && i.status != HealthStatus::Healthy) {
      p.events.push_back(
          {"released", "",
           i.silenced_by ? "silence ended"
                         : (!i.root_cause.empty() ? "dependency " + i.root_cause + " no longer down"
                                                  : "now notifiable")});
      firstNotice(p, i, cfg, "late-" + std::to_string(i.transitions), i.status, problemSummary(i),
                  cx.now);
      p.incident = std::move(i);
      return p;
    }
    if (changed) {
      p.incident = std::move(i);
    }
    return p;
  }

  if (i.acked_at) {
    if (changed) {
      p.incident = std::move(i);
    }
    return p;  // acknowledged: no escalation, no reminders
  }
  // A silence that started after the notice also quiets escalation and reminders.
  if (cx.silence) {
    if (changed) {
      p.incident = std::move(i);
    }
    return p;
  }

  const auto delay = std::chrono::seconds{cfg.escalation_delay_seconds};
  const int channels = static_cast<int>(cfg.channels.size());
  if (delay.count() > 0 && i.level + 1 < channels && i.level_at && cx.now - *i.level_at >= delay) {
    ++i.level;
    i.level_at = cx.now;
    i.last_notified_at = cx.now;
    const auto& ch = cfg.channels[static_cast<std::size_t>(i.level)];
    const std::string summary = "unacknowledged for " +
                                std::to_string(cfg.escalation_delay_seconds) +
                                "s: " + problemSummary(i);
    p.notify.push_back({ch, "escalation-" + std::to_string(i.level), i.status, i.status, summary});
    p.events.push_back({"escalated", ch, summary});
    p.incident = std::move(i);
    return p;
  }

  const auto window = std::chrono::seconds{cfg.suppression_window_seconds};
  if (window.count() > 0 && i.last_notified_at && cx.now - *i.last_notified_at >= window) {
    ++i.reminders;
    i.last_notified_at = cx.now;
    const std::string summary =
        "still " + std::string(toString(i.status)) + ": " + problemSummary(i);
    p.events.push_back({"reminder", "", summary});
    toNotified(p, i, cfg, "reminder-" + std::to_string(i.reminders), i.status, summary);
    changed = true;
  }
  if (changed) {
    p.incident = std::move(i);
  }
  return p;
}

Plan onAck(const Incident& open, const std::string& by, SystemTime now) {
  Plan p;
  if (!open.open || open.acked_at) {
    return p;
  }
  Incident i = open;
  i.acked_at = now;
  i.acked_by = by;
  p.events.push_back({"acked", "", by});
  p.incident = std::move(i);
  return p;
}

}  // namespace vitals::hub::alerts
