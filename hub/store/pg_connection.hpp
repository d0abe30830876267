#pragma once
// The one wrapper around libpq. PgConnection owns a PGconn (RAII), PgResult owns a PGresult
// (PQclear deleter). Every statement with values is parameterised (PQexecParams, text format);
// execScript() exists only for migration files and DDL built from integers. libpq-fe.h stays in
// pg_connection.cpp. A PgConnection is used by one thread at a time.
#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/result.hpp"

struct pg_conn;
struct pg_result;

namespace vitals::hub::store {

struct PgResultDeleter {
  void operator()(pg_result* r) const;
};

// Rows of a successful statement. Values are text (libpq text format); NULL is distinct.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* r) : res_(r) {}
  int rows() const;
  int columns() const;
  bool isNull(int row, int col) const;
  std::string_view get(int row, int col) const;
  std::string str(int row, int col) const { return std::string(get(row, col)); }
  std::vector<std::string> strings(int col) const;  // column col of every row, in order
  std::int64_t int64(int row, int col) const;       // 0 when NULL or not a number
  // A boolean column: true only for PostgreSQL's text form of true ("t"); false for NULL.
  bool boolean(int row, int col) const;
  // A column selected as VITALS_EPOCH_US(...): nullopt when NULL.
  std::optional<std::chrono::system_clock::time_point> epochTime(int row, int col) const;
  // Rows affected by INSERT/UPDATE/DELETE (PQcmdTuples).
  std::uint64_t affected() const;

 private:
  std::unique_ptr<pg_result, PgResultDeleter> res_;
};

// Statement parameters: nullopt is SQL NULL.
using PgParams = std::vector<std::optional<std::string>>;

struct PgConnectOptions {
  std::string conninfo;  // "host=... dbname=..." or "postgres://..."
  std::string password;  // overrides the conninfo's; empty = none
  std::chrono::milliseconds connect_timeout{5000};
  std::string application_name = "vitals-hub";
};

// Error codes: "db.unavailable" (connection lost/refused: retry later), "db.data" (the data was
// refused: SQLSTATE classes 22 and 23 except 23505; retrying the same rows will fail again),
// "db.error" (anything else, retried).
// Error::context holds the SQLSTATE when there is one.
class PgConnection {
 public:
  static Result<std::unique_ptr<PgConnection>> connect(const PgConnectOptions& options,
                                                       std::shared_ptr<spdlog::logger> logger);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  bool ok() const;
  // Re-establishes a broken connection (PQreset); session state (temp tables) is gone after it.
  Status reset();
  // Incremented by every successful reset(): owners of session state compare it.
  std::uint64_t generation() const { return generation_; }

  // One statement with $1..$n parameters.
  Result<PgResult> exec(const std::string& sql, const PgParams& params = {});
  // Several statements without parameters (migration files, DDL from integers).
  Status execScript(const std::string& sql);
  // COPY ... FROM STDIN with rows already in COPY text format (see copyEscape()).
  Result<std::uint64_t> copyIn(const std::string& copy_sql, std::string_view data);
  // The same, streamed: `produce` appends the next rows to the (emptied) buffer it is given and
  // returns whether more follow; each chunk is sent before the next is formatted, so the
  // server parses rows while the caller is still building them.
  Result<std::uint64_t> copyInStream(const std::string& copy_sql,
                                     const std::function<bool(std::string&)>& produce);

  Status begin() { return execScript("BEGIN"); }
  Status commit() { return execScript("COMMIT"); }
  // Best effort: after a failed statement or on a dead connection.
  void rollback();

 private:
  PgConnection(pg_conn* conn, std::shared_ptr<spdlog::logger> logger);
  Error errorFrom(pg_result* res, const std::string& what) const;
  pg_conn* conn_;
  std::shared_ptr<spdlog::logger> logger_;
  std::uint64_t generation_ = 0;
};

// Appends `value` to a COPY text-format field: backslash, tab, newline and carriage return are
// escaped (the COPY data format, not SQL). NUL bytes cannot be stored in PostgreSQL text and
// are dropped.
void copyEscape(std::string& out, std::string_view value);

// Formats a time as a PostgreSQL timestamptz literal with microseconds, UTC
// ("2026-11-21T20:49:50.123456Z"): the unit the database stores.
std::string pgTimestamp(std::chrono::system_clock::time_point t);

// Appends the same format quickly when called for many close timestamps: the part up to the
// seconds is formatted once per distinct second.
class TimestampWriter {
 public:
  void append(std::string& out, std::chrono::system_clock::time_point t);

 private:
  std::int64_t cached_second_ = 0;
  std::string cached_;
};
// Reading times back: select `EXTRACT(EPOCH FROM col) * 1000000` as text (exact numeric) and
// convert with this (fractions of a microsecond are cut).
std::chrono::system_clock::time_point fromEpochMicros(std::string_view text);
// The same expression as SQL text for a column name literal, integral microseconds:
//   "SELECT id, " VITALS_EPOCH_US("created_at") " FROM ..."
#define VITALS_EPOCH_US(col) "(EXTRACT(EPOCH FROM " col ") * 1000000)::bigint"

// One transaction on a connection (RAII): begin() issues BEGIN, commit() COMMIT; a transaction
// that was begun and not committed is rolled back on destruction, so every early return leaves
// the connection clean. A failed commit() rolls back too. Not copyable or movable; lives on the
// stack of the function that owns the connection for the time being.
class PgTransaction {
 public:
  explicit PgTransaction(PgConnection& conn) : conn_(conn) {}
  ~PgTransaction() { rollback(); }
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;

  [[nodiscard]] Status begin();
  [[nodiscard]] Status commit();
  // Ends the transaction now without committing (a no-op when none is open).
  void rollback();
  bool open() const { return open_; }
  PgConnection& conn() { return conn_; }

 private:
  PgConnection& conn_;
  bool open_ = false;
};

// Runs fn inside BEGIN/COMMIT on conn, rolling back on any error. fn returns Status or
// Result<T>; its error, or the commit's, is returned; otherwise fn's value.
template <typename Fn>
auto inTransaction(PgConnection& conn, Fn&& fn) -> decltype(fn()) {
  PgTransaction tx{conn};
  if (auto s = tx.begin(); !s.ok()) {
    return s.error();
  }
  auto out = fn();
  if (!out.ok()) {
    return out;  // ~PgTransaction rolls back
  }
  if (auto s = tx.commit(); !s.ok()) {
    return s.error();
  }
  return out;
}

}  // namespace vitals::hub::store
