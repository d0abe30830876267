#include "hub/api/enrollment_handler.hpp"

#include "common/time/duration_format.hpp"
#include "hub/api/request_helpers.hpp"
#include "hub/api/services_handler.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;

json labelsJson(const std::map<std::string, std::string>& labels) {
  json out = json::object();
  for (const auto& [k, v] : labels) {
    out[k] = v;
  }
  return out;
}

json tokenJson(const enroll::TokenRecord& t, SystemTime now) {
  const char* state = t.used_at ? "used" : now >= t.expires_at ? "expired" : "active";
  return {{"id", t.id},
          {"prefix", t.prefix},
          {"labels", labelsJson(t.labels)},
          {"creator", t.creator},
          {"created_at", formatRfc3339(t.created_at)},
          {"expires_at", formatRfc3339(t.expires_at)},
          {"used_at", t.used_at ? json(formatRfc3339(*t.used_at)) : json(nullptr)},
          {"used_by", t.used_at ? json(t.used_by) : json(nullptr)},
          {"state", state}};
}

json agentJson(const enroll::EnrolledAgent& a) {
  return {{"agent_id", a.agent_id},
          {"nkey", a.nkey},
          {"hostname", a.hostname},
          {"labels", labelsJson(a.labels)},
          {"enrolled_at", formatRfc3339(a.enrolled_at)},
          {"revoked_at", a.revoked_at ? json(formatRfc3339(*a.revoked_at)) : json(nullptr)}};
}

ApiResponse enrollError(const Error& e) {
  if (e.code == "enroll.malformed") {
    return badRequest(e.message);
  }
  if (e.code == "enroll.token_invalid" || e.code == "enroll.token_used" ||
      e.code == "enroll.token_expired") {
    return errorResponse(401, code::kUnauthorized, e.message);
  }
  if (e.code == "enroll.agent_exists" || e.code == "enroll.nkey_exists") {
    return errorResponse(409, code::kConflict, e.message);
  }
  if (e.code == "enroll.no_such_agent") {
    return errorResponse(404, code::kNotFound, e.message);
  }
  return storeError(e);
}

// The bus side after a committed change: "ok", or why the identity change is not live yet (the
// hub retries at its next change and at start).
json busJson(const Status& bus) {
  if (bus.ok()) {
    return {{"applied", true}};
  }
  return {{"applied", false}, {"error", bus.error().message}};
}

}  // namespace

ApiResponse EnrollmentHandler::createToken(const ApiRequest& req) const {
  json body = json::object();
  if (!req.body.empty()) {
    auto parsed = jsonObjectBody(req);
    if (!parsed.ok()) {
      return errorFrom(parsed.error());
    }
    body = parsed.value();
  }
  std::chrono::seconds ttl{3600};
  std::map<std::string, std::string> labels;
  for (const auto& [field, value] : body.items()) {
    if (field == "ttl") {
      if (!value.is_string()) {
        return badRequest("ttl: must be a duration such as \"1h\"");
      }
      const auto d = parseDuration(value.get<std::string>());
      if (!d) {
        return badRequest("ttl: must be a duration such as 30m, 1h or 7d, got \"" +
                          value.get<std::string>() + "\"");
      }
      ttl = std::chrono::duration_cast<std::chrono::seconds>(*d);
    } else if (field == "labels") {
      if (!value.is_object()) {
        return badRequest("labels: must be an object of strings, e.g. {\"site\": \"east\"}");
      }
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) {
          return badRequest("labels." + k + ": must be a string");
        }
        labels[k] = v.get<std::string>();
      }
    } else {
      return badRequest("unknown field \"" + field + "\" (allowed: ttl, labels)");
    }
  }
  auto created = enrollment_.createToken(ttl, labels, req.actor);
  if (!created.ok()) {
    return enrollError(created.error());
  }
  json out = tokenJson(created->record, clock_.now());
  out["token"] = created->token;
  return jsonResponse(out, 201);
}

ApiResponse EnrollmentHandler::listTokens(const ApiRequest&) const {
  auto tokens = store_.listTokens();
  if (!tokens.ok()) {
    return storeError(tokens.error());
  }
  const auto now = clock_.now();
  json out = json::array();
  for (const auto& t : tokens.value()) {
    out.push_back(tokenJson(t, now));
  }
  return jsonResponse({{"tokens", out}});
}

ApiResponse EnrollmentHandler::enroll(const ApiRequest& req) const {
  auto parsed = jsonObjectBody(req);
  if (!parsed.ok()) {
    return errorFrom(parsed.error());
  }
  const json& body = parsed.value();
  std::map<std::string, std::string> fields;
  for (const auto& [field, value] : body.items()) {
    if (field != "token" && field != "agent_id" && field != "nkey" && field != "hostname") {
      return badRequest("unknown field \"" + field +
                        "\" (allowed: token, agent_id, nkey, hostname)");
    }
    if (!value.is_string()) {
      return badRequest(field + ": must be a string");
    }
    fields[field] = value.get<std::string>();
  }
  for (const char* required : {"token", "agent_id", "nkey"}) {
    if (fields.count(required) == 0) {
      return badRequest(std::string(required) + ": required");
    }
  }
  auto done =
      enrollment_.enroll(fields["token"], fields["agent_id"], fields["nkey"], fields["hostname"]);
  if (!done.ok()) {
    return enrollError(done.error());
  }
  json out = agentJson(done->agent);
  out["hub_id"] = info_.hub_id;
  out["nats"] = {{"url", info_.agent_nats_url}};
  out["bus"] = busJson(done->bus);
  return jsonResponse(out, 201);
}

ApiResponse EnrollmentHandler::revoke(const ApiRequest& req) const {
  const auto it = req.path_params.find("id");
  const std::string id = it == req.path_params.end() ? std::string() : it->second;
  auto done = enrollment_.revoke(id, req.actor);
  if (!done.ok()) {
    return enrollError(done.error());
  }
  json out = agentJson(done->agent);
  out["bus"] = busJson(done->bus);
  return jsonResponse(out);
}

}  // namespace vitals::hub::api
