// NATS.c seeds its NUID generator (inbox and message-id prefixes) with OpenSSL's RAND_bytes when
// nats_Open runs. In OpenSSL 3 that first call sets up the provider and DRBG machinery and pages
// in about 1.9 MiB of libcrypto plus 0.5 MiB of small heap blocks, which an agent without https
// checks or TLS to NATS never needs otherwise (docs/benchmarks.md, "Where the agent's memory
// goes"). Defined in the executable, this RAND_bytes takes precedence over libcrypto's for every
// caller (ELF symbol interposition) and returns bytes from the kernel's CSPRNG, the same source
// OpenSSL seeds itself from. TLS code inside OpenSSL draws from RAND_bytes_ex and is unaffected.
#include <sys/random.h>

#include <cerrno>
#include <cstddef>

extern "C" int RAND_bytes(unsigned char* buf, int num) {
  if (num < 0) {
    return 0;
  }
  std::size_t done = 0;
  const auto want = static_cast<std::size_t>(num);
  while (done < want) {
    const ssize_t n = ::getrandom(buf + done, want - done, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return 0;  // OpenSSL's convention: 0 on failure; NATS.c then reports the error
    }
    done += static_cast<std::size_t>(n);
  }
  return 1;
}
