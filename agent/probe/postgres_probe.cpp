#include "agent/probe/postgres_probe.hpp"

#include <dlfcn.h>
#include <libpq-fe.h>  // types and constants only: libpq itself is loaded with dlopen

#include <algorithm>
#include <memory>

#include "agent/probe/blocking_probe.hpp"
#include "agent/probe/redis_probe.hpp"
#include "common/config/secret_file.hpp"

namespace vitals::agent {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

// libpq, opened when the first postgres check is created rather than linked: linking loads it
// and its dependencies (GnuTLS, Kerberos, LDAP, SASL, p11-kit: about 3 MiB of resident pages,
// and GnuTLS initialises itself) into every agent, also those without a postgres check
// (bench/agent, docs/benchmarks.md). Shared by the probes; closed with the last of them.
class LibPq {
 public:
  static std::shared_ptr<const LibPq> open(std::string& error) {
    void* handle = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      error = std::string("cannot load libpq.so.5: ") + (why != nullptr ? why : "unknown error");
      return nullptr;
    }
    auto lib = std::shared_ptr<LibPq>(new LibPq(handle));
    if (!lib->resolve(error)) {
      return nullptr;
    }
    return lib;
  }
  ~LibPq() { ::dlclose(handle_); }
  LibPq(const LibPq&) = delete;
  LibPq& operator=(const LibPq&) = delete;

  decltype(&::PQconnectdbParams) connectdbParams = nullptr;
  decltype(&::PQstatus) status = nullptr;
  decltype(&::PQerrorMessage) errorMessage = nullptr;
  decltype(&::PQfinish) finish = nullptr;
  decltype(&::PQexecParams) execParams = nullptr;
  decltype(&::PQresultStatus) resultStatus = nullptr;
  decltype(&::PQclear) clear = nullptr;
  decltype(&::PQntuples) ntuples = nullptr;
  decltype(&::PQnfields) nfields = nullptr;
  decltype(&::PQgetisnull) getisnull = nullptr;
  decltype(&::PQgetvalue) getvalue = nullptr;
  decltype(&::PQserverVersion) serverVersion = nullptr;

 private:
  explicit LibPq(void* handle) : handle_(handle) {}
  template <typename F>
  bool bind(F& fn, const char* name, std::string& error) {
    fn = reinterpret_cast<F>(::dlsym(handle_, name));
    if (fn == nullptr) {
      error = std::string("libpq.so.5 has no ") + name;
    }
    return fn != nullptr;
  }
  bool resolve(std::string& error) {
    return bind(connectdbParams, "PQconnectdbParams", error) && bind(status, "PQstatus", error) &&
           bind(errorMessage, "PQerrorMessage", error) && bind(finish, "PQfinish", error) &&
           bind(execParams, "PQexecParams", error) && bind(resultStatus, "PQresultStatus", error) &&
           bind(clear, "PQclear", error) && bind(ntuples, "PQntuples", error) &&
           bind(nfields, "PQnfields", error) && bind(getisnull, "PQgetisnull", error) &&
           bind(getvalue, "PQgetvalue", error) && bind(serverVersion, "PQserverVersion", error);
  }
  void* handle_;
};

ProbeOutcome check(const LibPq& pq, const PostgresCheckSpec& spec, Clock& clock,
                   milliseconds timeout) {
  const SteadyTime start = clock.steadyNow();
  auto elapsed = [&] { return duration_cast<microseconds>(clock.steadyNow() - start); };
  auto PQfinish = pq.finish;
  auto PQclear = pq.clear;
  auto PQstatus = pq.status;
  auto PQerrorMessage = pq.errorMessage;
  auto PQexecParams = pq.execParams;
  auto PQresultStatus = pq.resultStatus;
  auto PQntuples = pq.ntuples;
  auto PQnfields = pq.nfields;
  auto PQgetisnull = pq.getisnull;
  auto PQgetvalue = pq.getvalue;
  auto PQserverVersion = pq.serverVersion;
  struct PgConnDeleter {
    decltype(&::PQfinish) fn;
    void operator()(PGconn* c) const { fn(c); }
  };
  struct PgResultDeleter {
    decltype(&::PQclear) fn;
    void operator()(PGresult* r) const { fn(r); }
  };
  using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
  using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;
  std::string conninfo = spec.dsn;
  if (!spec.dsn_file.empty()) {
    auto text = config::readSecretFile(spec.dsn_file);
    if (!text) {
      return ProbeOutcome::down(FailureKind::Error, elapsed(),
                                "dsn_file: " + text.error().message + " " + spec.dsn_file);
    }
    conninfo = *text;
  }
  std::string password;
  if (!spec.password.empty()) {
    auto p = readSecretSource(spec.password);
    if (!p) {
      return ProbeOutcome::down(FailureKind::Error, elapsed(), "password: " + p.error().message);
    }
    password = *p;
  }
  // libpq counts connect_timeout in whole seconds and treats values below 2 as 2.
  const auto secs = std::max<long long>(2, (timeout.count() + 999) / 1000);
  const std::string connect_timeout = std::to_string(secs);
  const std::string options = "-c statement_timeout=" + std::to_string(timeout.count());
  std::vector<const char*> keys = {"dbname", "connect_timeout", "options", "application_name"};
  std::vector<const char*> values = {conninfo.c_str(), connect_timeout.c_str(), options.c_str(),
                                     "vitals-agent"};
  if (!password.empty()) {
    keys.push_back("password");
    values.push_back(password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PgConnPtr conn(pq.connectdbParams(keys.data(), values.data(), 1), PgConnDeleter{PQfinish});
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    const std::string msg = conn ? oneLine(PQerrorMessage(conn.get())) : "out of memory";
    const bool refused = msg.find("Connection refused") != std::string::npos;
    const bool timed_out = msg.find("timeout expired") != std::string::npos;
    return ProbeOutcome::down(refused     ? FailureKind::Refused
                              : timed_out ? FailureKind::Timeout
                                          : FailureKind::Unexpected,
                              elapsed(), msg);
  }
  auto exec = [&](const std::string& sql) {
    return PgResultPtr(
        PQexecParams(conn.get(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0),
        PgResultDeleter{PQclear});
  };
  const bool custom = !spec.query.empty();
  if (custom) {
    PgResultPtr begin = exec("BEGIN TRANSACTION READ ONLY");
    if (PQresultStatus(begin.get()) != PGRES_COMMAND_OK) {
      return ProbeOutcome::down(FailureKind::Unexpected, elapsed(),
                                oneLine(PQerrorMessage(conn.get())));
    }
  }
  PgResultPtr res = exec(custom ? spec.query : "SELECT 1");
  const auto status = PQresultStatus(res.get());
  const auto latency = elapsed();
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    const std::string msg = oneLine(PQerrorMessage(conn.get()));
    const bool cancelled = msg.find("statement timeout") != std::string::npos;
    return ProbeOutcome::down(cancelled ? FailureKind::Timeout : FailureKind::Unexpected, latency,
                              "query failed: " + msg);
  }
  ProbeOutcome o = ProbeOutcome::healthy(
      latency, (custom ? "query" : "SELECT 1") + std::string(" in ") + formatLatency(latency));
  o.details["rows"] = std::to_string(PQntuples(res.get()));
  if (PQntuples(res.get()) > 0 && PQnfields(res.get()) > 0 && !PQgetisnull(res.get(), 0, 0)) {
    o.details["value"] = std::string(PQgetvalue(res.get(), 0, 0)).substr(0, 200);
  }
  o.details["server_version"] = std::to_string(PQserverVersion(conn.get()));
  if (custom) {
    PgResultPtr rollback = exec("ROLLBACK");
  }
  return o;
}

}  // namespace

std::string oneLine(const std::string& text) {
  std::string out;
  bool space = false;
  for (char ch : text) {
    if (ch == '\n' || ch == '\r' || ch == '\t' || ch == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += ch;
  }
  return out;
}

std::unique_ptr<Probe> makePostgresProbe(PostgresCheckSpec spec, Clock& clock, WorkQueue& queue) {
  std::string target = spec.dsn.empty() ? "dsn_file " + spec.dsn_file : spec.dsn;
  std::string error;
  auto pq = LibPq::open(error);
  return std::make_unique<BlockingProbe>(
      "postgres", std::move(target),
      [spec = std::move(spec), &clock, pq = std::move(pq), error](milliseconds timeout) {
        if (!pq) {
          return ProbeOutcome::down(FailureKind::Error, microseconds{0}, error);
        }
        return check(*pq, spec, clock, timeout);
      },
      queue);
}

}  // namespace vitals::agent
