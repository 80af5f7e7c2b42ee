// Mustache (https://mustache.github.io spec v1.3 with the optional inheritance module): variables
// (escaped and raw), sections, inverted sections, comments, partials, set delimiters, parents and
// blocks. Written here because no Debian-packaged C++ Mustache library supports inheritance.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "a6/templates/Value.h"

namespace a6::templates {

// Looks up a partial (or parent) template by name; nothing when unknown (it then renders as "").
using PartialLoader = std::function<std::optional<std::string>(const std::string& name)>;

// A parsed template. Parsing reports syntax errors as a6::SourceError(Definition) with the
// template's name, the line and the reason (unclosed tag, mismatched section, bad delimiters).
class Template {
 public:
  static Template parse(const std::string& text, const std::string& name = "template");
  std::string render(const Value& context, const PartialLoader& partials = {}) const;

  // Every variable and section name the template uses (dotted names as written), for checking a
  // template against the fields it may use.
  std::vector<std::string> names() const;

  struct Node;
  // Partials and parents parsed on first use, shared by copies of the template and reused for as
  // long as the loader returns the same text; rendering from several threads at once is safe.
  struct PartialCache;

 private:
  std::shared_ptr<const Node> root_;
  std::string name_;
  std::shared_ptr<PartialCache> partials_;
};

// Parse and render in one step.
std::string renderMustache(const std::string& text, const Value& context, const PartialLoader& partials = {});

}  // namespace a6::templates
