#include "hub/store/pg_connection.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace vitals::hub::store {
namespace {

void noticeToLogger(void* arg, const char* message) {
  auto* logger = static_cast<spdlog::logger*>(arg);
  std::string text(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  logger->debug("postgres: {}", text);
}

// libpq messages span lines ("...\n\tIs the server running..."): one line for logs and JSON.
std::string trimmed(const char* s) {
  std::string out;
  for (const char* p = s != nullptr ? s : ""; *p != '\0'; ++p) {
    const bool space = *p == '\n' || *p == '\t' || *p == '\r';
    if (space && (out.empty() || out.back() == ' ')) {
      continue;
    }
    out += space ? ' ' : *p;
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return out;
}

}  // namespace

void PgResultDeleter::operator()(pg_result* r) const { PQclear(r); }

int PgResult::rows() const { return res_ ? PQntuples(res_.get()) : 0; }
int PgResult::columns() const { return res_ ? PQnfields(res_.get()) : 0; }
bool PgResult::isNull(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
std::string_view PgResult::get(int row, int col) const {
  return {PQgetvalue(res_.get(), row, col),
          static_cast<std::size_t>(PQgetlength(res_.get(), row, col))};
}
std::vector<std::string> PgResult::strings(int col) const {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(rows()));
  for (int i = 0; i < rows(); ++i) {
    out.push_back(str(i, col));
  }
  return out;
}

std::int64_t PgResult::int64(int row, int col) const {
  if (isNull(row, col)) {
    return 0;
  }
  const auto v = get(row, col);
  std::int64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}
bool PgResult::boolean(int row, int col) const { return !isNull(row, col) && get(row, col) == "t"; }
std::optional<std::chrono::system_clock::time_point> PgResult::epochTime(int row, int col) const {
  if (isNull(row, col)) {
    return std::nullopt;
  }
  return fromEpochMicros(get(row, col));
}
std::uint64_t PgResult::affected() const {
  const char* n = res_ ? PQcmdTuples(res_.get()) : "";
  std::uint64_t out = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), out);
  return out;
}

Result<std::unique_ptr<PgConnection>> PgConnection::connect(
    const PgConnectOptions& o, std::shared_ptr<spdlog::logger> logger) {
  // Keywords before "dbname" are defaults that the expanded conninfo may override; the password
  // comes after it so the configured secret wins.
  const std::string timeout =
      std::to_string(std::max<long long>(1, (o.connect_timeout.count() + 999) / 1000));
  std::vector<const char*> keys = {"connect_timeout", "fallback_application_name", "dbname"};
  std::vector<const char*> values = {timeout.c_str(), o.application_name.c_str(),
                                     o.conninfo.c_str()};
  if (!o.password.empty()) {
    keys.push_back("password");
    values.push_back(o.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  pg_conn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) {
    return Error{"db.unavailable", "out of memory creating a connection", {}};
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    Error e{"db.unavailable", trimmed(PQerrorMessage(conn)), {}};
    PQfinish(conn);
    return e;
  }
  std::unique_ptr<PgConnection> c(new PgConnection(conn, std::move(logger)));
  // Timestamps are read as epoch numbers, but keep text output deterministic too.
  if (auto s = c->execScript("SET TimeZone = 'UTC'"); !s.ok()) {
    return s.error();
  }
  return c;
}

PgConnection::PgConnection(pg_conn* conn, std::shared_ptr<spdlog::logger> logger)
    : conn_(conn), logger_(std::move(logger)) {
  PQsetNoticeProcessor(conn_, noticeToLogger, logger_.get());
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::ok() const { return PQstatus(conn_) == CONNECTION_OK; }

Status PgConnection::reset() {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Error{"db.unavailable", trimmed(PQerrorMessage(conn_)), {}};
  }
  ++generation_;
  return execScript("SET TimeZone = 'UTC'");
}

Error PgConnection::errorFrom(pg_result* res, const std::string& what) const {
  std::string state;
  if (res != nullptr) {
    if (const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE); s != nullptr) {
      state = s;
    }
  }
  std::string message = res != nullptr ? trimmed(PQresultErrorMessage(res)) : "";
  if (message.empty()) {
    message = trimmed(PQerrorMessage(conn_));
  }
  std::string code = "db.error";
  if (PQstatus(conn_) != CONNECTION_OK || state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0 ||
      state == "53300") {
    code = "db.unavailable";
  } else if ((state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0) && state != "23505") {
    // A unique violation can come from a concurrent writer (another hub): worth a retry.
    code = "db.data";
  }
  return Error{code, what + ": " + message, state};
}

Result<PgResult> PgConnection::exec(const std::string& sql, const PgParams& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) {
    values.push_back(p ? p->c_str() : nullptr);
  }
  pg_result* res = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                values.data(), nullptr, nullptr, 0);
  PgResult holder(res);
  const auto st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return errorFrom(res, "statement failed");
  }
  return holder;
}

Status PgConnection::execScript(const std::string& sql) {
  pg_result* res = PQexec(conn_, sql.c_str());
  PgResult holder(res);
  const auto st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return errorFrom(res, "statement failed");
  }
  return okStatus();
}

Result<std::uint64_t> PgConnection::copyIn(const std::string& copy_sql, std::string_view data) {
  constexpr std::size_t kChunk = 1 << 20;
  std::size_t off = 0;
  return copyInStream(copy_sql, [&](std::string& out) {
    const auto n = std::min(kChunk, data.size() - off);
    out.append(data.data() + off, n);
    off += n;
    return off < data.size();
  });
}

Result<std::uint64_t> PgConnection::copyInStream(const std::string& copy_sql,
                                                 const std::function<bool(std::string&)>& produce) {
  pg_result* res = PQexec(conn_, copy_sql.c_str());
  PgResult start(res);
  if (res == nullptr || PQresultStatus(res) != PGRES_COPY_IN) {
    return errorFrom(res, "COPY");
  }
  std::string chunk;
  for (bool more = true; more;) {
    chunk.clear();
    more = produce(chunk);
    if (!chunk.empty() && PQputCopyData(conn_, chunk.data(), static_cast<int>(chunk.size())) != 1) {
      (void)PQputCopyEnd(conn_, "send failed");
      while (pg_result* r = PQgetResult(conn_)) {
        PQclear(r);
      }
      return errorFrom(nullptr, "COPY data");
    }
  }
  if (PQputCopyEnd(conn_, nullptr) != 1) {
    return errorFrom(nullptr, "COPY end");
  }
  std::optional<Error> failure;
  std::uint64_t rows = 0;
  while (pg_result* r = PQgetResult(conn_)) {
    PgResult holder(r);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      if (!failure) {
        failure = errorFrom(r, "COPY");
      }
    } else {
      rows = holder.affected();
    }
  }
  if (failure) {
    return *failure;
  }
  return rows;
}

void PgConnection::rollback() {
  if (PQstatus(conn_) != CONNECTION_OK) {
    return;
  }
  pg_result* res = PQexec(conn_, "ROLLBACK");
  PQclear(res);
}

Status PgTransaction::begin() {
  auto s = conn_.begin();
  open_ = s.ok();
  return s;
}

Status PgTransaction::commit() {
  auto s = conn_.commit();
  if (!s.ok()) {
    conn_.rollback();
  }
  open_ = false;
  return s;
}

void PgTransaction::rollback() {
  if (open_) {
    conn_.rollback();
    open_ = false;
  }
}

void copyEscape(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\0':
        break;
      default:
        out += c;
    }
  }
}

void TimestampWriter::append(std::string& out, std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  std::int64_t secs = us / 1'000'000;
  std::int64_t frac = us % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    secs -= 1;
  }
  // Rows of one batch share a handful of seconds: format the date and time once per second.
  if (secs != cached_second_ || cached_.empty()) {
    const std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_ = buf;
    cached_second_ = secs;
  }
  out += cached_;
  char digits[6];
  for (int i = 5; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  out.append(digits, 6);
  out += 'Z';
}

std::string pgTimestamp(std::chrono::system_clock::time_point t) {
  std::string out;
  TimestampWriter().append(out, t);
  return out;
}

std::chrono::system_clock::time_point fromEpochMicros(std::string_view text) {
  // "1763758190123456" or "1763758190123456.000000" (numeric); the fraction is dropped.
  const auto dot = text.find('.');
  const auto whole = text.substr(0, dot);
  std::int64_t us = 0;
  std::from_chars(whole.data(), whole.data() + whole.size(), us);
  return std::chrono::system_clock::time_point{
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::microseconds{us})};
}

}  // namespace vitals::hub::store
