#include "hub/notify/curl_notifiers.hpp"

#include <curl/curl.h>

#include <cstring>

#include "hub/notify/message_format.hpp"
#include "hub/notify/signing.hpp"

namespace vitals::hub::notify {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct CurlHandle {
  CURL* h = curl_easy_init();
  curl_slist* list = nullptr;
  ~CurlHandle() {
    curl_slist_free_all(list);
    curl_easy_cleanup(h);
  }
  void header(const std::string& line) { list = curl_slist_append(list, line.c_str()); }
};

std::size_t discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

struct Upload {
  const std::string* data;
  std::size_t pos = 0;
};

std::size_t readUpload(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const std::size_t len = std::min(size * n, u->data->size() - u->pos);
  std::memcpy(buf, u->data->data() + u->pos, len);
  u->pos += len;
  return len;
}

void setCommon(CURL* h, std::chrono::milliseconds timeout, char* errbuf) {
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,smtp,smtps");
}

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start,
                                std::chrono::steady_clock::time_point end) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(end - start);
}

DeliveryOutcome postJson(const std::string& url, const std::string& body, const Headers& extra,
                         std::chrono::milliseconds timeout, const Clock& clock) {
  DeliveryOutcome out;
  CurlHandle c;
  if (c.h == nullptr) {
    out.error = "curl_easy_init failed";
    return out;
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  setCommon(c.h, timeout, errbuf);
  c.header("Content-Type: application/json");
  c.header("Expect:");  // no 100-continue round trip
  for (const auto& [k, v] : extra) {
    c.header(k + ": " + v);
  }
  curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.h, CURLOPT_HTTPHEADER, c.list);
  curl_easy_setopt(c.h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c.h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(c.h, CURLOPT_USERAGENT, "vitals-hub/" VITALS_VERSION);
  const auto start = clock.steadyNow();
  const CURLcode rc = curl_easy_perform(c.h);
  out.duration = since(start, clock.steadyNow());
  if (rc != CURLE_OK) {
    out.error = std::string(curl_easy_strerror(rc)) + (errbuf[0] != 0 ? ": " + std::string(errbuf) : "");
    return out;
  }
  long status = 0;
  curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &status);
  out.http_status = static_cast<int>(status);
  if (status >= 200 && status < 300) {
    out.delivered = true;
    return out;
  }
  out.retryable = retryableHttpStatus(out.http_status);
  out.error = "HTTP " + std::to_string(status);
  return out;
}

std::int64_t unixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

CurlGlobal::CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
CurlGlobal::~CurlGlobal() { curl_global_cleanup(); }

bool retryableHttpStatus(int status) {
  return status == 408 || status == 429 || status >= 500 || status < 200;
}

WebhookNotifier::WebhookNotifier(ChannelSettings channel, std::chrono::milliseconds timeout,
                                 const Clock& clock)
    : channel_(std::move(channel)), timeout_(timeout), clock_(clock) {}

DeliveryOutcome WebhookNotifier::send(const Notification& n) {
  const std::string body = webhookBody(n);
  auto headers =
      signingHeaders(channel_.secret, channel_.previous_secret, unixSeconds(clock_.now()), body);
  headers.emplace_back("Idempotency-Key", n.idempotencyKey());
  return postJson(channel_.url, body, headers, timeout_, clock_);
}

SlackNotifier::SlackNotifier(ChannelSettings channel, std::chrono::milliseconds timeout,
                             const Clock& clock)
    : channel_(std::move(channel)), timeout_(timeout), clock_(clock) {}

DeliveryOutcome SlackNotifier::send(const Notification& n) {
  return postJson(channel_.url, slackMessage(n).dump(), {{"Idempotency-Key", n.idempotencyKey()}},
                  timeout_, clock_);
}

EmailNotifier::EmailNotifier(ChannelSettings channel, std::chrono::milliseconds timeout,
                             const Clock& clock)
    : channel_(std::move(channel)), timeout_(timeout), clock_(clock) {}

DeliveryOutcome EmailNotifier::send(const Notification& n) {
  DeliveryOutcome out;
  CurlHandle c;
  if (c.h == nullptr) {
    out.error = "curl_easy_init failed";
    return out;
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  setCommon(c.h, timeout_, errbuf);
  const std::string message = emailMessage(n, channel_.from, channel_.to, clock_.now());
  Upload upload{&message};
  curl_slist* rcpt = nullptr;
  for (const auto& t : channel_.to) {
    rcpt = curl_slist_append(rcpt, ("<" + t + ">").c_str());
  }
  const std::string mail_from = "<" + channel_.from + ">";
  curl_easy_setopt(c.h, CURLOPT_URL, channel_.smtp_url.c_str());
  curl_easy_setopt(c.h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c.h, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c.h, CURLOPT_READFUNCTION, readUpload);
  curl_easy_setopt(c.h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c.h, CURLOPT_UPLOAD, 1L);
  if (channel_.starttls) {
    curl_easy_setopt(c.h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  }
  if (!channel_.username.empty()) {
    curl_easy_setopt(c.h, CURLOPT_USERNAME, channel_.username.c_str());
    curl_easy_setopt(c.h, CURLOPT_PASSWORD, channel_.password.c_str());
  }
  const auto start = clock_.steadyNow();
  const CURLcode rc = curl_easy_perform(c.h);
  out.duration = since(start, clock_.steadyNow());
  long reply = 0;
  curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &reply);
  curl_slist_free_all(rcpt);
  if (rc == CURLE_OK) {
    out.delivered = true;
    return out;
  }
  out.error = std::string(curl_easy_strerror(rc)) +
              (errbuf[0] != 0 ? ": " + std::string(errbuf) : "") +
              (reply != 0 ? " (SMTP " + std::to_string(reply) + ")" : "");
  out.retryable = !(reply >= 500 && reply < 600);
  return out;
}

std::unique_ptr<Notifier> makeNotifier(const ChannelSettings& channel,
                                       std::chrono::milliseconds timeout, const Clock& clock) {
  switch (channel.type) {
    case ChannelType::Webhook:
      return std::make_unique<WebhookNotifier>(channel, timeout, clock);
    case ChannelType::Slack:
      return std::make_unique<SlackNotifier>(channel, timeout, clock);
    case ChannelType::Email:
      return std::make_unique<EmailNotifier>(channel, timeout, clock);
  }
  return nullptr;
}

}  // namespace vitals::hub::notify
