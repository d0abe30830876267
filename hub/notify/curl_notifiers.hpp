#pragma once
// The notifiers that speak HTTP and SMTP through libcurl (curl.h stays in the .cpp). Each
// instance is used by one sender thread; a CurlGlobal must exist before any of them is used.
#include <chrono>
#include <memory>

#include "common/time/clock.hpp"
#include "hub/notify/notifier.hpp"
#include "hub/notify/notify_settings.hpp"

namespace vitals::hub::notify {

// curl_global_init/cleanup, owned by the composition root (before threads start).
class CurlGlobal {
 public:
  CurlGlobal();
  ~CurlGlobal();
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
};

// Generic webhook: POST webhookBody() with the signing headers and Idempotency-Key. 2xx =
// delivered; 408, 429, 5xx and transport errors are retried; other statuses are permanent.
class WebhookNotifier final : public Notifier {
 public:
  WebhookNotifier(ChannelSettings channel, std::chrono::milliseconds timeout, const Clock& clock);
  DeliveryOutcome send(const Notification& n) override;

 private:
  ChannelSettings channel_;
  std::chrono::milliseconds timeout_;
  const Clock& clock_;
};

// Slack-compatible incoming webhook: POST slackMessage(). Same status rules as the webhook.
class SlackNotifier final : public Notifier {
 public:
  SlackNotifier(ChannelSettings channel, std::chrono::milliseconds timeout, const Clock& clock);
  DeliveryOutcome send(const Notification& n) override;

 private:
  ChannelSettings channel_;
  std::chrono::milliseconds timeout_;
  const Clock& clock_;
};

// Email over SMTP: STARTTLS required when channel.starttls, AUTH when a username is set.
// SMTP 5xx replies are permanent, everything else is retried.
class EmailNotifier final : public Notifier {
 public:
  EmailNotifier(ChannelSettings channel, std::chrono::milliseconds timeout, const Clock& clock);
  DeliveryOutcome send(const Notification& n) override;

 private:
  ChannelSettings channel_;
  std::chrono::milliseconds timeout_;
  const Clock& clock_;
};

// Builds the notifier for a configured channel.
std::unique_ptr<Notifier> makeNotifier(const ChannelSettings& channel,
                                       std::chrono::milliseconds timeout, const Clock& clock);

// HTTP status -> retry? (2xx is delivered and not asked.)
bool retryableHttpStatus(int status);

}  // namespace vitals::hub::notify
