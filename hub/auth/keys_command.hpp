#pragma once
// `vitals-hub keys create|list|revoke`: key management straight on the database, for the first
// admin key (bootstrap) and for recovery when no admin key is left. It applies pending schema
// migrations first, so it works on an empty database before the hub ever ran.
#include <ostream>
#include <string>
#include <vector>

namespace vitals::hub::auth {

extern const char* const kKeysUsage;

// args: everything after "keys". Exit codes: 0 ok, 1 error, 2 usage. `create` prints the key
// alone on `out` (so KEY=$(vitals-hub keys create ...) works) and the details on `err`.
int runKeysCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace vitals::hub::auth
