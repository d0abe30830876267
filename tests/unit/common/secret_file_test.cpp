#include "common/config/secret_file.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using namespace vitals;

namespace {

// A file in a fresh directory under the system temp dir, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    dir_ = std::filesystem::temp_directory_path() /
           ("vitals-secret-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "secret").string();
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

}  // namespace

TEST_CASE("a secret is the file's content without the trailing newline", "[common][unit]") {
  TempFile f{"s3cret\n"};
  auto s = config::readSecretFile(f.path());
  REQUIRE(s.ok());
  CHECK(s.value() == "s3cret");
}

TEST_CASE("a secret keeps leading and inner whitespace and loses trailing CR, LF and blanks",
          "[common][unit]") {
  CHECK(config::trimSecret("  pass word \r\n\n") == "  pass word");
  CHECK(config::trimSecret("\n") == "");
  CHECK(config::trimSecret("") == "");
  CHECK(config::trimSecret("abc") == "abc");
}

TEST_CASE("an unreadable secret file is an error naming the path", "[common][unit]") {
  auto s = config::readSecretFile("/nonexistent/vitals/secret");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == "config.secret");
  CHECK(s.error().context == "/nonexistent/vitals/secret");
}

TEST_CASE("readTextFile returns the bytes of the file unchanged", "[common][unit]") {
  TempFile f{"line 1\r\nline 2\n\n"};
  auto t = config::readTextFile(f.path());
  REQUIRE(t.ok());
  CHECK(t.value() == "line 1\r\nline 2\n\n");
  CHECK_FALSE(config::readTextFile("/nonexistent/vitals/file").ok());
}
