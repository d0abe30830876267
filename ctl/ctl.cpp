#include "ctl/ctl.hpp"

#include <algorithm>

#include "common/time/duration_format.hpp"
#include "ctl/ctl_format.hpp"

namespace vitals::ctl {
namespace {

using nlohmann::json;

constexpr int kPageSize = 1000;

// RFC 3339 as given, or "2h" -> now - 2h.
std::string resolveTime(const std::string& text, const Clock& clock) {
  if (auto ago = parseDuration(text)) {
    return formatRfc3339(clock.now() - *ago);
  }
  return text;
}

void print(std::ostream& out, const json& body) { out << body.dump(2) << "\n"; }

int fail(std::ostream& err, const Error& e) {
  err << "vitalsctl: " << e.message << "\n";
  return 1;
}

}  // namespace

std::string urlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

int runCtl(const CtlArgs& args, HubApi& api, const Clock& clock, std::ostream& out,
           std::ostream& err) {
  switch (args.command) {
    case Command::Status: {
      auto body = api.get("/api/v1/services" + args.services_query);
      if (!body.ok()) {
        return fail(err, body.error());
      }
      if (args.output == Output::Json) {
        print(out, body.value());
      } else {
        out << formatStatus(body.value());
      }
      return 0;
    }
    case Command::Agents: {
      auto body = api.get("/api/v1/agents");
      if (!body.ok()) {
        return fail(err, body.error());
      }
      if (args.output == Output::Json) {
        print(out, body.value());
      } else {
        out << formatAgents(body.value());
      }
      return 0;
    }
    case Command::AgentShow: {
      auto body = api.get("/api/v1/agents/" + urlEncode(args.service));
      if (!body.ok()) {
        return fail(err, body.error());
      }
      if (args.output == Output::Json) {
        print(out, body.value());
      } else {
        out << formatAgent(body.value());
      }
      return 0;
    }
    case Command::History: {
      std::string base = "/api/v1/services/" + urlEncode(args.service) + "/history?";
      if (args.service.empty()) {
        base = "/api/v1/history?";
        for (const auto& [k, v] : {std::pair<std::string, std::string>{"status", args.status},
                                   {"service", args.alert_service},
                                   {"agent", args.agent == "*" ? std::string() : args.agent}}) {
          if (!v.empty()) {
            base += k + "=" + urlEncode(v) + "&";
          }
        }
      }
      if (args.since) {
        base += "since=" + urlEncode(resolveTime(*args.since, clock)) + "&";
      }
      if (args.until) {
        base += "until=" + urlEncode(resolveTime(*args.until, clock)) + "&";
      }
      json results = json::array();
      json next = nullptr;
      // Follow the hub's cursor until --limit rows are in.
      while (static_cast<int>(results.size()) < args.limit) {
        const int want = std::min(kPageSize, args.limit - static_cast<int>(results.size()));
        std::string path = base + "limit=" + std::to_string(want);
        if (next.is_string()) {
          path += "&cursor=" + urlEncode(next.get<std::string>());
        }
        auto page = api.get(path);
        if (!page.ok()) {
          return fail(err, page.error());
        }
        const auto& body = page.value();
        if (body.contains("results") && body["results"].is_array()) {
          for (const auto& r : body["results"]) {
            results.push_back(r);
          }
        }
        next = body.value("next", json());
        if (!next.is_string() || body["results"].empty()) {
          break;
        }
      }
      if (args.output == Output::Json) {
        print(out, json{{"results", results}, {"next", next}});
      } else {
        out << formatHistory(results, args.service.empty());
      }
      return 0;
    }
    case Command::KeysList: {
      auto body = api.get("/api/v1/keys");
      if (!body.ok()) {
        return fail(err, body.error());
      }
      if (args.output == Output::Json) {
        print(out, body.value());
      } else {
        out << formatKeys(body.value());
      }
      return 0;
    }
    case Command::KeysCreate: {
      json request{{"name", args.key_name}, {"role", args.key_role}};
      if (!args.key_expires.empty()) {
        request["expires_in"] = args.key_expires;
      }
      auto body = api.send("POST", "/api/v1/keys", request);
      if (!body.ok()) {
        return fail(err, body.error());
      }
      if (args.output == Output::Json) {
        print(out, body.value());
      } else {
        // The key alone on stdout (KEY=$(vitalsctl keys create ...)); the rest on stderr.
        out << body->value("key", std::string()) << "\n";
        err << "created API key " << body->value("id", json(0)).dump() << " ("
            << body->value("role", std::string()) << ", prefix "
            << body->value("prefix", std::string()) << "); it is shown only this once\n";
      }
      return 0;
    }
    case Command::KeysRevoke: {
      auto body = api.send("DELETE", "/api/v1/keys/" + urlEncode(args.key_id), std::nullopt);
      if (!body.ok()) {
        return fail(err, body.error());
      }
      if (args.output == Output::Json) {
        print(out, body.value());
      } else {
        out << "revoked API key " << args.key_id << " (" << body->value("prefix", std::string())
            << ")\n";
      }
      return 0;
    }
    case Command::AlertsList: {
      std::string path = "/api/v1/alerts?state=" + (args.state.empty() ? "open" : args.state);
      if (!args.alert_service.empty()) {
        path += "&service=" + urlEncode(args.alert_service);
      }
      if (!args.kind.empty()) {
        path += "&kind=" + urlEncode(args.kind);
      }
      auto body = api.get(path);
      if (!body.ok()) {
        return fail(err, body.error());
      }
      if (args.output == Output::Json) {
        print(out, body.value());
      } else {
        out << formatAlerts(body.value());
      }
      return 0;
    }
    case Command::AlertsAck: {
      auto body = api.send("POST", "/api/v1/alerts/" + args.item_id + "/ack", std::nullopt);
      if (!body.ok()) {
        return fail(err, body.error());
      }
      if (args.output == Output::Json) {
        print(out, body.value());
      } else {
        out << "acknowledged incident " << args.item_id << " ("
            << body->value("service", std::string()) << ")\n";
      }
      return 0;
    }
    case Command::SilencesList: {
      auto body = api.get("/api/v1/silences?state=" + (args.state.empty() ? "active" : args.state));
      if (!body.ok()) {
        return fail(err, body.error());
      }
      if (args.output == Output::Json) {
        print(out, body.value());
      } else {
        out << formatSilences(body.value());
      }
      return 0;
    }
    case Command::SilencesAdd: {
      json request{{"service", args.alert_service.empty() ? "*" : args.alert_service},
                   {"agent", args.agent},
                   {"check", args.check},
                   {"duration", args.duration},
                   {"comment", args.comment},
                   {"maintenance", args.maintenance}};
      auto body = api.send("POST", "/api/v1/silences", request);
      if (!body.ok()) {
        return fail(err, body.error());
      }
      if (args.output == Output::Json) {
        print(out, body.value());
      } else {
        out << "silence " << body->value("id", json(0)).dump() << " until "
            << body->value("ends_at", std::string()) << "\n";
      }
      return 0;
    }
    case Command::SilencesExpire: {
      auto body = api.send("DELETE", "/api/v1/silences/" + args.item_id, std::nullopt);
      if (!body.ok()) {
        return fail(err, body.error());
      }
      if (args.output == Output::Json) {
        print(out, body.value());
      } else {
        out << "silence " << args.item_id << " ended at " << body->value("ends_at", std::string())
            << "\n";
      }
      return 0;
    }
    case Command::Api: {
      std::optional<json> request;
      if (args.api_body) {
        request = json::parse(*args.api_body);
      }
      auto body = args.api_method == "GET" ? api.get(args.api_path)
                                           : api.send(args.api_method, args.api_path, request);
      if (!body.ok()) {
        return fail(err, body.error());
      }
      if (args.output == Output::Json) {
        print(out, body.value());
      } else {
        out << formatGeneric(body.value(), args.api_list_key, args.api_columns);
      }
      return 0;
    }
    case Command::None:
      break;
  }
  err << "vitalsctl: no command\n";
  return 2;
}

}  // namespace vitals::ctl
