// What the letter and email template folders share: reading a template file within a size limit,
// the names template files may have, and the Mustache tags of a source with their lines (the
// parsed Template keeps no lines, and a load-time error should name one).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace a6::templates::source {

// The file's text; a6::Error(Config) naming `what` when it cannot be read, a6::SourceError when it
// is larger than 256 KiB.
std::string readTemplateFile(const std::filesystem::path& path, const std::string& what);

// Lower-case letters, digits, '-' and '_'.
bool validTemplateName(const std::string& name);

// One tag as written with the default delimiters: its sigil ('v' for an escaped variable, '{' or
// '&' unescaped, '#', '^', '/', '>', '<', '$', '!', '='), its trimmed name and its line.
struct Tag {
  char sigil;
  std::string name;
  int line;
};

// Every tag of `text`. Templates that change delimiters only lose the line numbers of later tags.
std::vector<Tag> scanTags(const std::string& text);

// The line of the first tag that uses `name` as a value or section, or 0.
int lineOfName(const std::vector<Tag>& tags, const std::string& name);

}  // namespace a6::templates::source
