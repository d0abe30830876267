#pragma once
// The opaque `cursor` of history pages: a base64url-encoded JSON array
// [1, observed_at_us, agent_id, boot_id, seq]. Clients pass it back unchanged.
#include <optional>
#include <string>

#include "hub/store/read_store.hpp"

namespace vitals::hub::api {

std::string encodeCursor(const store::HistoryCursor& cursor);
std::optional<store::HistoryCursor> decodeCursor(const std::string& text);

std::string base64UrlEncode(std::string_view bytes);
std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace vitals::hub::api
