#include "hub/notify/signing.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace vitals::hub::notify {

std::string hmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xf]);
  }
  return out;
}

std::string webhookSignature(std::string_view secret, std::int64_t timestamp,
                             std::string_view body) {
  std::string signed_text = std::to_string(timestamp);
  signed_text += '.';
  signed_text.append(body);
  return "sha256=" + hmacSha256Hex(secret, signed_text);
}

std::vector<std::pair<std::string, std::string>> signingHeaders(std::string_view secret,
                                                                std::string_view previous_secret,
                                                                std::int64_t timestamp,
                                                                std::string_view body) {
  std::vector<std::pair<std::string, std::string>> h;
  h.emplace_back("X-Vitals-Timestamp", std::to_string(timestamp));
  if (!secret.empty()) {
    h.emplace_back("X-Vitals-Signature", webhookSignature(secret, timestamp, body));
  }
  if (!previous_secret.empty()) {
    h.emplace_back("X-Vitals-Signature-Previous",
                   webhookSignature(previous_secret, timestamp, body));
  }
  return h;
}

}  // namespace vitals::hub::notify
