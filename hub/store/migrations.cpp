#include "hub/store/migrations.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

namespace vitals::hub::store {
namespace {

// Any constant works; it only has to be the same for every hub ("vita" in ASCII).
constexpr const char* kMigrationLock = "1986622049";

Error invalidFile(const std::string& file, const std::string& why) {
  return Error{"schema.invalid", why, file};
}

}  // namespace

Result<std::vector<Migration>> parseMigrations(const std::vector<SqlFile>& files) {
  std::vector<Migration> out;
  std::set<int> seen;
  for (const auto& f : files) {
    const auto& n = f.file_name;
    constexpr std::string_view kExt = ".sql";
    if (n.size() < 4 + 1 + 1 + kExt.size() || n.substr(n.size() - kExt.size()) != kExt ||
        n[4] != '_') {
      return invalidFile(n, "migration files are named NNNN_name.sql");
    }
    int version = 0;
    for (int i = 0; i < 4; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(n[static_cast<std::size_t>(i)]))) {
        return invalidFile(n, "migration files are named NNNN_name.sql");
      }
      version = version * 10 + (n[static_cast<std::size_t>(i)] - '0');
    }
    if (version == 0) {
      return invalidFile(n, "migration versions start at 0001");
    }
    if (!seen.insert(version).second) {
      return invalidFile(n, "two migrations have version " + std::to_string(version));
    }
    out.push_back(Migration{version, n.substr(5, n.size() - 5 - kExt.size()), f.text});
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return out;
}

Result<MigrationReport> migrate(PgConnection& conn, const std::vector<Migration>& known,
                                spdlog::logger& logger) {
  auto created = conn.execScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version integer PRIMARY KEY,"
      " name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  if (!created.ok()) {
    return created.error();
  }
  // Two hubs starting together must not both apply a migration.
  if (auto r = conn.exec("SELECT pg_advisory_lock($1::bigint)", {kMigrationLock}); !r.ok()) {
    return r.error();
  }
  struct Unlock {
    PgConnection& c;
    ~Unlock() { (void)c.exec("SELECT pg_advisory_unlock($1::bigint)", {kMigrationLock}); }
  } unlock{conn};

  auto rows = conn.exec("SELECT version, name FROM schema_migrations ORDER BY version");
  if (!rows.ok()) {
    return rows.error();
  }
  std::set<int> applied;
  MigrationReport report;
  const int latest_known = known.empty() ? 0 : known.back().version;
  for (int i = 0; i < rows->rows(); ++i) {
    const int v = static_cast<int>(rows->int64(i, 0));
    applied.insert(v);
    report.from_version = std::max(report.from_version, v);
    if (v > latest_known) {
      return Error{"db.schema_newer",
                   "the database schema is at version " + std::to_string(v) + " (" +
                       rows->str(i, 1) + "), newer than this vitals-hub knows (latest " +
                       std::to_string(latest_known) +
                       "); upgrade vitals-hub or point it at another database",
                   {}};
    }
  }
  report.to_version = report.from_version;
  for (const auto& m : known) {
    if (applied.count(m.version) != 0) {
      continue;
    }
    char tag[8];
    std::snprintf(tag, sizeof tag, "%04d", m.version);
    const std::string label = std::string(tag) + "_" + m.name;
    logger.info("applying schema migration {}", label);
    auto applied_one = inTransaction(conn, [&]() -> Status {
      if (auto s = conn.execScript(m.sql); !s.ok()) {
        return Error{s.error().code, "migration " + label + " failed: " + s.error().message,
                     s.error().context};
      }
      auto rec = conn.exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                           {std::to_string(m.version), m.name});
      if (!rec.ok()) {
        return rec.error();
      }
      return okStatus();
    });
    if (!applied_one.ok()) {
      return applied_one.error();
    }
    report.applied.push_back(label);
    report.to_version = m.version;
  }
  return report;
}

}  // namespace vitals::hub::store
