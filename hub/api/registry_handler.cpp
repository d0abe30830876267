#include "hub/api/registry_handler.hpp"

#include <algorithm>
#include <regex>

#include "common/nats/subjects.hpp"
#include "hub/api/request_helpers.hpp"
#include "hub/api/services_handler.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxOwner = 200;
constexpr std::size_t kMaxVersion = 100;
constexpr std::size_t kMaxDescription = 2000;
constexpr std::size_t kMaxTags = 50;
constexpr std::size_t kMaxDefinition = 16 * 1024;

json timeOrNull(const std::optional<SystemTime>& t) {
  return t ? json(formatRfc3339(*t)) : json(nullptr);
}

bool validTag(const std::string& tag) {
  static const std::regex kTag("[A-Za-z0-9_.:=-]{1,64}");
  return std::regex_match(tag, kTag);
}

json checkJson(const registry::ApiCheckRow& c) {
  json definition = json::parse(c.definition, nullptr, false);
  return {{"agent", c.agent_id},
          {"name", c.name},
          {"service", c.service},
          {"kind", c.kind},
          {"definition", definition.is_discarded() ? json::object() : definition},
          {"state", c.state},
          {"error", c.error.empty() ? json(nullptr) : json(c.error)},
          {"created_at", formatRfc3339(c.created_at)},
          {"created_by", c.created_by},
          {"updated_at", formatRfc3339(c.updated_at)},
          {"updated_by", c.updated_by},
          {"applied_at", timeOrNull(c.applied_at)}};
}

// "url: must be ..." -> "url" (the agent's loader puts the key first); "" when there is none.
std::string fieldOf(const std::string& message) {
  const auto colon = message.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 64) {
    return "";
  }
  const std::string key = message.substr(0, colon);
  return std::all_of(key.begin(), key.end(),
                     [](char ch) {
                       return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ||
                              ch == '.' || ch == '[' || ch == ']';
                     })
             ? key
             : "";
}

Result<std::vector<std::string>> stringList(const json& body, const std::string& key,
                                            std::size_t max_items) {
  std::vector<std::string> out;
  const json& v = body.at(key);
  if (!v.is_array()) {
    return Error{key, "must be an array of strings", {}};
  }
  if (v.size() > max_items) {
    return Error{key, "at most " + std::to_string(max_items) + " items", {}};
  }
  for (const auto& item : v) {
    if (!item.is_string()) {
      return Error{key, "must be an array of strings", {}};
    }
    out.push_back(item.get<std::string>());
  }
  return registry::normalised(std::move(out));
}

}  // namespace

ApiResponse invalidField(const std::string& field, const std::string& why) {
  ApiResponse r = errorResponse(422, "invalid_field", field + ": " + why);
  r.body["error"]["field"] = field;
  return r;
}

void addRegistryFields(json& out, const state::ServiceState* service,
                       const registry::ServiceMeta* meta) {
  const registry::ServiceFacts facts =
      service != nullptr ? registry::factsOf(*service) : registry::ServiceFacts{};
  out["type"] = facts.type.empty() ? json(nullptr) : json(facts.type);
  out["version"] = meta != nullptr && !meta->version.empty() ? json(meta->version) : json(nullptr);
  out["endpoints"] = facts.endpoints;
  out["container_ids"] = facts.containers;
  out["owner"] = meta != nullptr && !meta->owner.empty() ? json(meta->owner) : json(nullptr);
  out["tags"] = meta != nullptr ? meta->tags : std::vector<std::string>{};
  out["depends_on"] = meta != nullptr ? meta->depends_on : std::vector<std::string>{};
  out["description"] =
      meta != nullptr && !meta->description.empty() ? json(meta->description) : json(nullptr);
}

std::optional<std::pair<std::string, std::string>> checkDefinitionProblem(const json& d) {
  auto str = [&](const char* key) -> const std::string* {
    auto it = d.find(key);
    return it != d.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  const std::string* name = str("name");
  if (name == nullptr) {
    return std::pair{"name", d.contains("name") ? "must be a string" : "is required"};
  }
  if (!subjects::isValidToken(*name)) {
    return std::pair{"name", "must contain only letters, digits, '_' and '-' (1-128)"};
  }
  if (d.contains("service")) {
    const std::string* service = str("service");
    if (service == nullptr || !subjects::isValidToken(*service)) {
      return std::pair{"service", "must contain only letters, digits, '_' and '-' (1-128)"};
    }
  }
  const std::string* kind = str("kind");
  if (kind == nullptr) {
    return std::pair{"kind", "is required (http or tcp)"};
  }
  if (*kind != "http" && *kind != "tcp") {
    return std::pair{"kind", "\"" + *kind +
                                 "\" cannot be managed through the API (only http and tcp, "
                                 "whose targets pass the SSRF guard)"};
  }
  if (auto it = d.find("restrict_targets"); it != d.end() && *it != json(true)) {
    return std::pair{"restrict_targets", "is always true for a check managed through the API"};
  }
  if (*kind == "http") {
    const std::string* url = str("url");
    if (url == nullptr) {
      return std::pair{"url", "is required for kind http"};
    }
    if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
      return std::pair{"url", "must be an http:// or https:// URL"};
    }
  } else {
    if (str("host") == nullptr) {
      return std::pair{"host", "is required for kind tcp"};
    }
    auto port = d.find("port");
    if (port == d.end() || !port->is_number_integer() || port->get<std::int64_t>() < 1 ||
        port->get<std::int64_t>() > 65535) {
      return std::pair{"port", "must be an integer from 1 to 65535"};
    }
  }
  if (d.dump().size() > kMaxDefinition) {
    return std::pair{"definition", "at most 16 KiB of JSON"};
  }
  return std::nullopt;
}

ApiResponse RegistryHandler::putService(const ApiRequest& req) const {
  const std::string& name = req.path_params.at("name");
  if (!subjects::isValidToken(name)) {
    return badRequest("service name: 1-128 characters of A-Z a-z 0-9 _ -");
  }
  auto body = jsonObjectBody(req);
  if (!body.ok()) {
    return errorFrom(body.error());
  }
  registry::ServiceMeta m;
  m.name = name;
  m.updated_by = req.actor;
  for (const auto& [key, value] : body->items()) {
    if (key == "owner" || key == "version" || key == "description") {
      const std::size_t max = key == "owner"     ? kMaxOwner
                              : key == "version" ? kMaxVersion
                                                 : kMaxDescription;
      if (!value.is_string()) {
        return invalidField(key, "must be a string");
      }
      const auto& text = value.get_ref<const std::string&>();
      if (text.size() > max) {
        return invalidField(key, "at most " + std::to_string(max) + " bytes");
      }
      (key == "owner" ? m.owner : key == "version" ? m.version : m.description) = text;
    } else if (key == "tags" || key == "depends_on") {
      auto list = stringList(*body, key, kMaxTags);
      if (!list.ok()) {
        return invalidField(key, list.error().message);
      }
      for (const auto& item : list.value()) {
        if (key == "tags" && !validTag(item)) {
          return invalidField(key, "\"" + item + "\" is not a tag (1-64 of A-Z a-z 0-9 _ . : = -)");
        }
        if (key == "depends_on" && !subjects::isValidToken(item)) {
          return invalidField(key, "\"" + item + "\" is not a service name");
        }
        if (key == "depends_on" && item == name) {
          return invalidField(key, "a service cannot depend on itself");
        }
      }
      (key == "tags" ? m.tags : m.depends_on) = std::move(list.value());
    } else {
      return invalidField(key, "unknown field (owner, tags, depends_on, version, description)");
    }
  }
  auto stored = store_.putMeta(m, clock_.now());
  if (!stored.ok()) {
    return storeError(stored.error());
  }
  registry_.put(stored.value());
  auto service = state_.service(name);
  json out = service ? json{{"name", name}, {"status", std::string(toString(service->status))}}
                     : json{{"name", name}, {"status", nullptr}};
  addRegistryFields(out, service ? &*service : nullptr, &stored.value());
  out["updated_at"] = timeOrNull(stored->updated_at);
  out["updated_by"] = stored->updated_by;
  return jsonResponse(std::move(out));
}

Result<std::string> RegistryHandler::knownAgent(const ApiRequest& req, ApiResponse& refusal) const {
  const std::string& id = req.path_params.at("id");
  if (!subjects::isValidToken(id)) {
    refusal = badRequest("agent id: 1-128 characters of A-Z a-z 0-9 _ -");
    return Error{"refused", "", {}};
  }
  auto agents = reads_.agents();
  if (!agents.ok()) {
    refusal = storeError(agents.error());
    return Error{"refused", "", {}};
  }
  if (std::none_of(agents->begin(), agents->end(),
                   [&](const store::AgentRecord& a) { return a.agent_id == id; })) {
    refusal = errorResponse(404, "not_found", "no agent \"" + id + "\"");
    return Error{"refused", "", {}};
  }
  return id;
}

ApiResponse RegistryHandler::listChecks(const ApiRequest& req) const {
  ApiResponse refusal;
  auto agent = knownAgent(req, refusal);
  if (!agent.ok()) {
    return refusal;
  }
  auto rows = store_.checks(agent.value());
  if (!rows.ok()) {
    return storeError(rows.error());
  }
  json out = json::array();
  for (const auto& r : rows.value()) {
    out.push_back(checkJson(r));
  }
  return jsonResponse({{"agent", agent.value()}, {"checks", std::move(out)}});
}

ApiResponse RegistryHandler::storeCheck(const ApiRequest& req, json definition,
                                        bool create_only) const {
  ApiResponse refusal;
  auto agent = knownAgent(req, refusal);
  if (!agent.ok()) {
    return refusal;
  }
  if (auto problem = checkDefinitionProblem(definition)) {
    return invalidField(problem->first, problem->second);
  }
  const std::string name = definition.at("name").get<std::string>();
  const std::string text = definition.dump();
  // The agent's own loader and guard judge it too when the agent answers now.
  bool validated_by_agent = false;
  auto verdict = sync_.validate(agent.value(), name, text);
  if (verdict.ok()) {
    if (!verdict->applied) {
      const std::string field = fieldOf(verdict->error);
      return invalidField(field.empty() ? "definition" : field,
                          field.empty() ? verdict->error : verdict->error.substr(field.size() + 2));
    }
    validated_by_agent = true;
  } else if (verdict.error().code == "agent.rejected") {
    return invalidField("agent",
                        "the agent does not take checks from the hub: " + verdict.error().message);
  }
  registry::ApiCheckRow row;
  row.agent_id = agent.value();
  row.name = name;
  row.service = definition.value("service", name);
  row.kind = definition.at("kind").get<std::string>();
  row.definition = text;
  row.created_by = req.actor;
  row.updated_by = req.actor;
  auto stored = store_.putCheck(row, create_only, clock_.now());
  if (!stored.ok()) {
    if (stored.error().code == "conflict") {
      return errorResponse(409, "conflict", stored.error().message);
    }
    return storeError(stored.error());
  }
  sync_.request(agent.value());
  json out = checkJson(stored.value());
  out["validated_by_agent"] = validated_by_agent;
  return jsonResponse(std::move(out), create_only ? 201 : 200);
}

ApiResponse RegistryHandler::createCheck(const ApiRequest& req) const {
  auto body = jsonObjectBody(req);
  if (!body.ok()) {
    return errorFrom(body.error());
  }
  return storeCheck(req, std::move(body.value()), true);
}

ApiResponse RegistryHandler::putCheck(const ApiRequest& req) const {
  auto body = jsonObjectBody(req);
  if (!body.ok()) {
    return errorFrom(body.error());
  }
  const std::string& name = req.path_params.at("name");
  if (auto it = body->find("name"); it != body->end() && *it != json(name)) {
    return invalidField("name", "must be \"" + name + "\" (the name in the URL) or absent");
  }
  (*body)["name"] = name;
  return storeCheck(req, std::move(body.value()), false);
}

ApiResponse RegistryHandler::deleteCheck(const ApiRequest& req) const {
  ApiResponse refusal;
  auto agent = knownAgent(req, refusal);
  if (!agent.ok()) {
    return refusal;
  }
  const std::string& name = req.path_params.at("name");
  auto done = store_.deleteCheck(agent.value(), name, req.actor, clock_.now());
  if (!done.ok()) {
    return storeError(done.error());
  }
  if (!done.value()) {
    return errorResponse(
        404, "not_found",
        "agent \"" + agent.value() + "\" has no check \"" + name + "\" made through the API");
  }
  sync_.request(agent.value());
  return jsonResponse({{"agent", agent.value()}, {"name", name}, {"state", "deleting"}});
}

}  // namespace vitals::hub::api
