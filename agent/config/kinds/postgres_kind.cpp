// kind: postgres — see docs/configuration-agent.md "kind: postgres".
#include <algorithm>
#include <cctype>

#include "agent/config/kinds/kind_readers.hpp"

namespace vitals::agent::kinds {

void readPostgres(config::YamlReader& c, const LoadOptions& options, CheckConfig& check) {
  PostgresCheckSpec pg;
  pg.dsn = c.str("dsn", "");
  pg.dsn_file = c.str("dsn_file", "");
  if (pg.dsn.empty() == pg.dsn_file.empty()) {
    c.problem(pg.dsn.empty() ? "dsn" : "dsn_file",
              pg.dsn.empty() ? "is required for kind postgres (or dsn_file)"
                             : "use either dsn or dsn_file, not both");
  }
  {
    std::string lower = pg.dsn;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (lower.find("password") != std::string::npos) {
      c.problem("dsn", "must not contain a password: use password_file, password_env or dsn_file");
    }
  }
  if (!pg.dsn_file.empty() && options.readable && !options.readable(pg.dsn_file)) {
    c.problem("dsn_file", "cannot read \"" + pg.dsn_file + "\"");
  }
  pg.password = readSecret(c, options);
  if (auto q = c.str("query")) {
    if (q->empty()) {
      c.problem("query", "must not be empty (omit it for SELECT 1)");
    }
    pg.query = *q;
  }
  check.spec = std::move(pg);
}

}  // namespace vitals::agent::kinds
