#include "hub/api/cursor.hpp"

#include <nlohmann/json.hpp>

namespace vitals::hub::api {
namespace {

// Hand-written: a dozen lines, and none of our Debian libraries exposes base64url publicly.
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string base64UrlEncode(std::string_view bytes) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buf = (buf << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buf >> bits) & 0x3f];
    }
  }
  if (bits > 0) {
    out += kAlphabet[(buf << (6 - bits)) & 0x3f];
  }
  return out;
}

std::optional<std::string> base64UrlDecode(std::string_view text) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (char c : text) {
    const int v = decodeChar(c);
    if (v < 0) {
      return std::nullopt;
    }
    buf = (buf << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xff);
    }
  }
  // Leftover bits must be padding zeros from encoding, fewer than a byte.
  if (bits >= 6 || (buf & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

std::string encodeCursor(const store::HistoryCursor& c) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(c.observed_at.time_since_epoch())
          .count();
  const nlohmann::json j = {1, us, c.agent_id, c.boot_id, c.seq};
  return base64UrlEncode(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::optional<store::HistoryCursor> decodeCursor(const std::string& text) {
  if (text.empty() || text.size() > 2048) {
    return std::nullopt;
  }
  auto raw = base64UrlDecode(text);
  if (!raw) {
    return std::nullopt;
  }
  const auto j = nlohmann::json::parse(*raw, nullptr, false);
  if (!j.is_array() || j.size() != 5 || j[0] != 1 || !j[1].is_number_integer() ||
      !j[2].is_string() || !j[3].is_string() || !j[4].is_number_unsigned()) {
    return std::nullopt;
  }
  const auto us = j[1].get<std::int64_t>();
  if (us < 0 || us > 10'000'000'000'000'000) {  // up to the year 2286: no overflow below
    return std::nullopt;
  }
  store::HistoryCursor c;
  c.observed_at = SystemTime{std::chrono::duration_cast<SystemTime::duration>(
      std::chrono::microseconds{us})};
  c.agent_id = j[2].get<std::string>();
  c.boot_id = j[3].get<std::string>();
  c.seq = j[4].get<std::uint64_t>();
  return c;
}

}  // namespace vitals::hub::api
