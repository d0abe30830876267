#include "hub/notify/message_format.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "common/time/clock.hpp"

namespace vitals::hub::notify {
namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// Header values must not break out of their line.
std::string oneLine(std::string s) {
  for (auto& c : s) {
    if (c == '\r' || c == '\n') {
      c = ' ';
    }
  }
  return s;
}

// Slack mrkdwn: &, < and > are the only characters that must be escaped.
std::string slackEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const char* emoji(const std::string& status) {
  if (status == "healthy") {
    return ":large_green_circle:";
  }
  if (status == "degraded") {
    return ":large_yellow_circle:";
  }
  if (status == "down") {
    return ":red_circle:";
  }
  return ":white_circle:";
}

}  // namespace

std::string headline(const Notification& n) {
  std::string out = "[" + upper(n.to_status) + "] " + n.service + ": " + n.from_status + " -> " +
                    n.to_status;
  if (!n.summary.empty()) {
    out += ": " + n.summary;
  }
  return out;
}

std::string webhookBody(const Notification& n) { return toJson(n).dump(); }

nlohmann::json slackMessage(const Notification& n) {
  const std::string text = slackEscape(headline(n));
  const std::string detail = std::string(emoji(n.to_status)) + " *" + slackEscape(n.service) +
                             "* is *" + slackEscape(n.to_status) + "* (was " +
                             slackEscape(n.from_status) + ")" +
                             (n.summary.empty() ? "" : "\n" + slackEscape(n.summary));
  return {{"text", text},
          {"blocks",
           {{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", detail}}}},
            {{"type", "context"},
             {"elements",
              {{{"type", "mrkdwn"},
                {"text", "incident " + slackEscape(n.incident) + " · " + formatRfc3339(n.at)}}}}}}}};
}

std::string rfc5322Date(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string emailMessage(const Notification& n, const std::string& from,
                         const std::vector<std::string>& to,
                         std::chrono::system_clock::time_point date) {
  std::string to_list;
  for (const auto& t : to) {
    to_list += (to_list.empty() ? "" : ", ") + t;
  }
  // The key is made of tokens and ':'; keep Message-ID's local part to safe characters.
  std::string id;
  for (char c : n.idempotencyKey()) {
    id += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '.';
  }
  std::string m;
  m += "From: " + oneLine(from) + "\r\n";
  m += "To: " + oneLine(to_list) + "\r\n";
  m += "Subject: " + oneLine(headline(n)) + "\r\n";
  m += "Date: " + rfc5322Date(date) + "\r\n";
  m += "Message-ID: <" + id + "@vitals>\r\n";
  m += "X-Vitals-Idempotency-Key: " + oneLine(n.idempotencyKey()) + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "\r\n";
  m += "Service:    " + n.service + "\r\n";
  m += "Status:     " + n.to_status + " (was " + n.from_status + ")\r\n";
  m += "At:         " + formatRfc3339(n.at) + "\r\n";
  m += "Incident:   " + n.incident + "\r\n";
  m += "Transition: " + n.transition + "\r\n";
  if (!n.summary.empty()) {
    m += "\r\n" + oneLine(n.summary) + "\r\n";
  }
  return m;
}

}  // namespace vitals::hub::notify
