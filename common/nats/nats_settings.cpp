#include "common/nats/nats_settings.hpp"

#include <sstream>
#include <utility>

#include "common/config/yaml_reader.hpp"
#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"

namespace vitals::nats {
namespace {

constexpr const char* kPasswordEnv = "VITALS_NATS_PASSWORD";

// "_INBOX_a1" or "site.inbox": NATS subject tokens without wildcards.
bool validInboxPrefix(const std::string& prefix) {
  if (prefix.empty() || prefix.back() == '.') {
    return false;
  }
  std::stringstream ss(prefix);
  std::string token;
  while (std::getline(ss, token, '.')) {
    if (!subjects::isValidToken(token)) {
      return false;
    }
  }
  return true;
}

void checkReadable(config::YamlReader& r, const NatsSources& sources, const std::string& key,
                   const std::string& path) {
  if (path.empty()) {
    return;
  }
  if (auto st = sources.readable(path); !st.ok()) {
    const auto& why = st.error().message;
    r.problem(key, "cannot read \"" + path + "\"" + (why.empty() ? "" : ": " + why));
  }
}

void readTls(config::YamlReader& n, const NatsSources& sources, NatsSettings& out) {
  auto t = n.mapping("tls");
  if (!t) {
    return;
  }
  out.tls_ca_file = t->str("ca_file", "");
  out.tls_cert_file = t->str("cert_file", "");
  out.tls_key_file = t->str("key_file", "");
  out.tls_server_name = t->str("server_name", "");
  if (out.tls_cert_file.empty() != out.tls_key_file.empty()) {
    t->problem(out.tls_cert_file.empty() ? "cert_file" : "key_file",
               "cert_file and key_file go together");
  }
  checkReadable(*t, sources, "ca_file", out.tls_ca_file);
  checkReadable(*t, sources, "cert_file", out.tls_cert_file);
  checkReadable(*t, sources, "key_file", out.tls_key_file);
  t->finish();
}

// user/password_file, credentials_file or nkey + nkey_seed_file: one of them.
void readAuth(config::YamlReader& n, const NatsSources& sources, NatsSettings& out) {
  out.credentials_file = n.str("credentials_file", "");
  out.user = n.str("user", "");
  out.password_file = n.str("password_file", "");
  if (n.has("password")) {
    n.problem("password", std::string("secrets are not accepted inline: use password_file") +
                              (sources.env ? " or " + std::string(kPasswordEnv) : ""));
    (void)n.str("password");
  }
  if (!out.credentials_file.empty() && !out.user.empty()) {
    n.problem("user", "use either credentials_file or user/password_file, not both");
  }
  if (!out.password_file.empty() && out.user.empty()) {
    n.problem("password_file", "needs user");
  }
  out.nkey = n.str("nkey", "");
  out.nkey_seed_file = n.str("nkey_seed_file", "");
  if (out.nkey.empty() != out.nkey_seed_file.empty()) {
    n.problem(out.nkey.empty() ? "nkey_seed_file" : "nkey", "nkey and nkey_seed_file go together");
  } else if (!out.nkey.empty() && out.nkey[0] != 'U') {
    n.problem("nkey", "must be a user public key (starting with 'U')");
  }
  if (!out.nkey.empty() && (!out.user.empty() || !out.credentials_file.empty())) {
    n.problem("nkey", "use one of credentials_file, user/password_file or nkey");
  }
  checkReadable(n, sources, "credentials_file", out.credentials_file);
  checkReadable(n, sources, "nkey_seed_file", out.nkey_seed_file);
  if (out.password_file.empty()) {
    return;
  }
  if (!sources.read_secret) {
    checkReadable(n, sources, "password_file", out.password_file);
    return;
  }
  if (auto content = sources.read_secret(out.password_file); content.ok()) {
    out.password = content.value();
  } else {
    n.problem("password_file",
              "cannot read \"" + out.password_file + "\": " + content.error().message);
  }
}

}  // namespace

bool validNatsUrlList(const std::string& list) {
  std::stringstream ss(list);
  std::string item;
  int count = 0;
  while (std::getline(ss, item, ',')) {
    ++count;
    const auto scheme_end = item.find("://");
    if (scheme_end == std::string::npos || item.size() <= scheme_end + 3) {
      return false;
    }
    const std::string scheme = item.substr(0, scheme_end);
    if (scheme != "nats" && scheme != "tls" && scheme != "ws" && scheme != "wss") {
      return false;
    }
  }
  return count > 0 && list.back() != ',';
}

void readNatsSection(config::YamlReader& root, const NatsSources& sources, NatsSettings& out,
                     const std::function<void(config::YamlReader& section)>& extra) {
  auto n = root.mapping("nats");
  if (!n) {
    if (sources.env) {
      out.password = sources.env(kPasswordEnv).value_or("");
    }
    return;
  }
  out.url = n->str("url", out.url);
  if (!validNatsUrlList(out.url)) {
    n->problem("url",
               "must be nats://host:port (or tls://, ws://, wss://; comma-separated for a "
               "cluster), got \"" +
                   out.url + "\"");
  }
  readAuth(*n, sources, out);
  if (out.password_file.empty() && sources.env) {
    out.password = sources.env(kPasswordEnv).value_or("");
  }
  out.inbox_prefix = n->str("inbox_prefix", "");
  if (!out.inbox_prefix.empty() && !validInboxPrefix(out.inbox_prefix)) {
    n->problem("inbox_prefix", "must be subject tokens of [A-Za-z0-9_-] separated by '.'");
  }
  readTls(*n, sources, out);
  if (extra) {
    extra(*n);
  }
  n->finish();
}

Result<ConnectOptions> toConnectOptions(
    const NatsSettings& settings, const std::string& client_name, const std::string& identity,
    const std::function<Result<std::string>(const std::string& path)>& read_secret) {
  ConnectOptions o;
  o.url = settings.url;
  o.name = client_name;
  o.credentials_file = settings.credentials_file;
  o.user = settings.user;
  o.password = settings.password;
  if (o.password.empty() && !settings.password_file.empty()) {
    if (!read_secret) {
      return Error{"nats.password_file", "nats.password_file was not read", {}};
    }
    auto content = read_secret(settings.password_file);
    if (!content.ok()) {
      return Error{"nats.password_file", "nats.password_file: " + content.error().describe(), {}};
    }
    o.password = std::move(content.value());
  }
  o.nkey = settings.nkey;
  o.nkey_seed_file = settings.nkey_seed_file;
  o.tls = {false, settings.tls_ca_file, settings.tls_cert_file, settings.tls_key_file,
           settings.tls_server_name};
  o.inbox_prefix = settings.inbox_prefix.empty() ? "_INBOX_" + identity : settings.inbox_prefix;
  return o;
}

}  // namespace vitals::nats
