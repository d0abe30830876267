#include "hub/api/service_list.hpp"

// SSE2 is part of x86-64: RapidJSON then scans strings for characters to escape 16 bytes at a time.
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/nats/subjects.hpp"
#include "common/text/glob.hpp"
#include "hub/api/cursor.hpp"
#include "hub/api/request_helpers.hpp"

namespace vitals::hub::api {
namespace {

using state::CheckState;
using state::ServiceState;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr int kCursorVersion = 2;  // history cursors are version 1

// sort=status puts the worst first: down, degraded, unknown, healthy.
std::int64_t statusRank(HealthStatus s) {
  switch (s) {
    case HealthStatus::Down:
      return 0;
    case HealthStatus::Degraded:
      return 1;
    case HealthStatus::Unknown:
      return 2;
    case HealthStatus::Healthy:
      break;
  }
  return 3;
}

std::string_view sortName(ServiceSort s) {
  switch (s) {
    case ServiceSort::Name:
      return "name";
    case ServiceSort::Status:
      return "status";
    case ServiceSort::Latency:
      return "latency";
    case ServiceSort::LastChecked:
      return "last_checked";
  }
  return "name";
}

std::optional<ServiceSort> parseSort(std::string_view s) {
  for (auto candidate :
       {ServiceSort::Name, ServiceSort::Status, ServiceSort::Latency, ServiceSort::LastChecked}) {
    if (s == sortName(candidate)) {
      return candidate;
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> sortKey(const ServiceState& s, ServiceSort sort) {
  switch (sort) {
    case ServiceSort::Name:
      return std::nullopt;
    case ServiceSort::Status:
      return statusRank(s.status);
    case ServiceSort::Latency:
      return s.latency ? std::optional<std::int64_t>(s.latency->count()) : std::nullopt;
    case ServiceSort::LastChecked:
      return s.last_checked ? std::optional<std::int64_t>(
                                  std::chrono::duration_cast<std::chrono::microseconds>(
                                      s.last_checked->time_since_epoch())
                                      .count())
                            : std::nullopt;
  }
  return std::nullopt;
}

int sign(int v) { return (v > 0) - (v < 0); }

// Order of two positions under the query's sort: the key (nulls last either way), then the name
// ascending (descending too when sorting by name).
int compare(const ServicePosition& a, const ServicePosition& b, const ServiceListQuery& q) {
  const int direction = q.descending ? -1 : 1;
  if (q.sort == ServiceSort::Name) {
    return direction * sign(a.name.compare(b.name));
  }
  if (a.key.has_value() != b.key.has_value()) {
    return a.key ? -1 : 1;
  }
  if (a.key && *a.key != *b.key) {
    return direction * (*a.key < *b.key ? -1 : 1);
  }
  return sign(a.name.compare(b.name));
}

ServicePosition positionOf(const ServiceState& s, ServiceSort sort) {
  return {sortKey(s, sort), s.name};
}

bool matches(const ServiceState& s, const ServiceListQuery& q,
             const registry::ServiceRegistry::Snapshot* registry) {
  if (!q.statuses.empty() &&
      std::find(q.statuses.begin(), q.statuses.end(), s.status) == q.statuses.end()) {
    return false;
  }
  if (!q.name_glob.empty() && !text::globMatch(q.name_glob, s.name)) {
    return false;
  }
  if (!q.agent.empty() && std::none_of(s.checks.begin(), s.checks.end(), [&](const CheckState& c) {
        return c.agent_id == q.agent;
      })) {
    return false;
  }
  if (!q.tag.empty()) {
    const auto* meta = registry != nullptr ? registry->find(s.name) : nullptr;
    if (meta == nullptr || !std::binary_search(meta->tags.begin(), meta->tags.end(), q.tag)) {
      return false;
    }
  }
  if (!q.type.empty() && registry::factsOf(s).type != q.type) {
    return false;
  }
  return true;
}

std::optional<ServicePosition> decodeServiceCursor(const std::string& text,
                                                   const ServiceListQuery& q) {
  const auto raw = base64UrlDecode(text);
  if (!raw) {
    return std::nullopt;
  }
  const auto j = nlohmann::json::parse(*raw, nullptr, false);
  if (!j.is_array() || j.size() != 5 || j[0] != kCursorVersion || !j[1].is_string() ||
      !j[2].is_boolean() || !(j[3].is_null() || j[3].is_number_integer()) || !j[4].is_string()) {
    return std::nullopt;
  }
  if (j[1].get<std::string>() != sortName(q.sort) || j[2].get<bool>() != q.descending) {
    return std::nullopt;
  }
  ServicePosition p;
  if (!j[3].is_null()) {
    p.key = j[3].get<std::int64_t>();
  }
  p.name = j[4].get<std::string>();
  return p;
}

void writeTime(Writer& w, const std::optional<SystemTime>& t) {
  if (t) {
    const std::string s = formatRfc3339(*t);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  } else {
    w.Null();
  }
}

void writeString(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void writeAge(Writer& w, const std::optional<SystemTime>& then, SystemTime now) {
  if (!then) {
    w.Null();
    return;
  }
  w.Int64(now <= *then ? 0 : std::chrono::duration_cast<std::chrono::seconds>(now - *then).count());
}

void writeLatency(Writer& w, std::optional<std::chrono::microseconds> latency) {
  if (latency) {
    w.Double(static_cast<double>(latency->count()) / 1000.0);
  } else {
    w.Null();
  }
}

// The fields of docs/openapi.yaml's Check and Service schemas. Strings in HubState come from
// decoded protobuf messages, which are valid UTF-8 (the agent's codec replaces bad bytes).
void writeCheck(Writer& w, const CheckState& c, SystemTime now) {
  w.StartObject();
  w.Key("name");
  writeString(w, c.name);
  w.Key("kind");
  writeString(w, c.kind);
  w.Key("agent");
  writeString(w, c.agent_id);
  w.Key("status");
  writeString(w, toString(c.status));
  w.Key("latency_ms");
  writeLatency(w, c.last_checked ? std::optional(c.latency) : std::nullopt);
  w.Key("message");
  writeString(w, c.message);
  w.Key("last_checked");
  writeTime(w, c.last_checked);
  w.Key("age_seconds");
  writeAge(w, c.last_checked, now);
  w.Key("unreachable");
  w.Bool(c.unreachable);
  w.Key("stopped");
  w.Bool(c.stopped);
  w.EndObject();
}

void writeServiceFields(Writer& w, const ServiceState& s, SystemTime now) {
  w.Key("name");
  writeString(w, s.name);
  w.Key("status");
  writeString(w, toString(s.status));
  w.Key("latency_ms");
  writeLatency(w, s.latency);
  w.Key("last_checked");
  writeTime(w, s.last_checked);
  w.Key("age_seconds");
  writeAge(w, s.last_checked, now);
  w.Key("agent");
  writeString(w, s.agent);
  w.Key("checks");
  w.StartArray();
  for (const auto& c : s.checks) {
    writeCheck(w, c, now);
  }
  w.EndArray();
}

}  // namespace

Result<std::vector<HealthStatus>> statusListParam(const ApiRequest& req) {
  std::vector<HealthStatus> out;
  if (const auto* v = req.param("status")) {
    for (const auto& item : splitList(*v)) {
      const auto s = parseHealthStatus(item);
      if (!s) {
        return badParameterError("status",
                                 "expected a comma list of healthy, degraded, down, "
                                 "unknown; got \"" +
                                     item + "\"");
      }
      out.push_back(*s);
    }
  }
  return out;
}

Result<std::string> agentParam(const ApiRequest& req) {
  const auto* v = req.param("agent");
  if (v == nullptr) {
    return std::string();
  }
  if (!subjects::isValidToken(*v)) {
    return badParameterError("agent", "expected an agent id (1-128 characters of A-Z a-z 0-9 _ -)");
  }
  return *v;
}

Result<ServiceListQuery> parseServiceListQuery(const ApiRequest& req) {
  ServiceListQuery q;
  auto statuses = statusListParam(req);
  if (!statuses.ok()) {
    return statuses.error();
  }
  q.statuses = std::move(statuses.value());
  if (const auto* v = req.param("q")) {
    if (v->empty() || v->size() > 256) {
      return badParameterError("q", "expected a name glob of 1 to 256 characters ('*', '?')");
    }
    q.name_glob = *v;
  }
  auto agent = agentParam(req);
  if (!agent.ok()) {
    return agent.error();
  }
  q.agent = std::move(agent.value());
  for (const auto& [name, field] :
       {std::pair<const char*, std::string*>{"tag", &q.tag}, {"type", &q.type}}) {
    if (const auto* v = req.param(name)) {
      if (v->empty() || v->size() > 128) {
        return badParameterError(name, "expected 1 to 128 characters");
      }
      *field = *v;
    }
  }
  if (const auto* v = req.param("sort")) {
    std::string_view field = *v;
    if (!field.empty() && field.front() == '-') {
      q.descending = true;
      field.remove_prefix(1);
    }
    const auto sort = parseSort(field);
    if (!sort) {
      return badParameterError("sort",
                               "expected name, status, latency or last_checked, "
                               "optionally with a leading '-' for descending; got \"" +
                                   *v + "\"");
    }
    q.sort = *sort;
  }
  if (req.param("limit") != nullptr) {
    auto limit = limitParam(req, kMaxServicePage, kMaxServicePage);
    if (!limit.ok()) {
      return limit.error();
    }
    q.limit = limit.value();
  }
  if (const auto* v = req.param("cursor")) {
    q.after = decodeServiceCursor(*v, q);
    if (!q.after) {
      return badParameterError("cursor",
                               "not a cursor returned by this endpoint for the same "
                               "sort order");
    }
  }
  return q;
}

std::string encodeServiceCursor(const ServiceListQuery& q, const ServicePosition& last) {
  const nlohmann::json j = {kCursorVersion, std::string(sortName(q.sort)), q.descending,
                            last.key ? nlohmann::json(*last.key) : nlohmann::json(nullptr),
                            last.name};
  return base64UrlEncode(j.dump());
}

ServicePage selectServices(std::vector<std::shared_ptr<const ServiceState>> all,
                           const ServiceListQuery& q,
                           const registry::ServiceRegistry::Snapshot* registry) {
  ServicePage page;
  std::erase_if(all, [&](const auto& s) { return !matches(*s, q, registry); });
  page.total = all.size();
  if (q.sort != ServiceSort::Name || q.descending) {
    // Keys computed once per service, names compared by reference.
    std::vector<std::pair<ServicePosition, std::shared_ptr<const ServiceState>>> keyed;
    keyed.reserve(all.size());
    for (auto& s : all) {
      keyed.emplace_back(ServicePosition{sortKey(*s, q.sort), {}}, std::move(s));
    }
    const auto before = [&](const auto& a, const auto& b) {
      const ServicePosition& pa = a.first;
      const ServicePosition& pb = b.first;
      if (q.sort == ServiceSort::Name) {
        return q.descending ? a.second->name > b.second->name : a.second->name < b.second->name;
      }
      if (pa.key.has_value() != pb.key.has_value()) {
        return pa.key.has_value();
      }
      if (pa.key && *pa.key != *pb.key) {
        return q.descending ? *pa.key > *pb.key : *pa.key < *pb.key;
      }
      return a.second->name < b.second->name;
    };
    std::sort(keyed.begin(), keyed.end(), before);
    for (std::size_t i = 0; i < keyed.size(); ++i) {
      all[i] = std::move(keyed[i].second);
    }
  }
  auto first = all.begin();
  if (q.after) {
    first = std::upper_bound(all.begin(), all.end(), *q.after,
                             [&](const ServicePosition& p, const auto& s) {
                               return compare(p, positionOf(*s, q.sort), q) < 0;
                             });
  }
  auto last = all.end();
  if (q.limit && last - first > *q.limit) {
    last = first + *q.limit;
    page.next = positionOf(**(last - 1), q.sort);
  }
  page.services.assign(std::make_move_iterator(first), std::make_move_iterator(last));
  return page;
}

// The registry's fields of one service (inside its object).
void writeRegistryFields(Writer& w, const ServiceState& s,
                         const registry::ServiceRegistry::Snapshot& snapshot) {
  const registry::ServiceMeta* meta = snapshot.find(s.name);
  const registry::ServiceFacts facts = registry::factsOf(s);
  auto text = [&](const char* key, const std::string& value) {
    w.Key(key);
    if (value.empty()) {
      w.Null();
    } else {
      writeString(w, value);
    }
  };
  auto list = [&](const char* key, const std::vector<std::string>& items) {
    w.Key(key);
    w.StartArray();
    for (const auto& item : items) {
      writeString(w, item);
    }
    w.EndArray();
  };
  static const std::vector<std::string> kNone;
  text("type", facts.type);
  text("version", meta != nullptr ? meta->version : "");
  list("endpoints", facts.endpoints);
  list("container_ids", facts.containers);
  text("owner", meta != nullptr ? meta->owner : "");
  list("tags", meta != nullptr ? meta->tags : kNone);
  list("depends_on", meta != nullptr ? meta->depends_on : kNone);
  text("description", meta != nullptr ? meta->description : "");
}

std::string serviceListJson(const ServicePage& page, const ServiceListQuery& q, SystemTime now,
                            const registry::ServiceRegistry::Snapshot* registry) {
  std::size_t checks = 0;
  for (const auto& s : page.services) {
    checks += s->checks.size();
  }
  rapidjson::StringBuffer buffer;
  buffer.Reserve(256 + page.services.size() * 160 + checks * 260);
  Writer w(buffer);
  w.StartObject();
  w.Key("services");
  w.StartArray();
  for (const auto& s : page.services) {
    w.StartObject();
    writeServiceFields(w, *s, now);
    if (registry != nullptr) {
      writeRegistryFields(w, *s, *registry);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("total");
  w.Uint64(page.total);
  w.Key("next");
  if (page.next) {
    writeString(w, encodeServiceCursor(q, *page.next));
  } else {
    w.Null();
  }
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string serviceJsonText(const ServiceState& s, SystemTime now, std::string_view extra,
                            const registry::ServiceRegistry::Snapshot* registry) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  writeServiceFields(w, s, now);
  if (registry != nullptr) {
    writeRegistryFields(w, s, *registry);
  }
  w.EndObject();
  std::string out(buffer.GetString(), buffer.GetSize());
  if (!extra.empty()) {
    out.pop_back();  // '}'
    out.append(",").append(extra).append("}");
  }
  return out;
}

}  // namespace vitals::hub::api
