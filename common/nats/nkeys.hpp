#pragma once
// NKEY user identities (Ed25519, encoded as the nkeys library does): one implementation for
// `vitalsctl nats-config --auth nkey`, `vitals-agent enroll` (the node makes its own key pair;
// the seed never leaves it) and the hub (which checks the public keys agents send).
//
// Encoding: base32 without padding of prefix byte(s) + 32-byte key + CRC-16 (XMODEM, little
// endian). A user public key starts with 'U' (56 characters), a user seed with "SU" (58).
#include <array>
#include <string>
#include <string_view>

#include "common/error/result.hpp"

namespace vitals::nkeys {

struct UserKeyPair {
  std::string public_key;  // "U..."
  std::string seed;        // "SU..." (secret)
};

std::string encodePublicUser(const std::array<unsigned char, 32>& public_key);
std::string encodeSeedUser(const std::array<unsigned char, 32>& seed);

// A fresh key pair: 32 seed bytes from getrandom(2), the public key derived with OpenSSL.
Result<UserKeyPair> newUserKeyPair();

// True when text is a well-formed NKEY user public key: 'U', valid base32, 32 key bytes and a
// matching checksum. Anything else (a seed, an account key, a typo) is false.
bool isValidPublicUser(std::string_view text);

}  // namespace vitals::nkeys
