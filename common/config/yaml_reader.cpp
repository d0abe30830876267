#include "common/config/yaml_reader.hpp"

#include "common/config/secret_file.hpp"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <streambuf>

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

// The items of a streamed sequence: where each lies in the file's text.
struct YamlReader::Streamed {
  struct Item {
    std::size_t line_start = 0;  // offset of the line holding the item's "- "
    std::size_t body = 0;        // offset of the item itself (after "- ")
    std::size_t end = 0;         // offset of the next item's line, or of what follows the list
    int line = 0;                // 0-based line of body
  };
  std::string key;
  std::string text;  // the whole file
  std::vector<Item> items;
};

namespace {

// An istream over a string without copying it.
class StringViewBuf : public std::streambuf {
 public:
  explicit StringViewBuf(const std::string& s) {
    char* p = const_cast<char*>(s.data());
    setg(p, p, p + s.size());
  }
};

// Finds the items of the top-level block sequence under `key` from the parser's events, without
// building a tree. layout_ok stays true only for the plain layout that can be split by lines:
// a block mapping at the top, the key once with a block sequence, no anchors or aliases.
class SequenceSplitter : public YAML::EventHandler {
 public:
  explicit SequenceSplitter(const std::string& key) : key_(key) {}

  bool layout_ok = true;
  bool found = false;
  std::vector<YAML::Mark> items;
  std::optional<YAML::Mark> after;  // first event after the sequence (the next top-level key)

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    node(mark, anchor);
    leave();
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    layout_ok = false;
    node(mark, 0);
    leave();
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    if (depth_ == 1 && expect_key_) {
      last_key_ = value;
    }
    node(mark, anchor);
    leave();
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    const bool is_value_of_key = depth_ == 1 && !expect_key_ && last_key_ == key_;
    node(mark, anchor);
    if (is_value_of_key) {
      if (style == YAML::EmitterStyle::Flow) {
        layout_ok = false;
      }
      seq_depth_ = depth_ + 1;
    }
    ++depth_;
  }
  void OnSequenceEnd() override {
    --depth_;
    if (seq_depth_ != 0 && depth_ + 1 == seq_depth_) {
      seq_depth_ = 0;
      waiting_after_ = true;
    }
    leave();
  }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    if (depth_ == 0 && style == YAML::EmitterStyle::Flow) {
      layout_ok = false;
    }
    node(mark, anchor);
    if (++depth_ == 1) {
      expect_key_ = true;  // the top-level mapping: keys and values take turns from here
    }
  }
  void OnMapEnd() override {
    --depth_;
    leave();
  }

 private:
  // A node starts at the current depth.
  void node(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != 0) {
      layout_ok = false;
    }
    if (waiting_after_) {
      after = mark;
      waiting_after_ = false;
    }
    if (depth_ == 1 && !expect_key_ && last_key_ == key_) {
      if (found) {
        layout_ok = false;  // the key twice
      }
      found = true;
    }
    if (seq_depth_ != 0 && depth_ == seq_depth_) {
      items.push_back(mark);
    }
  }
  // A node at the current depth is complete: in the top-level mapping, keys and values take
  // turns (a value that is a collection completes at its end event).
  void leave() {
    if (depth_ == 1) {
      expect_key_ = !expect_key_;
      if (expect_key_) {
        last_key_.clear();
      }
    }
  }

  const std::string& key_;
  int depth_ = 0;
  int seq_depth_ = 0;
  bool expect_key_ = true;
  bool waiting_after_ = false;
  std::string last_key_;
};

std::size_t lineStart(const std::string& text, std::size_t pos) {
  const auto nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
  return nl == std::string::npos ? 0 : nl + 1;
}

}  // namespace

YamlReader::YamlReader(YAML::Node node, std::string path, std::string file, Problems& problems)
    : YamlReader(std::move(node), std::move(path), std::move(file), problems, 0) {}

YamlReader::YamlReader(YAML::Node node, std::string path, std::string file, Problems& problems,
                       int line_offset)
    : node_(std::move(node)),
      path_(std::move(path)),
      file_(std::move(file)),
      problems_(&problems),
      line_offset_(line_offset) {}

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

std::optional<YamlReader> YamlReader::loadStringStreaming(const std::string& text,
                                                          const std::string& file,
                                                          const std::string& streamed_key,
                                                          Problems& problems) {
  SequenceSplitter splitter(streamed_key);
  try {
    StringViewBuf buf(text);
    std::istream in(&buf);
    YAML::Parser parser(in);
    parser.HandleNextDocument(splitter);
  } catch (const YAML::Exception& e) {
    problems.add(file, e.mark.is_null() ? 0 : e.mark.line + 1, "", "invalid YAML: " + e.msg);
    return std::nullopt;
  }
  auto streamed = std::make_shared<Streamed>();
  streamed->key = streamed_key;
  bool split = splitter.layout_ok && splitter.found && !splitter.items.empty();
  for (std::size_t i = 0; split && i < splitter.items.size(); ++i) {
    const auto& mark = splitter.items[i];
    Streamed::Item item;
    item.body = static_cast<std::size_t>(mark.pos);
    item.line_start = lineStart(text, item.body);
    item.line = mark.line;
    // Only "  - " before the item on its line: then the item is that line and the lines up to
    // the next item's, re-indented by blanking the dash.
    const std::string_view prefix(text.data() + item.line_start, item.body - item.line_start);
    const auto dash = prefix.find_first_not_of(' ');
    if (dash == std::string_view::npos || prefix[dash] != '-' || dash + 1 == prefix.size() ||
        prefix.find_first_not_of(' ', dash + 1) != std::string_view::npos) {
      split = false;
      break;
    }
    if (!streamed->items.empty()) {
      streamed->items.back().end = item.line_start;
    }
    streamed->items.push_back(item);
  }
  if (!split) {
    return loadString(text, file, problems);
  }
  streamed->items.back().end =
      splitter.after ? lineStart(text, static_cast<std::size_t>(splitter.after->pos)) : text.size();
  // The rest of the file with the items' lines left empty: the key stays (null), line numbers
  // stay the same.
  const std::size_t from = streamed->items.front().line_start;
  const std::size_t to = streamed->items.back().end;
  std::string rest;
  rest.reserve(text.size() - (to - from) + 1024);
  rest.append(text, 0, from);
  rest.append(
      static_cast<std::size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(from),
                                          text.begin() + static_cast<std::ptrdiff_t>(to), '\n')),
      '\n');
  rest.append(text, to, std::string::npos);
  auto root = loadString(rest, file, problems);
  if (!root) {
    return root;
  }
  streamed->text = text;
  root->streamed_ = std::move(streamed);
  return root;
}

bool YamlReader::streams(const std::string& key) const {
  return streamed_ && streamed_->key == key;
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

int YamlReader::markLine(const YAML::Mark& mark) const {
  return mark.is_null() ? 0 : mark.line + 1 + line_offset_;
}

int YamlReader::line() const { return markLine(node_.Mark()); }

int YamlReader::lineOf(const std::string& key) const {
  // yaml-cpp gives marks on values, which sit on the key's line for block mappings.
  const YAML::Node v = lookup(key);
  if (v.IsDefined() && !v.Mark().is_null()) {
    return markLine(v.Mark());
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
      problems_->add(file_, markLine(v[i].Mark()), keyPath(key) + "[" + std::to_string(i) + "]",
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
  return YamlReader(v, keyPath(key), file_, *problems_, line_offset_);
}

std::optional<std::vector<YamlReader>> YamlReader::mappings(const std::string& key) {
  std::vector<YamlReader> out;
  if (!eachMapping(key, [&out](YamlReader& item) { out.push_back(std::move(item)); })) {
    return std::nullopt;
  }
  return out;
}

bool YamlReader::eachMapping(const std::string& key, const std::function<void(YamlReader&)>& fn) {
  used_.insert(key);
  if (streams(key)) {
    std::string chunk;
    for (std::size_t i = 0; i < streamed_->items.size(); ++i) {
      const auto& item = streamed_->items[i];
      const std::string item_path = keyPath(key) + "[" + std::to_string(i) + "]";
      chunk.assign(streamed_->text, item.line_start, item.end - item.line_start);
      std::fill_n(chunk.begin(), item.body - item.line_start, ' ');  // the "- "
      YAML::Node node;
      try {
        node = YAML::Load(chunk);
      } catch (const YAML::Exception& e) {
        // Not expected (the whole file parsed), but a problem rather than a lost item.
        problems_->add(file_, item.line + 1 + (e.mark.is_null() ? 0 : e.mark.line), item_path,
                       "invalid YAML: " + e.msg);
        continue;
      }
      YamlReader reader(std::move(node), item_path, file_, *problems_, item.line);
      if (!reader.node_.IsMap()) {
        problems_->add(file_, reader.line() == 0 ? item.line + 1 : reader.line(), item_path,
                       "must be a mapping");
        continue;
      }
      fn(reader);
    }
    return true;
  }
  const YAML::Node v = lookup(key);
  if (!v.IsDefined() || v.IsNull()) {
    return false;
  }
  if (!v.IsSequence()) {
    problem(key, "must be a list");
    return false;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string item_path = keyPath(key) + "[" + std::to_string(i) + "]";
    if (!v[i].IsMap()) {
      problems_->add(file_, markLine(v[i].Mark()), item_path, "must be a mapping");
      continue;
    }
    YamlReader reader(v[i], item_path, file_, *problems_, line_offset_);
    fn(reader);
  }
  return true;
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
      problems_->add(file_, markLine(kv.second.Mark()), keyPath(key) + "." + kv.first.Scalar(),
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
      problems_->add(file_, markLine(kv.first.Mark()), keyPath(key), "unknown key");
    }
  }
}

}  // namespace vitals::config
