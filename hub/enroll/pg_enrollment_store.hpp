#pragma once
// EnrollmentStore on PostgreSQL (enrollment_tokens, enrolled_agents: schema/0016_enrollment.sql).
// enroll() and revoke() are one transaction each, with their audit row; the token row is locked
// (FOR UPDATE) so two nodes racing with one token cannot both spend it.
#include "hub/enroll/enrollment.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::enroll {

class PgEnrollmentStore final : public EnrollmentStore {
 public:
  explicit PgEnrollmentStore(store::PgPool& pool) : pool_(pool) {}
  Result<TokenRecord> insertToken(const NewToken& token, SystemTime now) override;
  Result<std::vector<TokenRecord>> listTokens() override;
  Result<EnrolledAgent> enroll(const EnrollRequest& request, SystemTime now) override;
  Result<EnrolledAgent> revoke(const std::string& agent_id, const std::string& actor,
                               SystemTime now) override;
  Result<std::vector<EnrolledAgent>> agents() override;

 private:
  store::PgPool& pool_;
};

}  // namespace vitals::hub::enroll
