#include "hub/replica/state_update.hpp"

#include <nlohmann/json.hpp>

#include "common/model/codec.hpp"

namespace vitals::hub::replica {
namespace {

using json = nlohmann::json;

json binaryOf(const std::string& bytes) {
  return json::binary(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

Error decodeError(std::string message) { return Error{"replica.decode", std::move(message), {}}; }

Result<std::string> bytesOf(const json& j) {
  if (!j.is_binary()) {
    return decodeError("expected a byte string");
  }
  const auto& b = j.get_binary();
  return std::string(b.begin(), b.end());
}

Result<std::vector<std::string>> stringsOf(const json& j, const char* what) {
  if (!j.is_array()) {
    return decodeError(std::string(what) + ": expected an array");
  }
  std::vector<std::string> out;
  for (const auto& s : j) {
    if (!s.is_string()) {
      return decodeError(std::string(what) + ": expected strings");
    }
    out.push_back(s.get<std::string>());
  }
  return out;
}

}  // namespace

std::string encodeStateUpdate(const StateUpdate& u) {
  json j;
  j["o"] = u.origin;
  j["s"] = u.seq;
  j["g"] = json::array();
  for (const auto& r : u.registrations) {
    j["g"].push_back(binaryOf(codec::encodeRegistration(r)));
  }
  j["r"] = json::array();
  for (auto r : u.results) {
    r.details.clear();  // the in-memory state never reads them
    r.scan.reset();     // nor scan reports (up to 512 KiB each; stored by ingest)
    j["r"].push_back(binaryOf(codec::encodeCheckResult(r)));
  }
  j["a"] = u.alive;
  j["c"] = json::object();
  for (const auto& [service, status] : u.recorded) {
    j["c"][service] = std::string(toString(status));
  }
  if (u.unreachable) {
    j["u"] = *u.unreachable;
  }
  if (!u.stopped.empty()) {
    j["x"] = json::object();
    for (const auto& [agent, at] : u.stopped) {
      j["x"][agent] =
          std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
    }
  }
  if (!u.forgotten.empty()) {
    j["f"] = u.forgotten;
  }
  const auto bytes = json::to_cbor(j);
  return std::string(bytes.begin(), bytes.end());
}

Result<StateUpdate> decodeStateUpdate(std::string_view bytes) {
  if (bytes.size() > kMaxStateUpdateBytes) {
    return decodeError("update of " + std::to_string(bytes.size()) + " bytes is too large");
  }
  const json j = json::from_cbor(bytes.begin(), bytes.end(), true, false);
  if (j.is_discarded() || !j.is_object()) {
    return decodeError("not a CBOR map");
  }
  StateUpdate u;
  const auto origin = j.find("o");
  const auto seq = j.find("s");
  if (origin == j.end() || !origin->is_string() || origin->get<std::string>().empty()) {
    return decodeError("missing origin");
  }
  if (seq == j.end() || !seq->is_number_unsigned() || seq->get<std::uint64_t>() == 0) {
    return decodeError("missing seq");
  }
  u.origin = origin->get<std::string>();
  u.seq = seq->get<std::uint64_t>();
  if (auto g = j.find("g"); g != j.end()) {
    if (!g->is_array()) {
      return decodeError("registrations: expected an array");
    }
    for (const auto& item : *g) {
      auto b = bytesOf(item);
      if (!b.ok()) {
        return b.error();
      }
      auto reg = codec::decodeRegistration(b.value());
      if (!reg.ok()) {
        return decodeError("registration: " + reg.error().message);
      }
      u.registrations.push_back(std::move(reg.value()));
    }
  }
  if (auto r = j.find("r"); r != j.end()) {
    if (!r->is_array()) {
      return decodeError("results: expected an array");
    }
    for (const auto& item : *r) {
      auto b = bytesOf(item);
      if (!b.ok()) {
        return b.error();
      }
      auto res = codec::decodeCheckResult(b.value());
      if (!res.ok()) {
        return decodeError("result: " + res.error().message);
      }
      if (res->agent_id.empty() || res->check.empty() || res->seq == 0) {
        return decodeError("result without agent, check or seq");
      }
      u.results.push_back(std::move(res.value()));
    }
  }
  if (auto a = j.find("a"); a != j.end()) {
    auto list = stringsOf(*a, "alive");
    if (!list.ok()) {
      return list.error();
    }
    u.alive = std::move(list.value());
  }
  if (auto c = j.find("c"); c != j.end()) {
    if (!c->is_object()) {
      return decodeError("recorded: expected a map");
    }
    for (const auto& [service, status] : c->items()) {
      const auto parsed =
          status.is_string() ? parseHealthStatus(status.get<std::string>()) : std::nullopt;
      if (!parsed) {
        return decodeError("recorded: bad status for " + service);
      }
      u.recorded[service] = *parsed;
    }
  }
  if (auto un = j.find("u"); un != j.end()) {
    auto list = stringsOf(*un, "unreachable");
    if (!list.ok()) {
      return list.error();
    }
    u.unreachable = std::move(list.value());
  }
  if (auto x = j.find("x"); x != j.end()) {
    if (!x->is_object()) {
      return decodeError("stopped: expected a map");
    }
    for (const auto& [agent, at] : x->items()) {
      if (!at.is_number_integer()) {
        return decodeError("stopped: bad time for " + agent);
      }
      u.stopped[agent] = SystemTime{std::chrono::microseconds{at.get<std::int64_t>()}};
    }
  }
  if (auto f = j.find("f"); f != j.end()) {
    auto list = stringsOf(*f, "forgotten");
    if (!list.ok()) {
      return list.error();
    }
    u.forgotten = std::move(list.value());
  }
  return u;
}

}  // namespace vitals::hub::replica
