#pragma once
// Security scans (docs/security-scans.md): GET /api/v1/security/scans (newest first, paged),
// GET /api/v1/security/scans/{id} (with its findings) and GET /api/v1/security/findings (the
// findings of the newest scan of every check, most severe first, paged). Read-only: ingest
// writes the scans.
#include "hub/api/api_types.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::api {

inline constexpr int kDefaultScanLimit = 100;
inline constexpr int kMaxScanLimit = 1000;
inline constexpr int kDefaultFindingLimit = 1000;
inline constexpr int kMaxFindingLimit = 5000;

class SecurityHandler {
 public:
  explicit SecurityHandler(store::PgPool& pool) : pool_(pool) {}
  ApiResponse listScans(const ApiRequest& req) const;
  ApiResponse getScan(const ApiRequest& req) const;
  ApiResponse listFindings(const ApiRequest& req) const;

 private:
  store::PgPool& pool_;
};

}  // namespace vitals::hub::api
