#include "TemplateSource.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string_view>

#include "a6/core/Error.h"

namespace a6::templates::source {

namespace fs = std::filesystem;

namespace {
constexpr size_t kMaxTemplateBytes = 256 * 1024;
}  // namespace

std::string readTemplateFile(const fs::path& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::Config, path.string() + ": cannot read the " + what);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxTemplateBytes) {
    throw SourceError(ErrorCode::Definition, path.string(), 0, "the template is larger than 256 KiB");
  }
  return text.str();
}

bool validTemplateName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::vector<Tag> scanTags(const std::string& text) {
  std::vector<Tag> tags;
  int line = 1;
  size_t pos = 0;
  for (;;) {
    const size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    line += static_cast<int>(std::count(text.begin() + static_cast<std::ptrdiff_t>(pos),
                                        text.begin() + static_cast<std::ptrdiff_t>(open), '\n'));
    const bool triple = open + 2 < text.size() && text[open + 2] == '{';
    const size_t close = text.find(triple ? "}}}" : "}}", open + 2);
    if (close == std::string::npos) break;  // the parser reports it
    const size_t end = close + (triple ? 3 : 2);
    std::string inner = text.substr(open + 2, close - open - 2);
    char sigil = 'v';
    size_t first = inner.find_first_not_of(" \t");
    if (first != std::string::npos && std::string_view("#^/&{><$!=").find(inner[first]) != std::string_view::npos) {
      sigil = inner[first];
      ++first;
    }
    const size_t start = first == std::string::npos ? std::string::npos : inner.find_first_not_of(" \t", first);
    const size_t last = inner.find_last_not_of(" \t");
    std::string name = start == std::string::npos || last == std::string::npos || last < start
                           ? std::string()
                           : inner.substr(start, last - start + 1);
    tags.push_back(Tag{sigil, std::move(name), line});
    line += static_cast<int>(std::count(text.begin() + static_cast<std::ptrdiff_t>(open),
                                        text.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
    pos = end;
  }
  return tags;
}

int lineOfName(const std::vector<Tag>& tags, const std::string& name) {
  for (const Tag& t : tags) {
    if (t.name == name && std::string_view("v{&#^").find(t.sigil) != std::string_view::npos) return t.line;
  }
  return 0;
}

}  // namespace a6::templates::source
