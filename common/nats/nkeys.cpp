#include "common/nats/nkeys.hpp"

#include <openssl/evp.h>
#include <sys/random.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace vitals::nkeys {
namespace {

constexpr unsigned char kPrefixSeed = 18 << 3;  // 'S'
constexpr unsigned char kPrefixUser = 20 << 3;  // 'U'
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::uint16_t crc16(const unsigned char* data, std::size_t size) {
  std::uint16_t crc = 0;
  for (std::size_t n = 0; n < size; ++n) {
    crc ^= static_cast<std::uint16_t>(data[n]) << 8;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

std::string base32NoPad(const std::vector<unsigned char>& data) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) {
    out += kAlphabet[(buffer << (5 - bits)) & 31];
  }
  return out;
}

std::optional<std::vector<unsigned char>> base32Decode(std::string_view text) {
  std::vector<unsigned char> out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= '2' && c <= '7') {
      v = c - '2' + 26;
    }
    if (v < 0) {
      return std::nullopt;
    }
    buffer = (buffer << 5) | static_cast<unsigned>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<unsigned char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

std::string withCrc(std::vector<unsigned char> raw) {
  const auto crc = crc16(raw.data(), raw.size());
  raw.push_back(static_cast<unsigned char>(crc & 0xff));
  raw.push_back(static_cast<unsigned char>(crc >> 8));
  return base32NoPad(raw);
}

}  // namespace

std::string encodePublicUser(const std::array<unsigned char, 32>& public_key) {
  std::vector<unsigned char> raw{kPrefixUser};
  raw.insert(raw.end(), public_key.begin(), public_key.end());
  return withCrc(std::move(raw));
}

std::string encodeSeedUser(const std::array<unsigned char, 32>& seed) {
  std::vector<unsigned char> raw{static_cast<unsigned char>(kPrefixSeed | (kPrefixUser >> 5)),
                                 static_cast<unsigned char>((kPrefixUser & 31) << 3)};
  raw.insert(raw.end(), seed.begin(), seed.end());
  return withCrc(std::move(raw));
}

Result<UserKeyPair> newUserKeyPair() {
  std::array<unsigned char, 32> seed{};
  std::size_t got = 0;
  while (got < seed.size()) {
    const ssize_t n = ::getrandom(seed.data() + got, seed.size() - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    }
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), 32);
  std::array<unsigned char, 32> pub{};
  std::size_t len = pub.size();
  const bool ok = key != nullptr && EVP_PKEY_get_raw_public_key(key, pub.data(), &len) == 1;
  EVP_PKEY_free(key);
  if (!ok || len != pub.size()) {
    return Error{"nkeys.derive", "cannot derive an Ed25519 public key (OpenSSL)", {}};
  }
  UserKeyPair out{encodePublicUser(pub), encodeSeedUser(seed)};
  seed.fill(0);
  return out;
}

bool isValidPublicUser(std::string_view text) {
  if (text.size() != 56 || text.front() != 'U') {
    return false;
  }
  auto raw = base32Decode(text);
  if (!raw || raw->size() != 35 || (*raw)[0] != kPrefixUser) {
    return false;
  }
  const auto crc = crc16(raw->data(), 33);
  return (*raw)[33] == (crc & 0xff) && (*raw)[34] == (crc >> 8);
}

}  // namespace vitals::nkeys
