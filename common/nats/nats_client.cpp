#include "common/nats/nats_client.hpp"

#include <nats/nats.h>

#include <mutex>

namespace vitals::nats {

// The owner's connection-state callback, shared with NATS.c's threads.
class ConnectionCallbacks {
 public:
  ConnectionCallbacks(std::function<void(bool)> fn, std::function<void(const std::string&)> err)
      : fn_(std::move(fn)), err_(std::move(err)) {}
  void notify(bool up) {
    std::lock_guard lock(mu_);
    if (fn_) {
      fn_(up);
    }
  }
  void asyncError(const std::string& message) {
    std::lock_guard lock(mu_);
    if (err_) {
      err_(message);
    }
  }
  void clear() {
    std::lock_guard lock(mu_);
    fn_ = nullptr;
    err_ = nullptr;
  }

 private:
  std::mutex mu_;
  std::function<void(bool)> fn_;
  std::function<void(const std::string&)> err_;
};

namespace {

Error natsError(natsStatus s, const std::string& what, jsErrCode jerr = static_cast<jsErrCode>(0)) {
  std::string msg = what + ": " + natsStatus_GetText(s);
  if (jerr != 0) {
    msg += " (jetstream error " + std::to_string(static_cast<int>(jerr)) + ")";
  }
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0' && std::string(last) != natsStatus_GetText(s)) {
    msg += std::string(": ") + last;
  }
  std::string code = "nats.error";
  if (s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS || s == NATS_CONNECTION_CLOSED ||
      s == NATS_CONNECTION_DISCONNECTED || s == NATS_NOT_YET_CONNECTED || s == NATS_IO_ERROR ||
      s == NATS_NO_SERVER) {
    code = "nats.unavailable";
  }
  return Error{code, msg, {}};
}

struct OptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};

// NATS.c's closure: one reference to the callbacks, dropped by onClosed. The Connection holds
// another, so whichever of ~Connection and onClosed comes last frees them (NATS.c may close a
// connection by itself, e.g. after repeated authorization failures).
using CallbacksRef = std::shared_ptr<ConnectionCallbacks>;
ConnectionCallbacks& callbacksOf(void* closure) { return **static_cast<CallbacksRef*>(closure); }

void onDisconnected(natsConnection*, void* closure) { callbacksOf(closure).notify(false); }
void onReconnected(natsConnection*, void* closure) { callbacksOf(closure).notify(true); }
void onConnected(natsConnection* nc, void* closure) { onReconnected(nc, closure); }
void onAsyncError(natsConnection* nc, natsSubscription*, natsStatus err, void* closure) {
  std::string message = natsStatus_GetText(err);
  const char* last = nullptr;
  if (natsConnection_GetLastError(nc, &last) != NATS_OK && last != nullptr && *last != '\0') {
    message += std::string(": ") + last;
  }
  callbacksOf(closure).asyncError(message);
}
// The last callback NATS.c delivers for a connection: only now may the closure go.
void onClosed(natsConnection*, void* closure) { delete static_cast<CallbacksRef*>(closure); }

void onSubscriptionMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* handler = static_cast<Subscription::Handler*>(closure);
  Subscription::Message m;
  m.subject = natsMsg_GetSubject(msg);
  m.data.assign(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  if (const char* reply = natsMsg_GetReply(msg); reply != nullptr) {
    m.reply = reply;
  }
  natsMsg_Destroy(msg);
  (*handler)(m);
}

bool usesTls(const ConnectOptions& o) {
  const auto& t = o.tls;
  return t.enabled || !t.ca_file.empty() || !t.cert_file.empty() || !t.key_file.empty() ||
         !t.server_name.empty() || o.url.rfind("tls://", 0) == 0 ||
         o.url.find(",tls://") != std::string::npos;
}

Status applyTls(natsOptions* opts, const ConnectOptions& o) {
  if (!usesTls(o)) {
    return okStatus();
  }
  const auto& t = o.tls;
  if (auto s = natsOptions_SetSecure(opts, true); s != NATS_OK) {
    return natsError(s, "tls");
  }
  if (!t.ca_file.empty()) {
    if (auto s = natsOptions_LoadCATrustedCertificates(opts, t.ca_file.c_str()); s != NATS_OK) {
      return natsError(s, "tls ca_file '" + t.ca_file + "'");
    }
  }
  if (!t.cert_file.empty() || !t.key_file.empty()) {
    if (auto s = natsOptions_LoadCertificatesChain(opts, t.cert_file.c_str(), t.key_file.c_str());
        s != NATS_OK) {
      return natsError(s, "tls cert_file '" + t.cert_file + "' / key_file '" + t.key_file + "'");
    }
  }
  if (!t.server_name.empty()) {
    if (auto s = natsOptions_SetExpectedHostname(opts, t.server_name.c_str()); s != NATS_OK) {
      return natsError(s, "tls server_name");
    }
  }
  return okStatus();
}

}  // namespace

// ---- JsMessage ----

JsMessage::JsMessage(natsMsg* msg) : msg_(msg) {}
JsMessage::~JsMessage() {
  if (msg_ != nullptr) {
    natsMsg_Destroy(msg_);
  }
}
JsMessage::JsMessage(JsMessage&& other) noexcept : msg_(other.msg_) { other.msg_ = nullptr; }
JsMessage& JsMessage::operator=(JsMessage&& other) noexcept {
  if (this != &other) {
    if (msg_ != nullptr) {
      natsMsg_Destroy(msg_);
    }
    msg_ = other.msg_;
    other.msg_ = nullptr;
  }
  return *this;
}
std::string_view JsMessage::subject() const { return natsMsg_GetSubject(msg_); }
std::string_view JsMessage::data() const {
  return {natsMsg_GetData(msg_), static_cast<std::size_t>(natsMsg_GetDataLength(msg_))};
}
std::uint64_t JsMessage::numDelivered() const {
  jsMsgMetaData* md = nullptr;
  if (natsMsg_GetMetaData(&md, msg_) != NATS_OK) {
    return 0;
  }
  const auto n = md->NumDelivered;
  jsMsgMetaData_Destroy(md);
  return n;
}
std::uint64_t JsMessage::streamSeq() const {
  jsMsgMetaData* md = nullptr;
  if (natsMsg_GetMetaData(&md, msg_) != NATS_OK) {
    return 0;
  }
  const auto n = md->Sequence.Stream;
  jsMsgMetaData_Destroy(md);
  return n;
}
Status JsMessage::ack() {
  if (auto s = natsMsg_Ack(msg_, nullptr); s != NATS_OK) return natsError(s, "ack");
  return okStatus();
}
Status JsMessage::ackSync() {
  jsErrCode jerr{};
  if (auto s = natsMsg_AckSync(msg_, nullptr, &jerr); s != NATS_OK) {
    return natsError(s, "ack", jerr);
  }
  return okStatus();
}
Status JsMessage::nak() {
  if (auto s = natsMsg_Nak(msg_, nullptr); s != NATS_OK) return natsError(s, "nak");
  return okStatus();
}
Status JsMessage::term() {
  if (auto s = natsMsg_Term(msg_, nullptr); s != NATS_OK) return natsError(s, "term");
  return okStatus();
}

// ---- PullConsumer ----

PullConsumer::~PullConsumer() {
  if (sub_ != nullptr) {
    natsSubscription_Destroy(sub_);
  }
}

Result<std::vector<JsMessage>> PullConsumer::fetch(int max, std::chrono::milliseconds timeout) {
  natsMsgList list{};
  jsErrCode jerr{};
  const natsStatus s =
      natsSubscription_Fetch(&list, sub_, max, static_cast<int64_t>(timeout.count()), &jerr);
  std::vector<JsMessage> out;
  if (s == NATS_TIMEOUT) {
    natsMsgList_Destroy(&list);
    return out;
  }
  if (s != NATS_OK) {
    natsMsgList_Destroy(&list);
    return natsError(s, "fetch", jerr);
  }
  out.reserve(static_cast<std::size_t>(list.Count));
  for (int i = 0; i < list.Count; ++i) {
    out.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;  // ownership moved; natsMsgList_Destroy skips NULLs
  }
  natsMsgList_Destroy(&list);
  return out;
}

// ---- Subscription ----

Subscription::~Subscription() {
  if (sub_ != nullptr) {
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }
}

// ---- Connection ----

Result<std::unique_ptr<Connection>> Connection::connect(const ConnectOptions& o) {
  natsOptions* raw = nullptr;
  if (auto s = natsOptions_Create(&raw); s != NATS_OK) {
    return natsError(s, "options");
  }
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw);
  std::unique_ptr<Connection> conn(new Connection());
  // NATS.c calls back on its own thread, possibly after ~Connection has begun: the callbacks'
  // state lives on the heap until the closed callback (see onClosed).
  auto shared = std::make_shared<ConnectionCallbacks>(o.on_connection_change, o.on_async_error);
  auto callbacks = std::make_unique<CallbacksRef>(shared);  // NATS.c's reference

  natsStatus s = natsOptions_SetServers(opts.get(), nullptr, 0);
  s = natsOptions_SetURL(opts.get(), o.url.c_str());
  if (s != NATS_OK) {
    return natsError(s, "invalid NATS URL '" + o.url + "'");
  }
  if (!o.name.empty()) {
    natsOptions_SetName(opts.get(), o.name.c_str());
  }
  natsOptions_SetTimeout(opts.get(), o.connect_timeout.count());
  natsOptions_SetMaxReconnect(opts.get(), -1);  // forever: the bus coming back is normal
  natsOptions_SetReconnectWait(opts.get(), o.reconnect_wait.count());
  natsOptions_SetReconnectJitter(opts.get(), o.reconnect_jitter.count(),
                                 o.reconnect_jitter.count());
  natsOptions_SetRetryOnFailedConnect(opts.get(), true, onConnected, callbacks.get());
  natsOptions_SetDisconnectedCB(opts.get(), onDisconnected, callbacks.get());
  natsOptions_SetReconnectedCB(opts.get(), onReconnected, callbacks.get());
  natsOptions_SetClosedCB(opts.get(), onClosed, callbacks.get());
  natsOptions_SetErrorHandler(opts.get(), onAsyncError, callbacks.get());
  // Core publishes while disconnected are buffered by NATS.c up to this size.
  natsOptions_SetReconnectBufSize(opts.get(), 8 * 1024 * 1024);
  if (!o.credentials_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts.get(), o.credentials_file.c_str(), nullptr);
    if (s != NATS_OK) {
      return natsError(s, "credentials file '" + o.credentials_file + "'");
    }
  }
  if (!o.user.empty()) {
    natsOptions_SetUserInfo(opts.get(), o.user.c_str(), o.password.c_str());
  }
  if (!o.token.empty()) {
    natsOptions_SetToken(opts.get(), o.token.c_str());
  }
  if (!o.nkey.empty() || !o.nkey_seed_file.empty()) {
    s = natsOptions_SetNKeyFromSeed(opts.get(), o.nkey.c_str(), o.nkey_seed_file.c_str());
    if (s != NATS_OK) {
      return natsError(s, "nkey seed file '" + o.nkey_seed_file + "'");
    }
  }
  if (auto tls = applyTls(opts.get(), o); !tls.ok()) {
    return tls.error();
  }
  if (!o.inbox_prefix.empty()) {
    if (s = natsOptions_SetCustomInboxPrefix(opts.get(), o.inbox_prefix.c_str()); s != NATS_OK) {
      return natsError(s, "inbox prefix '" + o.inbox_prefix + "'");
    }
  }
  s = natsConnection_Connect(&conn->nc_, opts.get());
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
    return natsError(s, "connect to " + o.url);  // no connection: no callbacks will come
  }
  callbacks.release();  // owned by NATS.c from here (freed in onClosed)
  conn->callbacks_ = std::move(shared);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  if (s = natsConnection_JetStream(&conn->js_, conn->nc_, &jo); s != NATS_OK) {
    return natsError(s, "jetstream context");
  }
  return conn;
}

Connection::~Connection() {
  if (js_ != nullptr) {
    jsCtx_Destroy(js_);
  }
  if (callbacks_ != nullptr) {
    callbacks_->clear();  // the owner's callback may capture things that die with it
  }
  if (nc_ != nullptr) {
    // Drain-free close: callers flush what matters before destroying.
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
}

bool Connection::connected() const {
  return nc_ != nullptr && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

Status Connection::publish(const std::string& subject, std::string_view data) {
  const natsStatus s = natsConnection_Publish(nc_, subject.c_str(), data.data(),
                                              static_cast<int>(data.size()));
  if (s != NATS_OK) {
    return natsError(s, "publish " + subject);
  }
  return okStatus();
}

Status Connection::flush(std::chrono::milliseconds timeout) {
  if (auto s = natsConnection_FlushTimeout(nc_, timeout.count()); s != NATS_OK) {
    return natsError(s, "flush");
  }
  return okStatus();
}

Result<std::string> Connection::request(const std::string& subject, std::string_view data,
                                        std::chrono::milliseconds timeout) {
  natsMsg* reply = nullptr;
  const natsStatus s = natsConnection_Request(&reply, nc_, subject.c_str(), data.data(),
                                              static_cast<int>(data.size()), timeout.count());
  if (s != NATS_OK) {
    return natsError(s, "request " + subject);
  }
  std::string out(natsMsg_GetData(reply), static_cast<std::size_t>(natsMsg_GetDataLength(reply)));
  natsMsg_Destroy(reply);
  return out;
}

Result<std::unique_ptr<Subscription>> Connection::subscribe(const std::string& subject,
                                                            Subscription::Handler handler) {
  std::unique_ptr<Subscription> sub(new Subscription());
  sub->handler_ = std::move(handler);
  const natsStatus s = natsConnection_Subscribe(&sub->sub_, nc_, subject.c_str(),
                                                onSubscriptionMessage, &sub->handler_);
  if (s != NATS_OK) {
    return natsError(s, "subscribe " + subject);
  }
  return sub;
}

Status Connection::ensureStream(const StreamConfig& c) {
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  std::vector<const char*> subjects;
  for (const auto& s : c.subjects) {
    subjects.push_back(s.c_str());
  }
  sc.Name = c.name.c_str();
  sc.Subjects = subjects.data();
  sc.SubjectsLen = static_cast<int>(subjects.size());
  sc.Storage = c.file_storage ? js_FileStorage : js_MemoryStorage;
  sc.MaxAge = std::chrono::duration_cast<std::chrono::nanoseconds>(c.max_age).count();
  sc.MaxBytes = c.max_bytes;
  sc.Duplicates = std::chrono::duration_cast<std::chrono::nanoseconds>(c.duplicate_window).count();
  jsStreamInfo* si = nullptr;
  jsErrCode jerr{};
  natsStatus s = js_AddStream(&si, js_, &sc, nullptr, &jerr);
  if (s != NATS_OK && jerr == JSStreamNameExistErr) {
    s = js_UpdateStream(&si, js_, &sc, nullptr, &jerr);
  }
  if (si != nullptr) {
    jsStreamInfo_Destroy(si);
  }
  if (s != NATS_OK) {
    return natsError(s, "ensure stream " + c.name, jerr);
  }
  return okStatus();
}

Status Connection::deleteStream(const std::string& name) {
  jsErrCode jerr{};
  if (auto s = js_DeleteStream(js_, name.c_str(), nullptr, &jerr); s != NATS_OK) {
    return natsError(s, "delete stream " + name, jerr);
  }
  return okStatus();
}

Result<PubAck> Connection::jsPublish(const std::string& subject, std::string_view data,
                                     const std::string& msg_id,
                                     std::chrono::milliseconds timeout) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = msg_id.c_str();
  po.MaxWait = timeout.count();
  jsPubAck* pa = nullptr;
  jsErrCode jerr{};
  const natsStatus s = js_Publish(&pa, js_, subject.c_str(), data.data(),
                                  static_cast<int>(data.size()), &po, &jerr);
  if (s != NATS_OK) {
    if (pa != nullptr) {
      jsPubAck_Destroy(pa);
    }
    return natsError(s, "jetstream publish " + subject, jerr);
  }
  PubAck ack{pa->Sequence, pa->Duplicate};
  jsPubAck_Destroy(pa);
  return ack;
}

Result<std::unique_ptr<PullConsumer>> Connection::pullConsumer(const ConsumerConfig& c) {
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = c.durable.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.AckWait = std::chrono::duration_cast<std::chrono::nanoseconds>(c.ack_wait).count();
  cc.MaxDeliver = c.max_deliver;
  cc.MaxAckPending = c.max_ack_pending;
  cc.FilterSubject = c.filter_subject.c_str();
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr{};
  natsStatus s = js_AddConsumer(&ci, js_, c.stream.c_str(), &cc, nullptr, &jerr);
  if (ci != nullptr) {
    jsConsumerInfo_Destroy(ci);
  }
  if (s != NATS_OK) {
    // An existing durable with another config is updated rather than refused.
    ci = nullptr;
    s = js_UpdateConsumer(&ci, js_, c.stream.c_str(), &cc, nullptr, &jerr);
    if (ci != nullptr) {
      jsConsumerInfo_Destroy(ci);
    }
    if (s != NATS_OK) {
      return natsError(s, "create consumer " + c.durable, jerr);
    }
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = c.stream.c_str();
  so.Consumer = c.durable.c_str();
  natsSubscription* sub = nullptr;
  s = js_PullSubscribe(&sub, js_, c.filter_subject.c_str(), c.durable.c_str(), &jo, &so, &jerr);
  if (s != NATS_OK) {
    return natsError(s, "bind pull consumer " + c.durable, jerr);
  }
  return std::unique_ptr<PullConsumer>(new PullConsumer(sub));
}

Result<Connection::ConsumerState> Connection::consumerState(const std::string& stream,
                                                            const std::string& durable) {
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr{};
  const natsStatus s = js_GetConsumerInfo(&ci, js_, stream.c_str(), durable.c_str(), nullptr, &jerr);
  if (s != NATS_OK) {
    return natsError(s, "consumer info " + durable, jerr);
  }
  ConsumerState st{ci->NumPending, static_cast<std::uint64_t>(ci->NumAckPending),
                   ci->Delivered.Stream};
  jsConsumerInfo_Destroy(ci);
  return st;
}

}  // namespace vitals::nats
