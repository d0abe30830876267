// Precompiled header of every vitals library and program (cmake/build_speed.cmake): the standard
// headers most files use and the heavy third-party headers included by well over a hundred
// translation units (nlohmann/json, spdlog with header-only fmt, yaml-cpp). Compiled once per
// build instead of parsed again in each file. Source files still include what they use; a build
// with -DVITALS_PCH=OFF checks that.
#pragma once

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>
