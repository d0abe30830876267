#pragma once
// libprotobuf logs every refused string field (invalid UTF-8) to stderr: millions of lines under
// a fuzzer, and most of its time. The decoders report those refusals as values anyway.
#include <google/protobuf/stubs/logging.h>

namespace vitals::fuzz {

inline void quietProtobuf() { google::protobuf::SetLogHandler(nullptr); }

}  // namespace vitals::fuzz
