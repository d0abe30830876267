#include "hub/api/keys_handler.hpp"

#include <charconv>

#include "common/time/duration_format.hpp"
#include "hub/api/request_helpers.hpp"
#include "hub/api/services_handler.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;

json optionalTime(const std::optional<SystemTime>& t) {
  return t ? json(formatRfc3339(*t)) : json(nullptr);
}

}  // namespace

json keyJson(const auth::KeyRecord& key, SystemTime now) {
  return {{"id", key.id},
          {"name", key.name},
          {"role", auth::toString(key.role)},
          {"prefix", key.prefix},
          {"creator", key.creator},
          {"created_at", formatRfc3339(key.created_at)},
          {"last_used_at", optionalTime(key.last_used_at)},
          {"expires_at", optionalTime(key.expires_at)},
          {"revoked_at", optionalTime(key.revoked_at)},
          {"state", auth::toString(auth::keyState(key, now))}};
}

ApiResponse KeysHandler::list(const ApiRequest&) const {
  auto keys = store_.list();
  if (!keys.ok()) {
    return storeError(keys.error());
  }
  const auto now = clock_.now();
  json out = json::array();
  for (const auto& k : keys.value()) {
    out.push_back(keyJson(k, now));
  }
  return jsonResponse({{"keys", out}});
}

ApiResponse KeysHandler::create(const ApiRequest& req) const {
  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return badRequest(
        "the body must be a JSON object such as {\"name\":\"ci\",\"role\":\"readonly\"}");
  }
  for (const auto& [field, value] : body.items()) {
    if (field != "name" && field != "role" && field != "expires_in") {
      return badRequest("unknown field \"" + field + "\" (allowed: name, role, expires_in)");
    }
    if (!value.is_string()) {
      return badRequest(field + ": must be a string");
    }
  }
  auth::NewKey key;
  if (!body.contains("name") || !auth::validKeyName(body["name"].get<std::string>())) {
    return badRequest("name: required, 1-64 characters without control characters");
  }
  key.name = body["name"].get<std::string>();
  if (!body.contains("role")) {
    return badRequest("role: required (admin, operator or readonly)");
  }
  const auto role = auth::parseRole(body["role"].get<std::string>());
  if (!role) {
    return badRequest("role: must be admin, operator or readonly, got \"" +
                      body["role"].get<std::string>() + "\"");
  }
  key.role = *role;
  const auto now = clock_.now();
  if (body.contains("expires_in")) {
    const auto text = body["expires_in"].get<std::string>();
    const auto d = parseDuration(text);
    if (!d || *d < std::chrono::minutes{1} || *d > std::chrono::hours{24 * 3650}) {
      return badRequest(
          "expires_in: must be a duration from 1m to 3650d such as 12h or 90d, got \"" + text +
          "\"");
    }
    key.expires_at = now + *d;
  }
  auto secret = auth::generateKey(random_);
  if (!secret.ok()) {
    return errorResponse(500, "internal", secret.error().message);
  }
  key.prefix = auth::keyPrefix(secret.value());
  key.hash = auth::hashKey(secret.value());
  key.creator = req.actor;
  auto stored = store_.insert(key, now);
  if (!stored.ok()) {
    return storeError(stored.error());
  }
  json out = keyJson(stored.value(), now);
  out["key"] = secret.value();
  return jsonResponse(out, 201);
}

ApiResponse KeysHandler::revoke(const ApiRequest& req) const {
  const auto id = idParam(req);
  if (!id.ok()) {
    return errorFrom(id.error());
  }
  auto revoked = store_.revoke(id.value(), clock_.now());
  if (!revoked.ok()) {
    if (revoked.error().code == "auth.no_such_key") {
      return errorResponse(404, "not_found", revoked.error().message);
    }
    return storeError(revoked.error());
  }
  if (on_revoked_) {
    on_revoked_();
  }
  return jsonResponse(keyJson(revoked.value(), clock_.now()));
}

}  // namespace vitals::hub::api
