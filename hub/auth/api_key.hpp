#pragma once
// API keys as values: roles, the key format, hashing and constant-time comparison. Pure except
// for OpenSslRandom (the CSPRNG behind generateKey). A key is "vk_" followed by 43 base64url
// characters (32 random bytes); only its SHA-256 is stored, and "vk_" + the next 8 characters
// (the prefix) is kept in clear to show in listings and to find the candidate rows.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"

namespace vitals::hub::auth {

// Ordered: a higher role may do everything a lower one may.
enum class Role { Readonly = 1, Operator = 2, Admin = 3 };

std::string_view toString(Role role);
std::optional<Role> parseRole(std::string_view text);
inline bool roleAllows(Role have, Role need) {
  return static_cast<int>(have) >= static_cast<int>(need);
}

inline constexpr std::string_view kKeyScheme = "vk_";
inline constexpr std::size_t kKeyRandomBytes = 32;
inline constexpr std::size_t kKeyLength = 3 + 43;     // "vk_" + base64url(32 bytes), no padding
inline constexpr std::size_t kPrefixLength = 3 + 8;   // "vk_" + 8 characters

// A source of cryptographically secure random bytes (injected so tests can fix them).
class SecureRandom {
 public:
  virtual ~SecureRandom() = default;
  virtual Status fill(std::uint8_t* out, std::size_t n) = 0;
};

// OpenSSL's RAND_bytes (a CSPRNG seeded by the OS).
class OpenSslRandom final : public SecureRandom {
 public:
  Status fill(std::uint8_t* out, std::size_t n) override;
};

// RFC 4648 section 5 alphabet, without padding.
std::string base64Url(const std::uint8_t* data, std::size_t n);

// A fresh key: "vk_" + base64url(32 random bytes).
Result<std::string> generateKey(SecureRandom& random);
// True when text has the shape of a key (scheme, length, alphabet). Says nothing of validity.
bool looksLikeKey(std::string_view text);
// "vk_" + the next 8 characters; the whole text when it is shorter.
std::string keyPrefix(std::string_view key);
// Lower-case hex SHA-256 of the key (64 characters).
std::string hashKey(std::string_view key);
// Constant-time for equal lengths (CRYPTO_memcmp); false when the lengths differ.
bool hashesEqual(std::string_view a, std::string_view b);

// One stored key (never the key itself).
struct KeyRecord {
  std::int64_t id = 0;
  std::string name;
  Role role = Role::Readonly;
  std::string prefix;
  std::string hash;  // hex SHA-256
  std::string creator;
  SystemTime created_at{};
  std::optional<SystemTime> last_used_at;
  std::optional<SystemTime> expires_at;
  std::optional<SystemTime> revoked_at;
};

enum class KeyState { Active, Expired, Revoked };
std::string_view toString(KeyState state);
// Revoked wins over expired; a key expires at expires_at exactly.
KeyState keyState(const KeyRecord& key, SystemTime now);

// Names are what people recognise a key by in listings and audit rows: 1-64 printable
// characters without control characters.
bool validKeyName(std::string_view name);

}  // namespace vitals::hub::auth
