#pragma once
// Where the registry and the global view are kept across restarts (federation_hubs and
// federation_services, schema 0012). PgFederationStore is the real one; tests use a fake.
// Thread-safe.
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "hub/federation/global_view.hpp"

namespace vitals::hub::federation {

class FederationStore {
 public:
  virtual ~FederationStore() = default;
  // In one transaction: the hub's row, then its changed and removed services.
  [[nodiscard]] virtual Status save(const RemoteHub& hub,
                                    const std::vector<RemoteService>& upserted,
                                    const std::vector<std::string>& removed) = 0;
  struct Snapshot {
    std::vector<RemoteHub> hubs;
    std::vector<RemoteService> services;
  };
  [[nodiscard]] virtual Result<Snapshot> load() = 0;
};

}  // namespace vitals::hub::federation
