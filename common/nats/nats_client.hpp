#pragma once
// The one wrapper around NATS.c: RAII connection (reconnects forever with jittered backoff),
// JetStream publish with message id, stream setup and a durable pull consumer. nats.h stays in
// nats_client.cpp. NATS.c calls its callbacks on its own threads: owners must hand work over
// to their own loop.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/result.hpp"

struct __natsConnection;
struct __natsSubscription;
struct __natsMsg;
struct __jsCtx;

namespace vitals::nats {

// TLS to nats-server. Enabled by any field being set, or by a tls:// URL.
struct TlsOptions {
  bool enabled = false;
  std::string ca_file;      // PEM CA bundle the server certificate must chain to
  std::string cert_file;    // client certificate (mutual TLS); needs key_file
  std::string key_file;
  std::string server_name;  // expected name in the server certificate (default: the URL host)
};

struct ConnectOptions {
  std::string url = "nats://127.0.0.1:4222";  // comma-separated list allowed
  std::string name;                            // shown in the server's connz
  std::string credentials_file;                // .creds (JWT + NKEY seed); optional
  std::string user;                            // optional user/password
  std::string password;                        // secret: never logged
  std::string token;
  // NKEY authentication: the user's public key ("U...") and the file holding its seed.
  std::string nkey;
  std::string nkey_seed_file;
  TlsOptions tls;
  // Replaces "_INBOX" for reply subjects (request replies, JetStream publish acks), e.g.
  // "_INBOX_<agent>": the server can then let each identity read only its own replies.
  std::string inbox_prefix;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds reconnect_wait{500};
  std::chrono::milliseconds reconnect_jitter{500};  // random extra per attempt: no storms
  // Called on the NATS.c thread when the connection goes up (true) or down (false).
  std::function<void(bool)> on_connection_change;
  // Called on a NATS.c thread for asynchronous errors the server reports on a live connection,
  // e.g. "Permissions Violation for Publish to ..." (the connection stays up).
  std::function<void(const std::string&)> on_async_error;
};

class Connection;
class ConnectionCallbacks;

// A message received from JetStream; acknowledges through the connection it came from.
class JsMessage {
 public:
  explicit JsMessage(__natsMsg* msg);
  ~JsMessage();
  JsMessage(JsMessage&& other) noexcept;
  JsMessage& operator=(JsMessage&& other) noexcept;
  JsMessage(const JsMessage&) = delete;
  JsMessage& operator=(const JsMessage&) = delete;

  std::string_view subject() const;
  std::string_view data() const;
  std::uint64_t numDelivered() const;  // 1 on first delivery
  std::uint64_t streamSeq() const;
  Status ack();       // fire-and-forget ack (the server may still redeliver if it is lost)
  Status ackSync();   // waits for the server's confirmation
  Status nak();
  Status term();      // never redeliver (poison message)

 private:
  __natsMsg* msg_;
};

struct StreamConfig {
  std::string name;
  std::vector<std::string> subjects;
  std::chrono::seconds max_age{std::chrono::hours{24 * 7}};
  std::int64_t max_bytes = -1;
  std::chrono::seconds duplicate_window{std::chrono::minutes{2}};
  bool file_storage = true;
};

struct ConsumerConfig {
  std::string stream;
  std::string durable;
  std::string filter_subject;
  std::chrono::milliseconds ack_wait{30000};
  std::int64_t max_deliver = -1;
  std::int64_t max_ack_pending = 20000;
};

class PullConsumer {
 public:
  ~PullConsumer();
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;
  // Up to max messages, waiting at most timeout; an empty vector when nothing is pending.
  Result<std::vector<JsMessage>> fetch(int max, std::chrono::milliseconds timeout);

 private:
  friend class Connection;
class ConnectionCallbacks;
  explicit PullConsumer(__natsSubscription* sub) : sub_(sub) {}
  __natsSubscription* sub_;
};

// A core NATS subscription; the callback runs on a NATS.c thread. Unsubscribes on destruction.
class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  struct Message {
    std::string subject;
    std::string data;
    std::string reply;
  };
  using Handler = std::function<void(const Message&)>;

 private:
  friend class Connection;
class ConnectionCallbacks;
  Subscription() = default;
  __natsSubscription* sub_ = nullptr;
  Handler handler_;
};

struct PubAck {
  std::uint64_t stream_seq = 0;
  bool duplicate = false;  // the server had this message id already (dedup window)
};

class Connection {
 public:
  // Starts connecting; with retry on, it returns at once even when the server is away and keeps
  // trying in the background.
  static Result<std::unique_ptr<Connection>> connect(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const;
  Status publish(const std::string& subject, std::string_view data);
  Status flush(std::chrono::milliseconds timeout);
  Result<std::string> request(const std::string& subject, std::string_view data,
                              std::chrono::milliseconds timeout);
  Result<std::unique_ptr<Subscription>> subscribe(const std::string& subject,
                                                  Subscription::Handler handler);

  // Creates the stream, or updates it to this config if it exists.
  Status ensureStream(const StreamConfig& config);
  Status deleteStream(const std::string& name);
  // Synchronous JetStream publish; Error code "nats.unavailable" when disconnected or the
  // stream did not answer in time (the caller keeps the message and retries later).
  Result<PubAck> jsPublish(const std::string& subject, std::string_view data,
                           const std::string& msg_id, std::chrono::milliseconds timeout);
  // Creates (or re-binds to) a durable pull consumer.
  Result<std::unique_ptr<PullConsumer>> pullConsumer(const ConsumerConfig& config);
  // Pending and ack-pending counts of a durable (for readiness, tests and benchmarks).
  struct ConsumerState {
    std::uint64_t num_pending = 0;
    std::uint64_t num_ack_pending = 0;
    std::uint64_t delivered = 0;
  };
  Result<ConsumerState> consumerState(const std::string& stream, const std::string& durable);

 private:
  Connection() = default;
  __natsConnection* nc_ = nullptr;
  __jsCtx* js_ = nullptr;
  std::shared_ptr<ConnectionCallbacks> callbacks_;  // NATS.c holds another reference
};

}  // namespace vitals::nats
