#include "common/config/secret_file.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

namespace vitals::config {

Result<std::string> readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{"io", "no such file or not readable", path};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return Error{"io", "read failed", path};
  }
  return ss.str();
}

std::string trimSecret(std::string content) {
  while (!content.empty() && std::isspace(static_cast<unsigned char>(content.back()))) {
    content.pop_back();
  }
  return content;
}

Result<std::string> readSecretFile(const std::string& path) {
  auto text = readTextFile(path);
  if (!text.ok()) {
    return Error{"config.secret", "cannot read secret file", path};
  }
  return trimSecret(std::move(text.value()));
}

}  // namespace vitals::config
