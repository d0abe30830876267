// The audit trail against a real PostgreSQL: rows are appended with what the caller gave, and
// the schema refuses to change or remove them.
#include <catch2/catch.hpp>

#include "common/log/log.hpp"
#include "common/time/clock.hpp"
#include "hub/audit/audit_log.hpp"
#include "hub/store/migrations.hpp"
#include "hub/store/pg_connection.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/pg_query.hpp"

using namespace vitals;
using namespace vitals::test;

TEST_CASE("audit rows are appended with actor, action, target, parameters and outcome, and "
          "UPDATE, DELETE and TRUNCATE on audit_log are refused",
          "[integration][audit]") {
  const auto fx = Fixture::load();
  hub::store::PgConnectOptions pg;
  pg.conninfo = fx.freshDatabase("audit_append");
  auto logger = log::makeLogger("test", log::LogOptions{"warn", log::Format::Text});
  auto conn = hub::store::PgConnection::connect(pg, logger);
  REQUIRE(conn.ok());
  auto& db = *conn.value();
  auto migrations = hub::store::parseMigrations(hub::store::embeddedSchemaFiles());
  REQUIRE(migrations.ok());
  REQUIRE(hub::store::migrate(db, migrations.value(), *logger).ok());

  const auto at = SystemTime{std::chrono::seconds{1'800'000'000}};
  hub::audit::AuditEntry e{"key:7", "silence.create", "service:web",
                           R"({"comment":"deploy"})", "ok"};
  auto first = hub::audit::append(db, e, at);
  REQUIRE(first.ok());
  auto second = hub::audit::append(db, {"policy", "repair.execute", "agent:a1", "", "dry-run"}, at);
  REQUIRE(second.ok());
  CHECK(second.value() > first.value());

  auto rows = db.exec(
      "SELECT actor, action, target, parameters->>'comment', outcome, "
      "EXTRACT(EPOCH FROM at)::bigint FROM audit_log ORDER BY id");
  REQUIRE(rows.ok());
  REQUIRE(rows->rows() == 2);
  CHECK(rows->str(0, 0) == "key:7");
  CHECK(rows->str(0, 1) == "silence.create");
  CHECK(rows->str(0, 2) == "service:web");
  CHECK(rows->str(0, 3) == "deploy");
  CHECK(rows->str(0, 4) == "ok");
  CHECK(rows->int64(0, 5) == 1'800'000'000);
  CHECK(rows->str(1, 4) == "dry-run");

  CHECK_FALSE(db.exec("UPDATE audit_log SET outcome = 'forged'").ok());
  CHECK_FALSE(db.exec("DELETE FROM audit_log").ok());
  CHECK_FALSE(db.exec("TRUNCATE audit_log").ok());
  auto count = db.exec("SELECT count(*) FROM audit_log WHERE outcome <> 'forged'");
  REQUIRE(count.ok());
  CHECK(count->int64(0, 0) == 2);
}
