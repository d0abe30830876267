#pragma once
// Performance data of monitoring plugins (the Nagios plugin API, as Icinga reads it):
//   'label'=value[UOM];[warn];[crit];[min];[max]   items separated by spaces
// parsed into labelled numbers so they can be stored and charted. Parsing never fails as a
// whole: an item that does not follow the format is skipped and named in `problems`.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vitals::perfdata {

struct Value {
  std::string label;
  std::optional<double> value;  // none for "U" (the plugin could not determine it)
  std::string unit;             // as written: "", "s", "ms", "%", "B", "KB", "c", ...
  std::string warn;             // threshold ranges as written ("10", "10:20", "@~:5"); "" = none
  std::string crit;
  std::optional<double> min;
  std::optional<double> max;
};

struct Parsed {
  std::vector<Value> values;
  std::vector<std::string> problems;  // one line per skipped item, naming it
};

// At most `max_items` values are kept (the rest are counted in problems): plugin output is
// untrusted.
Parsed parse(std::string_view text, std::size_t max_items = 64);

}  // namespace vitals::perfdata
