#pragma once
// HubSummary / CatalogEvent <-> vitals.v1 bytes. The .pb.h stays in summary_codec.cpp.
#include <string>
#include <string_view>

#include "common/error/result.hpp"
#include "hub/federation/summary.hpp"

namespace vitals::hub::federation {

std::string encodeSummary(const HubSummary& summary);
// Error code "federation.decode" when the bytes are not a vitals.v1.HubSummary.
Result<HubSummary> decodeSummary(std::string_view bytes);

std::string encodeCatalogEvent(const CatalogEvent& event);
Result<CatalogEvent> decodeCatalogEvent(std::string_view bytes, CatalogChange change);

}  // namespace vitals::hub::federation
