#include "hub/auth/keys_command.hpp"

#include <charconv>
#include <cstdlib>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/config/yaml_reader.hpp"
#include "common/log/log.hpp"
#include "hub/audit/audit_log.hpp"
#include "hub/auth/api_key.hpp"
#include "hub/auth/pg_key_store.hpp"
#include "hub/config/hub_config.hpp"
#include "hub/store/migrations.hpp"

namespace vitals::hub::auth {
namespace {

struct Parsed {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
};

int usage(std::ostream& err, const std::string& message) {
  err << "vitals-hub keys: " << message << "\n" << kKeysUsage;
  return 2;
}

std::string optionalTime(const std::optional<SystemTime>& t) { return t ? formatRfc3339(*t) : "-"; }

// "cli:<login>" so audit rows say who ran it on the host.
std::string cliActor() {
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user != nullptr && *user != '\0' ? user : "unknown");
}

}  // namespace

const char* const kKeysUsage =
    "usage: vitals-hub keys create --role admin|operator|readonly --name NAME [--expires 30d]\n"
    "                              --config FILE\n"
    "       vitals-hub keys list --config FILE\n"
    "       vitals-hub keys revoke ID --config FILE\n"
    "\n"
    "Works on the database of the hub config directly (no running hub needed) and applies\n"
    "pending schema migrations first. `create` prints the new key once, alone on stdout;\n"
    "only its SHA-256 is stored.\n";

int runKeysCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Parsed p;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--help" || a == "-h") {
      out << kKeysUsage;
      return 0;
    }
    if (a.rfind("--", 0) == 0) {
      std::string value;
      if (const auto eq = a.find('='); eq != std::string::npos) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return usage(err, a + " needs a value");
      }
      if (a != "--role" && a != "--name" && a != "--expires" && a != "--config") {
        return usage(err, "unknown option " + a);
      }
      p.options[a] = value;
    } else if (p.command.empty()) {
      p.command = a;
    } else {
      p.positional.push_back(a);
    }
  }
  if (p.command != "create" && p.command != "list" && p.command != "revoke") {
    return usage(err, p.command.empty() ? "no keys command given"
                                        : "unknown keys command \"" + p.command + "\"");
  }
  if (p.options.count("--config") == 0) {
    return usage(err, "--config FILE is required");
  }
  const bool create = p.command == "create";
  if (!create &&
      (p.options.count("--role") || p.options.count("--name") || p.options.count("--expires"))) {
    return usage(err, "--role, --name and --expires belong to keys create");
  }
  NewKey key;
  std::optional<std::chrono::milliseconds> expires_in;
  std::int64_t revoke_id = 0;
  if (create) {
    if (!p.positional.empty()) {
      return usage(err, "keys create takes no arguments, got \"" + p.positional[0] + "\"");
    }
    auto role = parseRole(p.options["--role"]);
    if (!role) {
      return usage(err, "--role must be admin, operator or readonly");
    }
    key.role = *role;
    key.name = p.options["--name"];
    if (!validKeyName(key.name)) {
      return usage(err, "--name must be 1-64 characters without control characters");
    }
    if (p.options.count("--expires") != 0) {
      expires_in = config::parseDuration(p.options["--expires"]);
      if (!expires_in || *expires_in < std::chrono::minutes{1}) {
        return usage(err, "--expires must be a duration of at least 1m such as 12h or 30d, got \"" +
                              p.options["--expires"] + "\"");
      }
    }
  } else if (p.command == "revoke") {
    const std::string id = p.positional.size() == 1 ? p.positional[0] : "";
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), revoke_id);
    if (p.positional.size() != 1 || ec != std::errc{} || end != id.data() + id.size() ||
        revoke_id <= 0) {
      return usage(err, "keys revoke needs exactly one key ID (a positive integer)");
    }
  } else if (!p.positional.empty()) {
    return usage(err, "keys list takes no arguments, got \"" + p.positional[0] + "\"");
  }

  config::Problems problems;
  const auto cfg = loadHubConfig(p.options["--config"], ConfigSources::system(), problems);
  if (!cfg) {
    err << problems.format();
    return 1;
  }
  auto logger = log::makeLogger("hub-keys", cfg->log);
  store::PgConnectOptions pg;
  pg.conninfo = cfg->database.url;
  pg.password = cfg->database.password;
  pg.connect_timeout = cfg->database.connect_timeout;
  pg.application_name = "vitals-hub keys";
  auto conn = store::PgConnection::connect(pg, logger);
  if (!conn.ok()) {
    err << "vitals-hub keys: cannot connect to the database: " << conn.error().describe() << "\n";
    return 1;
  }
  auto& db = *conn.value();
  const auto migrations = store::parseMigrations(store::embeddedSchemaFiles());
  if (!migrations.ok()) {
    err << "vitals-hub keys: embedded schema is invalid: " << migrations.error().describe() << "\n";
    return 1;
  }
  if (auto m = store::migrate(db, migrations.value(), *logger); !m.ok()) {
    err << "vitals-hub keys: " << m.error().describe() << "\n";
    return 1;
  }
  SystemClock clock;
  const auto now = clock.now();

  if (p.command == "list") {
    auto keys = listKeys(db);
    if (!keys.ok()) {
      err << "vitals-hub keys: " << keys.error().describe() << "\n";
      return 1;
    }
    out << "ID\tNAME\tROLE\tPREFIX\tSTATE\tCREATOR\tCREATED\tLAST USED\tEXPIRES\n";
    for (const auto& k : keys.value()) {
      out << k.id << "\t" << k.name << "\t" << toString(k.role) << "\t" << k.prefix << "\t"
          << toString(keyState(k, now)) << "\t" << k.creator << "\t" << formatRfc3339(k.created_at)
          << "\t" << optionalTime(k.last_used_at) << "\t" << optionalTime(k.expires_at) << "\n";
    }
    return 0;
  }

  audit::AuditEntry entry;
  entry.actor = cliActor();
  Result<KeyRecord> done = Error{"internal", "", {}};
  std::string secret;
  store::PgTransaction tx{db};
  if (auto s = tx.begin(); !s.ok()) {
    err << "vitals-hub keys: " << s.error().describe() << "\n";
    return 1;
  }
  if (create) {
    OpenSslRandom random;
    auto generated = generateKey(random);
    if (!generated.ok()) {
      err << "vitals-hub keys: " << generated.error().message << "\n";
      return 1;
    }
    secret = generated.value();
    key.prefix = keyPrefix(secret);
    key.hash = hashKey(secret);
    key.creator = entry.actor;
    if (expires_in) {
      key.expires_at = now + *expires_in;
    }
    done = insertKey(db, key, now);
    entry.action = "key.create";
    entry.parameters_json = nlohmann::json{{"name", key.name},
                                           {"role", toString(key.role)},
                                           {"expires_at", optionalTime(key.expires_at)}}
                                .dump();
  } else {
    done = revokeKey(db, revoke_id, now);
    entry.action = "key.revoke";
    entry.parameters_json = "{}";
  }
  if (done.ok()) {
    entry.target = "key:" + std::to_string(done->id);
    if (auto a = audit::append(db, entry, now); !a.ok()) {
      done = a.error();
    }
  }
  if (!done.ok()) {
    err << "vitals-hub keys: " << done.error().describe() << "\n";
    return 1;
  }
  if (auto s = tx.commit(); !s.ok()) {
    err << "vitals-hub keys: " << s.error().describe() << "\n";
    return 1;
  }
  if (create) {
    out << secret << "\n";
    err << "created API key " << done->id << " (" << toString(done->role) << ", name \""
        << done->name << "\", prefix " << done->prefix << ", expires "
        << optionalTime(done->expires_at) << "); it is shown only this once\n";
  } else {
    err << "revoked API key " << done->id << " (" << done->prefix << ", \"" << done->name
        << "\"); hubs refuse it within api.key_cache_ttl\n";
  }
  return 0;
}

}  // namespace vitals::hub::auth
