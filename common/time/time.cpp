#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "common/time/clock.hpp"

namespace vitals {

std::string formatRfc3339(SystemTime t) {
  using namespace std::chrono;
  // Written digit by digit from the civil calendar (no gmtime_r/snprintf): the API formats two
  // timestamps per check when it lists services, tens of thousands per request.
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> hms{ms - day};
  const int y = static_cast<int>(ymd.year());
  if (y < 0 || y > 9999) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ", y,
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                  static_cast<long>(hms.seconds().count()),
                  static_cast<long>(hms.subseconds().count()));
    return buf;
  }
  char out[25] = "0000-00-00T00:00:00.000Z";
  const auto put = [&](int at, long v, int width) {
    for (int i = at + width - 1; i >= at; --i, v /= 10) {
      out[i] = static_cast<char>('0' + v % 10);
    }
  };
  put(0, y, 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, hms.hours().count(), 2);
  put(14, hms.minutes().count(), 2);
  put(17, static_cast<long>(hms.seconds().count()), 2);
  put(20, static_cast<long>(hms.subseconds().count()), 3);
  return std::string(out, 24);
}

bool parseRfc3339(const std::string& text, SystemTime& out) {
  int y, mo, d, h, mi, s;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s,
                  &consumed) != 6) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return false;
  }
  std::size_t pos = static_cast<std::size_t>(consumed);
  long long nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    long long scale = 100'000'000;
    std::size_t digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (scale > 0) {
        nanos += (text[pos] - '0') * scale;
        scale /= 10;
      }
      ++pos;
      ++digits;
    }
    if (digits == 0) {
      return false;
    }
  }
  long offset_secs = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59) {
      return false;
    }
    offset_secs = (oh * 3600L + om * 60L) * (text[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != text.size()) {
    return false;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const std::time_t secs = timegm(&tm);
  out = SystemTime{std::chrono::seconds{secs - offset_secs}} +
        std::chrono::duration_cast<SystemTime::duration>(std::chrono::nanoseconds{nanos});
  return true;
}

}  // namespace vitals
