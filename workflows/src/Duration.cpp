#include "a6/workflows/Duration.h"

#include <cctype>
#include <limits>

#include "a6/core/Error.h"

namespace a6::workflows {
namespace {

[[noreturn]] void fail(const std::string& text, const std::string& why) {
  throw Error(ErrorCode::Invalid, "duration '" + text + "': " + why);
}

}  // namespace

std::chrono::seconds parseDuration(const std::string& text) {
  if (text.size() < 3 || text[0] != 'P') fail(text, "must start with P and name at least one part");
  long long total = 0;
  bool inTime = false;
  bool anyPart = false;
  std::string order = "WD";  // designators allowed from here on, in order
  std::size_t i = 1;
  while (i < text.size()) {
    if (text[i] == 'T') {
      if (inTime) fail(text, "T appears twice");
      inTime = true;
      order = "HMS";
      ++i;
      if (i == text.size()) fail(text, "T must be followed by a time part");
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) fail(text, "expected a number");
    long long value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (value > 1'000'000'000LL) fail(text, "number too large");
      value = value * 10 + (text[i] - '0');
      ++i;
    }
    if (i == text.size()) fail(text, "number without a designator");
    char unit = text[i++];
    if (!inTime && (unit == 'Y' || unit == 'M')) fail(text, "years and months are not allowed; use days");
    auto pos = order.find(unit);
    if (pos == std::string::npos) fail(text, std::string("unexpected designator '") + unit + "'");
    order = order.substr(pos + 1);
    long long factor = 1;
    switch (unit) {
      case 'W':
        factor = 7 * 86400;
        break;
      case 'D':
        factor = 86400;
        break;
      case 'H':
        factor = 3600;
        break;
      case 'M':
        factor = 60;
        break;
      case 'S':
        factor = 1;
        break;
    }
    total += value * factor;
    anyPart = true;
  }
  if (!anyPart) fail(text, "no parts");
  if (total <= 0) fail(text, "must be longer than zero");
  return std::chrono::seconds(total);
}

std::string formatDuration(std::chrono::seconds d) {
  long long s = d.count();
  std::string out = "P";
  if (s >= 86400) {
    out += std::to_string(s / 86400) + "D";
    s %= 86400;
  }
  if (s > 0) {
    out += "T";
    if (s >= 3600) out += std::to_string(s / 3600) + "H";
    s %= 3600;
    if (s >= 60) out += std::to_string(s / 60) + "M";
    s %= 60;
    if (s > 0) out += std::to_string(s) + "S";
  }
  if (out == "P") out = "PT0S";
  return out;
}

}  // namespace a6::workflows
