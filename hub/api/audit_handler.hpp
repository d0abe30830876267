#pragma once
// GET /api/v1/audit: the audit trail, filtered (since, until, actor, action, target), newest
// first, paged with an opaque cursor, as JSON or exported as JSON lines or CSV (?format=).
#include "hub/api/api_types.hpp"
#include "hub/audit/audit_query.hpp"

namespace vitals::hub::api {

inline constexpr int kDefaultAuditLimit = 100;
inline constexpr int kMaxAuditLimit = 1000;
inline constexpr int kMaxAuditExportLimit = 100000;

class AuditHandler {
 public:
  explicit AuditHandler(audit::AuditReader& reader) : reader_(reader) {}
  ApiResponse list(const ApiRequest& req) const;

 private:
  audit::AuditReader& reader_;
};

// RFC 4180 field: quoted when it holds a comma, quote, CR or LF; quotes doubled. A leading
// = + - @ is prefixed with ' so spreadsheets do not run it as a formula.
std::string csvField(const std::string& value);

}  // namespace vitals::hub::api
