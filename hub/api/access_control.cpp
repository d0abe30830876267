#include "hub/api/access_control.hpp"
#include "common/text/ascii.hpp"
#include "hub/api/request_helpers.hpp"

#include <chrono>

namespace vitals::hub::api {
namespace {

using namespace std::chrono_literals;

// The token of "Bearer <token>" (scheme case-insensitive, RFC 7235); empty when absent/other.
std::string bearerToken(const std::string& header) {
  const auto space = header.find(' ');
  if (space == std::string::npos || !text::equalsAsciiNoCase(header.substr(0, space), "Bearer")) {
    return {};
  }
  auto token = header.substr(space + 1);
  while (!token.empty() && token.front() == ' ') {
    token.erase(0, 1);
  }
  while (!token.empty() && token.back() == ' ') {
    token.pop_back();
  }
  return token;
}

ApiResponse unauthorized(const std::string& message, bool token_given) {
  auto r = errorResponse(401, code::kUnauthorized, message);
  r.headers.emplace_back("WWW-Authenticate", token_given
                                                 ? R"(Bearer realm="vitals", error="invalid_token")"
                                                 : R"(Bearer realm="vitals")");
  return r;
}

ApiResponse tooManyRequests(std::chrono::seconds retry_after, const std::string& message) {
  auto r = errorResponse(429, "rate_limited", message);
  r.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  return r;
}

auth::Role roleFor(Access access) {
  switch (access) {
    case Access::Admin:
      return auth::Role::Admin;
    case Access::Operator:
    case Access::Signed:
      return auth::Role::Operator;
    default:
      return auth::Role::Readonly;
  }
}

std::string outcomeOf(int status) {
  if (status < 400) {
    return "ok";
  }
  if (status == 401 || status == 403) {
    return "denied";
  }
  return "error " + std::to_string(status);
}

}  // namespace

bool isMutating(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

PgAuditSink::PgAuditSink(store::PgPool& pool, metrics::Registry& registry,
                         std::shared_ptr<spdlog::logger> logger)
    : pool_(pool),
      failures_(registry.counter("vitals_api_audit_failures_total",
                                 "Mutating API calls whose audit row could not be written")),
      logger_(std::move(logger)) {}

void PgAuditSink::record(const audit::AuditEntry& entry, SystemTime at) {
  auto lease = pool_.acquire(5s);
  if (!lease.ok()) {
    failures_.inc();
    logger_->warn("audit row for {} {} not written: {}", entry.actor, entry.action,
                  lease.error().describe());
    return;
  }
  auto id = audit::append(lease->conn(), entry, at);
  if (!id.ok()) {
    failures_.inc();
    logger_->warn("audit row for {} {} not written: {}", entry.actor, entry.action,
                  id.error().describe());
  }
}

AccessControl::AccessControl(const Router& router, auth::Authenticator* authenticator,
                             AccessSettings settings, const Clock& clock, AuditSink& audit,
                             metrics::Registry& registry)
    : router_(router),
      authenticator_(authenticator),
      settings_(settings),
      clock_(clock),
      audit_(audit),
      per_key_(settings.per_key),
      failed_auth_(settings.failed_auth),
      registry_(registry) {
  if (authenticator_ == nullptr) {
    settings_.auth_required = false;
  }
}

ApiResponse AccessControl::refuse(const char* reason, ApiResponse response) {
  registry_
      .counter("vitals_api_refused_total",
               "API requests refused before reaching a handler, by reason",
               std::string("reason=\"") + reason + "\"")
      .inc();
  return response;
}

ApiResponse AccessControl::handle(const IncomingRequest& req) {
  const auto m = router_.match(req.method, req.raw_path);
  const Route* route = m.kind == RouteMatch::Kind::Found ? m.route : nullptr;
  // Unknown paths and methods are answered (404/405) only to a valid key.
  Access need = route != nullptr ? requiredAccess(*route) : Access::Readonly;
  if (need == Access::Metrics) {
    need = settings_.metrics_public ? Access::Public : Access::Readonly;
  }

  Caller caller;
  std::optional<ApiResponse> refusal;
  bool audit_refusal = true;
  bool signed_without_key = false;
  if (!settings_.auth_required) {
    caller.role = "admin";
  } else if (((need == Access::Signed || need == Access::Ticket) && req.authorization.empty()) ||
             need == Access::Token) {
    // No key: the handler verifies the request's signature or stream ticket (and refuses it
    // without one). Bad ones count as failed authentications of the address, like bad keys.
    if (auto wait = failed_auth_.check("ip:" + req.remote_addr, clock_.steadyNow())) {
      refusal = refuse("rate_limited", tooManyRequests(*wait,
                                                       "too many failed authentications from this "
                                                       "address; retry later"));
      audit_refusal = false;
    } else {
      signed_without_key = true;
    }
  } else if (need != Access::Public) {
    const std::string client = "ip:" + req.remote_addr;
    const std::string token = bearerToken(req.authorization);
    if (auto wait = failed_auth_.check(client, clock_.steadyNow())) {
      // Refused without looking at the key: too many failures from this address.
      refusal = refuse("rate_limited", tooManyRequests(*wait,
                                                       "too many failed authentications from this "
                                                       "address; retry later"));
      audit_refusal = false;  // so a flood cannot fill the audit log
    } else if (token.empty()) {
      (void)failed_auth_.take(client, clock_.steadyNow());
      refusal = refuse("unauthenticated",
                       unauthorized(req.authorization.empty()
                                        ? "this endpoint needs an API key: send "
                                          "\"Authorization: Bearer <key>\""
                                        : "the Authorization header must be \"Bearer <key>\"",
                                    !req.authorization.empty()));
    } else {
      auto principal = authenticator_->authenticate(token);
      if (!principal.ok()) {
        if (principal.error().code == "auth.unavailable") {
          refusal =
              refuse("unavailable", errorResponse(503, "unavailable", principal.error().message));
        } else {
          (void)failed_auth_.take(client, clock_.steadyNow());
          refusal = refuse("unauthenticated", unauthorized(principal.error().message, true));
        }
      } else {
        caller.actor = principal->actor();
        caller.role = std::string(auth::toString(principal->role));
        const auth::Role need_role = roleFor(need);
        if (!auth::roleAllows(principal->role, need_role)) {
          refusal =
              refuse("forbidden",
                     errorResponse(403, "forbidden",
                                   "this key's role (" + caller.role + ") may not " + req.method +
                                       " " + (route != nullptr ? route->pattern : req.raw_path) +
                                       "; it needs " + std::string(auth::toString(need_role))));
        } else if (auto wait = per_key_.take(caller.actor, clock_.steadyNow())) {
          refusal =
              refuse("rate_limited", tooManyRequests(*wait,
                                                     "rate limit of this API key exceeded; retry "
                                                     "after " +
                                                         std::to_string(wait->count()) + " s"));
        }
      }
    }
  }

  ApiResponse out = refusal ? std::move(*refusal)
                            : router_.dispatch(req.method, req.raw_path, req.query, req.body,
                                               caller, req.headers);
  if (signed_without_key && out.status == 401) {
    (void)failed_auth_.take("ip:" + req.remote_addr, clock_.steadyNow());
  }
  if (route != nullptr && isMutating(req.method) && (!refusal || audit_refusal)) {
    audit::AuditEntry entry;
    entry.actor = caller.actor;
    entry.action = req.method + " " + route->pattern;
    std::string target;
    entry.target = percentDecode(req.raw_path, target) ? target : req.raw_path;
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [k, v] : m.params) {
      params[k] = v;
    }
    entry.parameters_json = params.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    entry.outcome = outcomeOf(out.status);
    audit_.record(entry, clock_.now());
  }
  return out;
}

}  // namespace vitals::hub::api
