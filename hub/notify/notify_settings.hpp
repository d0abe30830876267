#pragma once
// Delivery settings (`notify:` in the hub config): the channels and how the sender retries.
// Plain values, filled by hub/config and read by the sender and the alert-config API.
#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace vitals::hub::notify {

enum class ChannelType { Webhook, Slack, Email };

struct ChannelSettings {
  std::string name;
  ChannelType type = ChannelType::Webhook;
  // webhook, slack
  std::string url;
  std::string secret;           // webhook: signs X-Vitals-Signature (secret: never logged)
  std::string previous_secret;  // webhook, during rotation: signs X-Vitals-Signature-Previous
  // email
  std::string smtp_url;  // smtp://host:port or smtps://host:port
  std::string from;
  std::vector<std::string> to;
  std::string username;   // empty = no AUTH
  std::string password;   // secret: never logged
  bool starttls = false;  // require STARTTLS on smtp://
  // false: "monitoring stopped" notices (a clean agent stop, a service left without checks)
  // are not sent on this channel.
  bool stop_notices = true;
};

struct RetryPolicy {
  std::chrono::milliseconds initial{2000};  // delay after the first failed attempt
  std::chrono::milliseconds max{std::chrono::minutes{5}};
  int max_attempts = 10;  // then the row is marked failed
};

struct NotifySettings {
  std::map<std::string, ChannelSettings> channels;
  std::chrono::milliseconds timeout{10000};      // per attempt (connect + transfer)
  std::chrono::milliseconds poll_interval{500};  // how often an idle channel looks for work
  RetryPolicy retry;
};

}  // namespace vitals::hub::notify
