#pragma once
// Secrets (passwords, API keys, HMAC keys, DSNs) come from files, never inline in a config. One
// reader for all of them, so every binary treats a secret file the same way: the content with
// trailing whitespace (the newline an editor or `echo` adds, a CR from Windows) removed. Leading
// and inner whitespace are kept. File permissions are not checked here (docs/security.md says
// how to store them).
#include <string>

#include "common/error/result.hpp"

namespace vitals::config {

// The whole file as text; "io" error (context: the path) when it cannot be opened.
Result<std::string> readTextFile(const std::string& path);

// A secret file's content as the secret: trailing whitespace removed.
std::string trimSecret(std::string content);

// readTextFile + trimSecret; "config.secret" error (context: the path) when unreadable.
Result<std::string> readSecretFile(const std::string& path);

}  // namespace vitals::config
