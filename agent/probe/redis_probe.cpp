#include "agent/probe/redis_probe.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "agent/probe/blocking_probe.hpp"
#include "agent/probe/socket_io.hpp"
#include "common/config/secret_file.hpp"
#include "common/net/url.hpp"

namespace vitals::agent {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

constexpr std::size_t kMaxReply = 64 * 1024;  // INFO replication is a few hundred bytes

// Sends one command and reads its reply.
Result<RespReply> roundTrip(const SocketFd& fd, const std::vector<std::string>& args, Clock& clock,
                            SteadyTime deadline) {
  if (auto sent = sendAll(fd, respCommand(args), clock, deadline); !sent) {
    return sent.error();
  }
  std::string buf;
  for (;;) {
    std::size_t used = 0;
    if (auto reply = parseRespReply(buf, used)) {
      return *reply;
    }
    if (buf.size() > kMaxReply) {
      return Error{"redis.protocol", "reply too large", ""};
    }
    if (auto got = receiveSome(fd, buf, 0, clock, deadline); !got) {
      return got.error();
    }
  }
}

ProbeOutcome ioFailure(const Error& e, microseconds latency, const std::string& step) {
  const FailureKind kind = e.code == "io.timeout" ? FailureKind::Timeout : FailureKind::Unexpected;
  return ProbeOutcome::down(kind, latency, step + ": " + e.message);
}

}  // namespace

std::string respCommand(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  }
  return out;
}

std::optional<RespReply> parseRespReply(std::string_view buffer, std::size_t& consumed) {
  const auto eol = buffer.find("\r\n");
  if (buffer.empty() || eol == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view line = buffer.substr(1, eol - 1);
  RespReply r;
  switch (buffer[0]) {
    case '+':
      r.type = RespReply::Type::Simple;
      r.text = line;
      consumed = eol + 2;
      return r;
    case '-':
      r.type = RespReply::Type::Error;
      r.text = line;
      consumed = eol + 2;
      return r;
    case ':':
      r.type = RespReply::Type::Integer;
      r.text = line;
      consumed = eol + 2;
      return r;
    case '*':
      // Only the header is read: callers of this probe never get arrays they need to look into.
      r.type = RespReply::Type::Array;
      r.text = line;
      consumed = eol + 2;
      return r;
    case '$': {
      long long len = -2;
      try {
        len = std::stoll(std::string(line));
      } catch (const std::exception&) {
      }
      if (len == -1) {
        r.type = RespReply::Type::Nil;
        consumed = eol + 2;
        return r;
      }
      if (len < 0 || len > 512LL * 1024 * 1024) {
        break;
      }
      const std::size_t need = eol + 2 + static_cast<std::size_t>(len) + 2;
      if (buffer.size() < need) {
        return std::nullopt;
      }
      r.type = RespReply::Type::Bulk;
      r.text = buffer.substr(eol + 2, static_cast<std::size_t>(len));
      consumed = need;
      return r;
    }
    default:
      break;
  }
  consumed = buffer.size();
  return RespReply{RespReply::Type::Error, "protocol error"};
}

std::string infoField(std::string_view info, std::string_view key) {
  std::size_t pos = 0;
  while (pos < info.size()) {
    auto end = info.find('\n', pos);
    if (end == std::string_view::npos) {
      end = info.size();
    }
    std::string_view line = info.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      return std::string(line.substr(key.size() + 1));
    }
    pos = end + 1;
  }
  return "";
}

Result<std::string> readSecretSource(const SecretSource& source) {
  if (!source.file.empty()) {
    return config::readSecretFile(source.file);
  }
  if (!source.env.empty()) {
    const char* v = std::getenv(source.env.c_str());
    if (v == nullptr) {
      return Error{"config.secret", "environment variable " + source.env + " is not set", ""};
    }
    return std::string(v);
  }
  return std::string();
}

std::unique_ptr<Probe> makeRedisProbe(RedisCheckSpec spec, Clock& clock, WorkQueue& queue) {
  const std::string target = net::hostPort(spec.host, spec.port);
  return std::make_unique<BlockingProbe>(
      "redis", target,
      [spec = std::move(spec), target, &clock](std::chrono::milliseconds timeout) {
        const SteadyTime start = clock.steadyNow();
        const SteadyTime deadline = start + timeout;
        auto elapsed = [&] { return duration_cast<microseconds>(clock.steadyNow() - start); };
        auto fd = connectTcp(spec.host, spec.port, clock, deadline);
        if (!fd) {
          const auto& e = fd.error();
          if (e.code == "connect.refused") {
            return ProbeOutcome::down(FailureKind::Refused, elapsed(), "connection refused");
          }
          return ProbeOutcome::down(
              e.code == "connect.timeout" ? FailureKind::Timeout : FailureKind::Refused, elapsed(),
              "cannot connect to " + target + ": " + e.message);
        }
        if (!spec.password.empty()) {
          auto password = readSecretSource(spec.password);
          if (!password) {
            return ProbeOutcome::down(FailureKind::Error, elapsed(),
                                      "password: " + password.error().message);
          }
          std::vector<std::string> auth = {"AUTH"};
          if (!spec.username.empty()) {
            auth.push_back(spec.username);
          }
          auth.push_back(*password);
          auto reply = roundTrip(*fd, auth, clock, deadline);
          if (!reply) {
            return ioFailure(reply.error(), elapsed(), "AUTH");
          }
          if (reply->type == RespReply::Type::Error) {
            return ProbeOutcome::down(FailureKind::Unexpected, elapsed(),
                                      "AUTH failed: " + reply->text);
          }
        }
        auto pong = roundTrip(*fd, {"PING"}, clock, deadline);
        if (!pong) {
          return ioFailure(pong.error(), elapsed(), "PING");
        }
        if (pong->type == RespReply::Type::Error || pong->text != "PONG") {
          // NOAUTH, LOADING, MASTERDOWN...: the server's words are the message.
          return ProbeOutcome::down(FailureKind::Unexpected, elapsed(), "PING: " + pong->text);
        }
        const auto latency = elapsed();
        ProbeOutcome o = ProbeOutcome::healthy(latency, "PONG in " + formatLatency(latency));
        o.details["target"] = target;
        if (!spec.role.empty()) {
          auto info = roundTrip(*fd, {"INFO", "replication"}, clock, deadline);
          if (!info) {
            return ioFailure(info.error(), elapsed(), "INFO replication");
          }
          if (info->type != RespReply::Type::Bulk) {
            return ProbeOutcome::down(FailureKind::Unexpected, elapsed(),
                                      "INFO replication: " + info->text);
          }
          const std::string role = infoField(info->text, "role");
          o.details["role"] = role;
          if (role == "slave") {
            o.details["master_link_status"] = infoField(info->text, "master_link_status");
          }
          if (role != spec.role) {
            return ProbeOutcome{HealthStatus::Down,
                                latency,
                                "role is " + (role.empty() ? std::string("unknown") : role) +
                                    ", expected " + spec.role,
                                o.details,
                                FailureKind::Unexpected,
                                nullptr};
          }
          o.message += ", role " + role;
        }
        return o;
      },
      queue);
}

}  // namespace vitals::agent
