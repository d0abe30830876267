#include "hub/auth/api_key.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <climits>

namespace vitals::hub::auth {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool isBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

std::string_view toString(Role role) {
  switch (role) {
    case Role::Admin:
      return "admin";
    case Role::Operator:
      return "operator";
    case Role::Readonly:
      return "readonly";
  }
  return "readonly";
}

std::optional<Role> parseRole(std::string_view text) {
  if (text == "admin") {
    return Role::Admin;
  }
  if (text == "operator") {
    return Role::Operator;
  }
  if (text == "readonly") {
    return Role::Readonly;
  }
  return std::nullopt;
}

Status OpenSslRandom::fill(std::uint8_t* out, std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX) || RAND_bytes(out, static_cast<int>(n)) != 1) {
    return Error{"auth.random", "the CSPRNG (OpenSSL RAND_bytes) failed", {}};
  }
  return okStatus();
}

std::string base64Url(const std::uint8_t* data, std::size_t n) {
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) |
                            std::uint32_t{data[i + 2]};
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

Result<std::string> generateKey(SecureRandom& random) {
  std::array<std::uint8_t, kKeyRandomBytes> bytes{};
  if (auto s = random.fill(bytes.data(), bytes.size()); !s.ok()) {
    return s.error();
  }
  return std::string(kKeyScheme) + base64Url(bytes.data(), bytes.size());
}

bool looksLikeKey(std::string_view text) {
  if (text.size() != kKeyLength || text.substr(0, kKeyScheme.size()) != kKeyScheme) {
    return false;
  }
  for (char c : text.substr(kKeyScheme.size())) {
    if (!isBase64UrlChar(c)) {
      return false;
    }
  }
  return true;
}

std::string keyPrefix(std::string_view key) { return std::string(key.substr(0, kPrefixLength)); }

std::string hashKey(std::string_view key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

bool hashesEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view toString(KeyState state) {
  switch (state) {
    case KeyState::Active:
      return "active";
    case KeyState::Expired:
      return "expired";
    case KeyState::Revoked:
      return "revoked";
  }
  return "active";
}

KeyState keyState(const KeyRecord& key, SystemTime now) {
  if (key.revoked_at && *key.revoked_at <= now) {
    return KeyState::Revoked;
  }
  if (key.expires_at && *key.expires_at <= now) {
    return KeyState::Expired;
  }
  return KeyState::Active;
}

bool validKeyName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

}  // namespace vitals::hub::auth
