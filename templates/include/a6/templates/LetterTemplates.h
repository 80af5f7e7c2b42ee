// The letter templates of a deployment: `<dir>/<name>.<lang>.xml` (Mustache producing layout XML,
// see Layout.h) and the parents and partials they share in `<dir>/partials/<name>.mustache`.
// Everything is loaded and checked once, at start-up; rendering is then Mustache (values escaped,
// which is also correct XML escaping) followed by renderLayout.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "a6/templates/Layout.h"
#include "a6/templates/Mustache.h"
#include "a6/templates/Value.h"

namespace a6::templates {

class LetterTemplates {
 public:
  // Loads and checks every template and partial. Throws a6::SourceError(Definition) with the file,
  // the line and the reason for a Mustache syntax error, a name not in letterContextNames(), a
  // partial or parent that does not exist, a file name that is not <name>.<lang>.xml with a
  // supported language, or layout XML that is invalid once rendered with sample data (then the line
  // is that of the rendered text). Throws a6::Error(Config) when the folder cannot be read.
  explicit LetterTemplates(const std::string& dir);

  std::vector<std::string> names() const;  // e.g. "letter-of-authorisation"
  bool has(const std::string& name, const std::string& lang) const;

  // The layout XML for a context (for inspection and tests). Throws a6::Error(NotFound) for an
  // unknown template or language.
  std::string renderXml(const std::string& name, const std::string& lang, const Value& context) const;

  // Mustache, then renderLayout with options.language set to `lang`.
  RenderedLetter render(const std::string& name, const std::string& lang, const Value& context,
                        const LayoutOptions& options) const;

 private:
  struct Entry {
    std::string file;
    Template tmpl;
  };
  const Entry& entry(const std::string& name, const std::string& lang) const;
  std::optional<std::string> partial(const std::string& name) const;

  std::map<std::pair<std::string, std::string>, Entry> templates_;  // (name, lang)
  std::map<std::string, std::string> partials_;                     // name -> text
};

// Every dotted name a letter template may use. Lists: ministry.address,
// request.activity.sector, request.activity.activity_type, request.authorisation.authorized_parties
// (of strings, shown with {{.}}), request.authorisation.authorized_entities and
// authorisation.changes (of maps; inside their sections the members are named bare, e.g. {{name}},
// and listed here as e.g. "request.authorisation.authorized_entities.name"). Every value is a
// display-ready string; an absent value is missing from the context.
const std::set<std::string>& letterContextNames();

// The names above that are lists.
const std::set<std::string>& letterContextLists();

// A context with every name set to `sample` (lists get one item), for checks and previews.
Value sampleLetterContext(const std::string& sample);

}  // namespace a6::templates
