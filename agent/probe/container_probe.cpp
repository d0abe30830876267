#include "agent/probe/container_probe.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "agent/probe/blocking_probe.hpp"
#include "agent/probe/socket_io.hpp"

namespace vitals::agent {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using json = nlohmann::json;

constexpr std::size_t kMaxInspect = 4 << 20;  // inspect JSON is a few KiB

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

std::string str(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_string()) {
    return j[key].get<std::string>();
  }
  return "";
}

std::int64_t integer(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number_integer()) {
    return j[key].get<std::int64_t>();
  }
  return 0;
}

// Decodes a chunked body; nullopt when malformed.
std::optional<std::string> dechunk(std::string_view in) {
  std::string out;
  for (;;) {
    const auto eol = in.find("\r\n");
    if (eol == std::string_view::npos) {
      return std::nullopt;
    }
    std::size_t size = 0;
    try {
      size = std::stoul(std::string(in.substr(0, eol)), nullptr, 16);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    in.remove_prefix(eol + 2);
    if (size == 0) {
      return out;
    }
    if (in.size() < size + 2) {
      return std::nullopt;
    }
    out.append(in.substr(0, size));
    in.remove_prefix(size + 2);
  }
}

}  // namespace

Result<UnixHttpReply> unixHttpGet(const std::string& socket, const std::string& path,
                                  Clock& clock, SteadyTime deadline) {
  auto fd = connectUnix(socket, clock, deadline);
  if (!fd) {
    return fd.error();
  }
  const std::string request =
      "GET " + path + " HTTP/1.0\r\nHost: docker\r\nUser-Agent: vitals-agent\r\n\r\n";
  if (auto sent = sendAll(*fd, request, clock, deadline); !sent) {
    return sent.error();
  }
  std::string raw;
  for (;;) {
    auto got = receiveSome(*fd, raw, 0, clock, deadline);
    if (!got) {
      if (got.error().code == "io.closed") {
        break;
      }
      return got.error();
    }
    if (raw.size() > kMaxInspect) {
      return Error{"http.too_large", "answer larger than 4 MiB", socket};
    }
  }
  const auto head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/", 0) != 0 || head_end == std::string::npos) {
    return Error{"http.protocol", "not an HTTP answer", socket};
  }
  UnixHttpReply reply;
  const auto sp = raw.find(' ');
  try {
    reply.status = std::stoi(raw.substr(sp + 1, 3));
  } catch (const std::exception&) {
    return Error{"http.protocol", "bad status line", socket};
  }
  const std::string head = lower(raw.substr(0, head_end));
  std::string body = raw.substr(head_end + 4);
  if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
    auto plain = dechunk(body);
    if (!plain) {
      return Error{"http.protocol", "bad chunked body", socket};
    }
    body = std::move(*plain);
  }
  reply.body = std::move(body);
  return reply;
}

ProbeOutcome evaluateContainerInspect(const ContainerCheckSpec& spec, int http_status,
                                      std::string_view body) {
  ProbeOutcome o;
  o.details["container"] = spec.name;
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (http_status == 404) {
    const std::string msg = j.is_discarded() ? "" : str(j, "message");
    return ProbeOutcome{HealthStatus::Down, {},
                        "no such container " + spec.name + (msg.empty() ? "" : ": " + msg),
                        o.details, FailureKind::Unexpected, nullptr};
  }
  if (http_status != 200 || j.is_discarded() || !j.is_object()) {
    const std::string msg = j.is_discarded() ? std::string(body.substr(0, 200)) : str(j, "message");
    return ProbeOutcome{HealthStatus::Down, {},
                        "container engine answered " + std::to_string(http_status) +
                            (msg.empty() ? "" : ": " + msg),
                        o.details, FailureKind::Error, nullptr};
  }
  const json state = j.value("State", json::object());
  const std::string status = str(state, "Status");
  std::string health;
  if (state.contains("Health") && state["Health"].is_object()) {
    health = str(state["Health"], "Status");  // Podman: "" without a health check
  }
  const auto restarts = integer(j, "RestartCount");
  const auto exit_code = integer(state, "ExitCode");
  o.details["state"] = status;
  o.details["health"] = health.empty() ? "none" : health;
  o.details["restart_count"] = std::to_string(restarts);
  if (auto image = str(j.value("Config", json::object()), "Image"); !image.empty()) {
    o.details["image"] = image;
  }
  if (state.contains("Health") && state["Health"].is_object() && !health.empty()) {
    o.details["failing_streak"] = std::to_string(integer(state["Health"], "FailingStreak"));
  }

  const std::string name = spec.name;
  if (status == "running") {
    if (health.empty() || health == "healthy") {
      o.raw_status = HealthStatus::Healthy;
      o.message = name + " is running" + (health.empty() ? "" : " and healthy");
    } else if (health == "unhealthy") {
      o.raw_status = spec.unhealthy_status;
      o.message = name + " is running but unhealthy";
    } else if (health == "starting") {
      o.raw_status = spec.starting_status;
      o.message = name + " is running, health check starting";
    } else {
      o.raw_status = HealthStatus::Unknown;
      o.message = name + " is running, health \"" + health + "\"";
    }
  } else if (status == "restarting") {
    o.raw_status = spec.unhealthy_status;
    o.message = name + " is restarting";
  } else if (status == "paused") {
    o.raw_status = HealthStatus::Degraded;
    o.message = name + " is paused";
  } else if (status == "exited" || status == "dead" || status == "stopped") {
    o.raw_status = HealthStatus::Down;
    o.details["exit_code"] = std::to_string(exit_code);
    o.message = name + " " + status + " with code " + std::to_string(exit_code);
    if (auto err = str(state, "Error"); !err.empty()) {
      o.message += ": " + err;
    }
  } else {
    o.raw_status = HealthStatus::Down;
    o.message = name + " is " + (status.empty() ? std::string("in no known state") : status);
  }
  if (spec.max_restarts && restarts > static_cast<std::int64_t>(*spec.max_restarts)) {
    o.raw_status = worst(o.raw_status, HealthStatus::Degraded);
    o.message += "; restarted " + std::to_string(restarts) + " times (max " +
                 std::to_string(*spec.max_restarts) + ")";
  }
  if (o.raw_status == HealthStatus::Down) {
    o.failure_kind = FailureKind::Unexpected;
  }
  return o;
}

std::unique_ptr<Probe> makeContainerProbe(ContainerCheckSpec spec, Clock& clock,
                                          WorkQueue& queue) {
  std::string target = spec.name + " via " + spec.socket;
  return std::make_unique<BlockingProbe>(
      "container", std::move(target),
      [spec = std::move(spec), &clock](std::chrono::milliseconds timeout) {
        const SteadyTime start = clock.steadyNow();
        // Names and ids are validated at load ([A-Za-z0-9_.-]); no escaping needed.
        auto reply =
            unixHttpGet(spec.socket, "/v1.41/containers/" + spec.name + "/json", clock,
                        start + timeout);
        const auto latency = duration_cast<microseconds>(clock.steadyNow() - start);
        if (!reply) {
          const auto& e = reply.error();
          const FailureKind kind = e.code == "io.timeout" || e.code == "connect.timeout"
                                       ? FailureKind::Timeout
                                       : FailureKind::Error;
          return ProbeOutcome::down(kind, latency,
                                    "container engine at " + spec.socket + ": " + e.message);
        }
        auto o = evaluateContainerInspect(spec, reply->status, reply->body);
        o.latency = latency;
        return o;
      },
      queue);
}

}  // namespace vitals::agent
