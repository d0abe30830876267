#pragma once
// What each channel sends, as pure functions (tested with fixture values; no I/O).
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hub/notify/notification.hpp"

namespace vitals::hub::notify {

// One line: "[DOWN] checkout: healthy -> down: http 503 on web-1".
std::string headline(const Notification& n);

// The generic webhook body: toJson(n), compact.
std::string webhookBody(const Notification& n);

// A Slack incoming-webhook message: `text` (fallback, notifications) and `blocks` (a section with
// mrkdwn and a context line). Slack-compatible receivers (Mattermost, Rocket.Chat) read `text`.
nlohmann::json slackMessage(const Notification& n);

// An RFC 5322 message (CRLF line ends, dot-stuffing left to the SMTP client). Message-ID and
// X-Vitals-Idempotency-Key carry the idempotency key so a re-send can be recognised.
std::string emailMessage(const Notification& n, const std::string& from,
                         const std::vector<std::string>& to,
                         std::chrono::system_clock::time_point date);

// "Tue, 03 Mar 2026 10:00:00 +0000"
std::string rfc5322Date(std::chrono::system_clock::time_point t);

}  // namespace vitals::hub::notify
