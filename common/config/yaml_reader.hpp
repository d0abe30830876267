#pragma once
// Strict YAML reading: every problem is collected (not thrown) with file, line and field path,
// and keys nobody asked for are reported as unknown. Used by agent and hub config loaders.
//
//   Problems problems;
//   auto root = YamlReader::loadFile(path, problems);
//   if (root) { auto id = root->str("agent_id"); ...; root->finish(); }
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/time/duration_format.hpp"

namespace vitals::config {

struct Problem {
  std::string file;
  int line = 0;  // 1-based; 0 = whole file
  std::string path;
  std::string message;
  // "agent.yaml:14: checks[2].interval: must be > 0s"
  std::string format() const;
};

class Problems {
 public:
  void add(std::string file, int line, std::string path, std::string message) {
    list_.push_back(Problem{std::move(file), line, std::move(path), std::move(message)});
  }
  bool empty() const { return list_.empty(); }
  const std::vector<Problem>& list() const { return list_; }
  std::string format() const;  // one problem per line

 private:
  std::vector<Problem> list_;
};

// Durations live in common/time/duration_format.hpp; these names keep config code that reads
// them next to YAML short.
using ::vitals::formatDuration;
using ::vitals::parseDuration;

// A view on one YAML mapping. Reading a key marks it as known; finish() reports the rest.
class YamlReader {
 public:
  YamlReader(YAML::Node node, std::string path, std::string file, Problems& problems);

  static std::optional<YamlReader> loadFile(const std::string& file, Problems& problems);
  static std::optional<YamlReader> loadString(const std::string& text, const std::string& file,
                                              Problems& problems);
  // Like loadString, but the items of the top-level sequence `streamed_key` (e.g. "checks") are
  // not kept in the tree: eachMapping(streamed_key) parses them one at a time, so a file with
  // thousands of items never holds all their trees at once. Problems carry the same file, line
  // and path as with loadString. When the sequence is not laid out with one "- " item per line
  // start, or the file uses anchors or aliases, the whole file is one tree as with loadString.
  static std::optional<YamlReader> loadStringStreaming(const std::string& text,
                                                       const std::string& file,
                                                       const std::string& streamed_key,
                                                       Problems& problems);
  // Whether this reader parses `key`'s items one at a time (see loadStringStreaming).
  bool streams(const std::string& key) const;

  bool has(const std::string& key) const;
  // The keys of this mapping in document order (for maps keyed by user names, e.g. services).
  std::vector<std::string> keys() const;
  std::optional<std::string> str(const std::string& key);
  std::string str(const std::string& key, const std::string& fallback);
  std::optional<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max);
  std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  std::optional<bool> boolean(const std::string& key);
  bool boolean(const std::string& key, bool fallback);
  // Duration within [min, max]; an out-of-range value is reported and nullopt returned.
  std::optional<std::chrono::milliseconds> duration(const std::string& key,
                                                    std::chrono::milliseconds min,
                                                    std::chrono::milliseconds max);
  std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds fallback,
                                     std::chrono::milliseconds min, std::chrono::milliseconds max);
  std::optional<std::vector<std::string>> strings(const std::string& key);
  std::optional<std::vector<std::int64_t>> integers(const std::string& key, std::int64_t min,
                                                    std::int64_t max);
  std::optional<YamlReader> mapping(const std::string& key);
  // A sequence of mappings; nullopt if absent or not a sequence.
  std::optional<std::vector<YamlReader>> mappings(const std::string& key);
  // Calls fn with a reader on each mapping of the sequence under key, in order (an item that is
  // not a mapping is reported as by mappings()). A streamed key's items are parsed one at a time
  // and freed after fn returns. Returns false if key is absent or not a sequence.
  bool eachMapping(const std::string& key, const std::function<void(YamlReader&)>& fn);
  // key -> string map (e.g. headers, labels).
  std::optional<std::vector<std::pair<std::string, std::string>>> stringMap(const std::string& key);

  // Reports a problem on this mapping's key (or on the mapping itself when key is empty).
  void problem(const std::string& key, const std::string& message);
  // Reports every key that was not read as "unknown key".
  void finish();

  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  int line() const;
  // 1-based file line of a mark of this reader's tree (0 for a null mark).
  int markLine(const YAML::Mark& mark) const;
  Problems& problems() { return *problems_; }
  // The mapping itself (read-only), for code that walks it without a reader.
  const YAML::Node& node() const { return node_; }

 private:
  struct Streamed;
  YamlReader(YAML::Node node, std::string path, std::string file, Problems& problems,
             int line_offset);
  std::string keyPath(const std::string& key) const;
  int lineOf(const std::string& key) const;
  // Looks a key up without changing the document: yaml-cpp's non-const operator[] allocates a
  // node for every missing key it is asked about (about 4 KiB per check in a large config).
  YAML::Node lookup(const std::string& key) const { return node_[key]; }
  YAML::Node node_;
  std::string path_;
  std::string file_;
  Problems* problems_;
  std::set<std::string> used_;
  // Lines before this tree's first line in the file (an item parsed on its own).
  int line_offset_ = 0;
  std::shared_ptr<const Streamed> streamed_;
};

}  // namespace vitals::config
