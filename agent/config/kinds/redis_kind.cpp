// kind: redis — see docs/configuration-agent.md "kind: redis".
#include "agent/config/kinds/kind_readers.hpp"

namespace vitals::agent::kinds {

void readRedis(config::YamlReader& c, const LoadOptions& options, CheckConfig& check) {
  RedisCheckSpec redis;
  redis.host = c.str("host", redis.host);
  if (!validHost(redis.host)) {
    c.problem("host", "must be a host name or IP address, got \"" + redis.host + "\"");
  }
  redis.port = static_cast<std::uint16_t>(c.integer("port", 6379, 1, 65535));
  redis.username = c.str("username", "");
  redis.password = readSecret(c, options);
  if (!redis.username.empty() && redis.password.empty()) {
    c.problem("username", "needs password_file or password_env");
  }
  if (auto role = c.str("role")) {
    if (*role != "master" && *role != "slave") {
      c.problem("role", "must be master or slave; got \"" + *role + "\"");
    }
    redis.role = *role;
  }
  check.spec = std::move(redis);
}

}  // namespace vitals::agent::kinds
