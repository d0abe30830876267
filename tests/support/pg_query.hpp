#pragma once
// Minimal libpq access for assertions in integration tests.
#include <string>
#include <vector>

namespace vitals::test {

using Rows = std::vector<std::vector<std::string>>;
// Runs sql (no parameters) and returns all rows as text; throws std::runtime_error on failure.
Rows query(const std::string& conninfo, const std::string& sql);
std::string scalar(const std::string& conninfo, const std::string& sql);
long long count(const std::string& conninfo, const std::string& sql);

}  // namespace vitals::test
