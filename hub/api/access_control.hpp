#pragma once
// The API's front door, in front of Router::dispatch: authenticates the bearer key, checks the
// route's required role (Route::access), applies the per-key rate limit, and writes an audit
// row for every mutating call (any method but GET/HEAD/OPTIONS), refused ones included. No
// sockets here: http_server.cpp turns HTTP into an IncomingRequest and back, and tests call
// handle() directly.
//
//   no/malformed/unknown/expired/revoked key   -> 401 + WWW-Authenticate: Bearer
//   valid key, role below the route's          -> 403
//   over the key's rate (or too many failed
//   authentications from one address)          -> 429 + Retry-After
//   key store unreachable                      -> 503
// Unknown paths need a valid key too (401 before 404/405), so they reveal nothing.
#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"
#include "hub/api/router.hpp"
#include "hub/audit/audit_log.hpp"
#include "hub/auth/authenticator.hpp"
#include "hub/auth/rate_limiter.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::api {

struct AccessSettings {
  // false (api.auth: disabled): every request is let through as actor "anonymous" with role
  // admin. For a hub on a trusted loopback only.
  bool auth_required = true;
  bool metrics_public = true;  // api.metrics_public
  auth::RateLimit per_key;     // api.rate_limit
  // Failed authentications per client address, so keys cannot be guessed quickly and refused
  // calls cannot flood the audit log.
  auth::RateLimit failed_auth{2, 20};
};

// Where audit rows go. record() must not throw; a failure is the sink's to log and count.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void record(const audit::AuditEntry& entry, SystemTime at) = 0;
};

// audit::append on a pooled connection. Failures are logged and counted in
// vitals_api_audit_failures_total.
class PgAuditSink final : public AuditSink {
 public:
  PgAuditSink(store::PgPool& pool, metrics::Registry& registry,
              std::shared_ptr<spdlog::logger> logger);
  void record(const audit::AuditEntry& entry, SystemTime at) override;

 private:
  store::PgPool& pool_;
  metrics::Counter& failures_;
  std::shared_ptr<spdlog::logger> logger_;
};

struct IncomingRequest {
  std::string method;
  std::string raw_path;  // still percent-encoded
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;
  std::string authorization;  // the Authorization header, empty when absent
  std::string remote_addr;
  // Every header but Authorization (ApiRequest::headers; e.g. the signature of a signed event).
  std::vector<std::pair<std::string, std::string>> headers;
};

class AccessControl {
 public:
  // authenticator may be null only when settings.auth_required is false. All references must
  // outlive this object. handle() is called from many HTTP threads at once.
  AccessControl(const Router& router, auth::Authenticator* authenticator, AccessSettings settings,
                const Clock& clock, AuditSink& audit, metrics::Registry& registry);
  ApiResponse handle(const IncomingRequest& req);

 private:
  ApiResponse refuse(const char* reason, ApiResponse response);
  const Router& router_;
  auth::Authenticator* authenticator_;
  AccessSettings settings_;
  const Clock& clock_;
  AuditSink& audit_;
  auth::RateLimiter per_key_;
  auth::RateLimiter failed_auth_;
  metrics::Registry& registry_;
};

// True for methods that change something (audited): anything but GET, HEAD and OPTIONS.
bool isMutating(const std::string& method);

}  // namespace vitals::hub::api
