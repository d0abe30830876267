#include "tests/support/pg_query.hpp"

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>

namespace vitals::test {

Rows query(const std::string& conninfo, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("connect: " + std::string(PQerrorMessage(conn.get())));
  }
  PQsetNoticeProcessor(conn.get(), [](void*, const char*) {}, nullptr);
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
  const auto st = PQresultStatus(res.get());
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    throw std::runtime_error(sql + ": " + PQresultErrorMessage(res.get()));
  }
  Rows rows;
  for (int r = 0; r < PQntuples(res.get()); ++r) {
    std::vector<std::string> row;
    for (int c = 0; c < PQnfields(res.get()); ++c) {
      row.emplace_back(PQgetvalue(res.get(), r, c));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string scalar(const std::string& conninfo, const std::string& sql) {
  auto rows = query(conninfo, sql);
  if (rows.empty() || rows[0].empty()) {
    throw std::runtime_error("no value from: " + sql);
  }
  return rows[0][0];
}

long long count(const std::string& conninfo, const std::string& sql) {
  return std::stoll(scalar(conninfo, sql));
}

}  // namespace vitals::test
