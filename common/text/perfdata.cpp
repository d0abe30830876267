#include "common/text/perfdata.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

namespace vitals::perfdata {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t'; }

// A plain decimal number as plugins write it ("1", "-0.5", "1e3", "3,5" is not one).
std::optional<double> number(std::string_view s) {
  if (s.empty()) {
    return std::nullopt;
  }
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

// The longest prefix of `s` that is a number; the rest is the unit.
std::size_t numberPrefix(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
    ++i;
  }
  bool digits = false;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
    digits = digits || s[i] != '.';
    ++i;
  }
  // An exponent only when digits follow it ("1e3"), so a unit starting with 'e' is not eaten.
  if (digits && i + 1 < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < s.size() && (s[j] == '-' || s[j] == '+')) {
      ++j;
    }
    if (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) {
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) {
        ++j;
      }
      i = j;
    }
  }
  return digits ? i : 0;
}

bool validRange(std::string_view r) {
  if (r.empty()) {
    return true;
  }
  if (r.front() == '@') {
    r.remove_prefix(1);
  }
  const auto colon = r.find(':');
  if (colon == std::string_view::npos) {
    return number(r).has_value();
  }
  const auto lo = r.substr(0, colon);
  const auto hi = r.substr(colon + 1);
  return (lo.empty() || lo == "~" || number(lo)) && (hi.empty() || number(hi));
}

// Splits "a;b;c" into at most five fields.
std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    const auto semi = s.find(';');
    out.push_back(s.substr(0, semi));
    if (semi == std::string_view::npos) {
      break;
    }
    s.remove_prefix(semi + 1);
  }
  return out;
}

}  // namespace

Parsed parse(std::string_view text, std::size_t max_items) {
  Parsed out;
  std::size_t skipped_over_limit = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && isSpace(text[i])) {
      ++i;
    }
    if (i >= text.size()) {
      break;
    }
    const std::size_t item_start = i;
    // The label: quoted ('' is a quote inside) or up to '='.
    std::string label;
    bool ok = true;
    if (text[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '\'') {
          if (i + 1 < text.size() && text[i + 1] == '\'') {
            label += '\'';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        label += text[i++];
      }
      ok = closed && i < text.size() && text[i] == '=';
      if (!closed) {
        i = item_start;  // an unclosed quote spoils only its own item
      }
    } else {
      while (i < text.size() && text[i] != '=' && !isSpace(text[i])) {
        label += text[i++];
      }
      ok = i < text.size() && text[i] == '=';
    }
    // The rest of the item runs to the next space.
    const std::size_t eq = i;
    std::size_t end = i;
    while (end < text.size() && !isSpace(text[end])) {
      ++end;
    }
    const auto item = text.substr(item_start, end - item_start);
    i = end;
    if (!ok || label.empty()) {
      out.problems.push_back("\"" + std::string(item) + "\": not label=value");
      continue;
    }
    const auto parts = fields(text.substr(eq + 1, end - eq - 1));
    Value v;
    v.label = std::move(label);
    const auto& first = parts[0];
    if (first == "U") {
      v.value = std::nullopt;
    } else {
      const auto n = numberPrefix(first);
      const auto value = n > 0 ? number(first.substr(0, n)) : std::nullopt;
      const auto unit = first.substr(n);
      const bool unit_ok =
          unit.size() <= 8 && unit.find_first_of("0123456789;=") == std::string_view::npos;
      if (!value || !unit_ok) {
        out.problems.push_back("\"" + std::string(item) + "\": the value is not a number");
        continue;
      }
      v.value = value;
      v.unit = std::string(unit);
    }
    if (parts.size() > 5) {
      out.problems.push_back("\"" + std::string(item) + "\": more than five fields");
      continue;
    }
    const auto field = [&parts](std::size_t k) {
      return k < parts.size() ? parts[k] : std::string_view{};
    };
    if (!validRange(field(1)) || !validRange(field(2))) {
      out.problems.push_back("\"" + std::string(item) + "\": a threshold is not a range");
      continue;
    }
    v.warn = std::string(field(1));
    v.crit = std::string(field(2));
    const auto bound = [&](std::size_t k, std::optional<double>& into) {
      if (field(k).empty()) {
        return true;
      }
      into = number(field(k));
      return into.has_value();
    };
    if (!bound(3, v.min) || !bound(4, v.max)) {
      out.problems.push_back("\"" + std::string(item) + "\": min or max is not a number");
      continue;
    }
    if (out.values.size() >= max_items) {
      ++skipped_over_limit;
      continue;
    }
    out.values.push_back(std::move(v));
  }
  if (skipped_over_limit > 0) {
    out.problems.push_back(std::to_string(skipped_over_limit) + " value(s) over the limit of " +
                           std::to_string(max_items) + " dropped");
  }
  return out;
}

}  // namespace vitals::perfdata
