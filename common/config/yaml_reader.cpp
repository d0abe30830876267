#include "common/config/yaml_reader.hpp"

#include "common/config/secret_file.hpp"

#include <cctype>
#include <sstream>

namespace vitals::config {

std::string Problem::format() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
  }
  out += ": ";
  if (!path.empty()) {
    out += path + ": ";
  }
  return out + message;
}

std::string Problems::format() const {
  std::string out;
  for (const auto& p : list_) {
    out += p.format() + "\n";
  }
  return out;
}

YamlReader::YamlReader(YAML::Node node, std::string path, std::string file, Problems& problems)
    : node_(std::move(node)),
      path_(std::move(path)),
      file_(std::move(file)),
      problems_(&problems) {}

std::optional<YamlReader> YamlReader::loadString(const std::string& text, const std::string& file,
                                                 Problems& problems) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    problems.add(file, e.mark.is_null() ? 0 : e.mark.line + 1, "", "invalid YAML: " + e.msg);
    return std::nullopt;
  }
  if (root.IsNull()) {
    root = YAML::Node(YAML::NodeType::Map);
  }
  if (!root.IsMap()) {
    problems.add(file, root.Mark().line + 1, "", "the top level must be a mapping of keys");
    return std::nullopt;
  }
  return YamlReader(root, "", file, problems);
}

std::optional<YamlReader> YamlReader::loadFile(const std::string& file, Problems& problems) {
  auto text = readTextFile(file);
  if (!text.ok()) {
    problems.add(file, 0, "", "cannot read file");
    return std::nullopt;
  }
  return loadString(text.value(), file, problems);
}

bool YamlReader::has(const std::string& key) const { return lookup(key).IsDefined(); }

std::vector<std::string> YamlReader::keys() const {
  std::vector<std::string> out;
  for (const auto& kv : node_) {
    out.push_back(kv.first.Scalar());
  }
  return out;
}

std::string YamlReader::keyPath(const std::string& key) const {
  if (path_.empty()) return key;
  if (key.empty()) return path_;
  return path_ + "." + key;
}

int YamlReader::line() const { return node_.Mark().is_null() ? 0 : node_.Mark().line + 1; }

int YamlReader::lineOf(const std::string& key) const {
  // yaml-cpp gives marks on values, which sit on the key's line for block mappings.
  const YAML::Node v = lookup(key);
  if (v.IsDefined() && !v.Mark().is_null()) {
    return v.Mark().line + 1;
  }
  return line();
}

void YamlReader::problem(const std::string& key, const std::string& message) {
  problems_->add(file_, key.empty() ? line() : lineOf(key), keyPath(key), message);
}

std::optional<std::string> YamlReader::str(const std::string& key) {
  used_.insert(key);
  const YAML::Node v = lookup(key);
  if (!v.IsDefined() || v.IsNull()) {
    return std::nullopt;
  }
  if (!v.IsScalar()) {
    problem(key, "must be a string");
    return std::nullopt;
  }
  return v.Scalar();
}

std::string YamlReader::str(const std::string& key, const std::string& fallback) {
  auto v = str(key);
  return v ? *v : fallback;
}

std::optional<std::int64_t> YamlReader::integer(const std::string& key, std::int64_t min,
                                                std::int64_t max) {
  auto s = str(key);
  if (!s) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  std::size_t pos = 0;
  try {
    value = std::stoll(*s, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos == 0 || pos != s->size()) {
    problem(key, "must be an integer, got \"" + *s + "\"");
    return std::nullopt;
  }
  if (value < min || value > max) {
    problem(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                     ", got " + std::to_string(value));
    return std::nullopt;
  }
  return value;
}

std::int64_t YamlReader::integer(const std::string& key, std::int64_t fallback, std::int64_t min,
                                 std::int64_t max) {
  auto v = integer(key, min, max);
  return v ? *v : fallback;
}

std::optional<bool> YamlReader::boolean(const std::string& key) {
  auto s = str(key);
  if (!s) {
    return std::nullopt;
  }
  if (*s == "true" || *s == "yes" || *s == "on") return true;
  if (*s == "false" || *s == "no" || *s == "off") return false;
  problem(key, "must be true or false, got \"" + *s + "\"");
  return std::nullopt;
}

bool YamlReader::boolean(const std::string& key, bool fallback) {
  auto v = boolean(key);
  return v ? *v : fallback;
}

std::optional<std::chrono::milliseconds> YamlReader::duration(const std::string& key,
                                                              std::chrono::milliseconds min,
                                                              std::chrono::milliseconds max) {
  auto s = str(key);
  if (!s) {
    return std::nullopt;
  }
  auto d = parseDuration(*s);
  if (!d) {
    problem(key, "must be a duration such as 500ms, 30s, 5m, 1h, got \"" + *s + "\"");
    return std::nullopt;
  }
  if (*d < min || *d > max) {
    problem(key, "must be between " + formatDuration(min) + " and " + formatDuration(max) +
                     ", got " + *s);
    return std::nullopt;
  }
  return d;
}

std::chrono::milliseconds YamlReader::duration(const std::string& key,
                                               std::chrono::milliseconds fallback,
                                               std::chrono::milliseconds min,
                                               std::chrono::milliseconds max) {
  auto v = duration(key, min, max);
  return v ? *v : fallback;
}

std::optional<std::vector<std::string>> YamlReader::strings(const std::string& key) {
  used_.insert(key);
  const YAML::Node v = lookup(key);
  if (!v.IsDefined() || v.IsNull()) {
    return std::nullopt;
  }
  if (!v.IsSequence()) {
    problem(key, "must be a list");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsScalar()) {
      problems_->add(file_, v[i].Mark().line + 1, keyPath(key) + "[" + std::to_string(i) + "]",
                     "must be a string");
      return std::nullopt;
    }
    out.push_back(v[i].Scalar());
  }
  return out;
}

std::optional<std::vector<std::int64_t>> YamlReader::integers(const std::string& key,
                                                              std::int64_t min, std::int64_t max) {
  auto items = strings(key);
  if (!items) {
    return std::nullopt;
  }
  std::vector<std::int64_t> out;
  for (const auto& s : *items) {
    std::size_t pos = 0;
    std::int64_t value = 0;
    try {
      value = std::stoll(s, &pos);
    } catch (...) {
      pos = 0;
    }
    if (pos == 0 || pos != s.size() || value < min || value > max) {
      problem(key, "every item must be an integer between " + std::to_string(min) + " and " +
                       std::to_string(max) + ", got \"" + s + "\"");
      return std::nullopt;
    }
    out.push_back(value);
  }
  return out;
}

std::optional<YamlReader> YamlReader::mapping(const std::string& key) {
  used_.insert(key);
  const YAML::Node v = lookup(key);
  if (!v.IsDefined() || v.IsNull()) {
    return std::nullopt;
  }
  if (!v.IsMap()) {
    problem(key, "must be a mapping");
    return std::nullopt;
  }
  return YamlReader(v, keyPath(key), file_, *problems_);
}

std::optional<std::vector<YamlReader>> YamlReader::mappings(const std::string& key) {
  used_.insert(key);
  const YAML::Node v = lookup(key);
  if (!v.IsDefined() || v.IsNull()) {
    return std::nullopt;
  }
  if (!v.IsSequence()) {
    problem(key, "must be a list");
    return std::nullopt;
  }
  std::vector<YamlReader> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string item_path = keyPath(key) + "[" + std::to_string(i) + "]";
    if (!v[i].IsMap()) {
      problems_->add(file_, v[i].Mark().line + 1, item_path, "must be a mapping");
      continue;
    }
    out.emplace_back(v[i], item_path, file_, *problems_);
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> YamlReader::stringMap(
    const std::string& key) {
  used_.insert(key);
  const YAML::Node v = lookup(key);
  if (!v.IsDefined() || v.IsNull()) {
    return std::nullopt;
  }
  if (!v.IsMap()) {
    problem(key, "must be a mapping of names to strings");
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : v) {
    if (!kv.second.IsScalar()) {
      problems_->add(file_, kv.second.Mark().line + 1, keyPath(key) + "." + kv.first.Scalar(),
                     "must be a string");
      continue;
    }
    out.emplace_back(kv.first.Scalar(), kv.second.Scalar());
  }
  return out;
}

void YamlReader::finish() {
  for (const auto& kv : node_) {
    const std::string key = kv.first.Scalar();
    if (used_.count(key) == 0) {
      problems_->add(file_, kv.first.Mark().line + 1, keyPath(key), "unknown key");
    }
  }
}

}  // namespace vitals::config
