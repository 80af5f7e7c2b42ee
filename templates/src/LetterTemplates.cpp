// Loads a folder of letter templates and refuses, at start-up, anything that would only fail when
// a letter is issued: syntax errors, names the service never provides, missing partials, and
// layout XML that breaks once values are filled in.
#include "a6/templates/LetterTemplates.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include "a6/core/Error.h"
#include "a6/templates/Locale.h"
#include "TemplateSource.h"

namespace a6::templates {

namespace {

namespace fs = std::filesystem;
using source::lineOfName;
using source::scanTags;
using source::Tag;

// A name is known when the service provides it, or when it is a member of a list of maps whose
// section the template opens (inside {{#…authorized_entities}}, {{name}} is the entity's name).
bool knownName(const std::string& name, const std::vector<std::string>& used) {
  const auto& known = letterContextNames();
  if (known.count(name)) return true;
  for (const std::string& list : letterContextLists()) {
    if (known.count(list + "." + name) && std::find(used.begin(), used.end(), list) != used.end()) return true;
  }
  return false;
}

// Checks the names and partial references of one template or partial.
Template checkTemplate(const std::string& text, const std::string& file,
                       const std::map<std::string, std::string>& partials) {
  Template tmpl = Template::parse(text, file);
  const std::vector<std::string> used = tmpl.names();
  const std::vector<Tag> tags = scanTags(text);
  for (const std::string& name : used) {
    if (!knownName(name, used)) {
      throw SourceError(ErrorCode::Definition, file, lineOfName(tags, name),
                        "unknown name '" + name + "': letters are rendered with the names of letterContextNames()");
    }
  }
  for (const Tag& t : tags) {
    if ((t.sigil == '>' || t.sigil == '<') && !partials.count(t.name)) {
      throw SourceError(ErrorCode::Definition, file, t.line,
                        std::string(t.sigil == '<' ? "parent" : "partial") + " '" + t.name +
                            "' does not exist (expected partials/" + t.name + ".mustache)");
    }
  }
  return tmpl;
}

}  // namespace

const std::set<std::string>& letterContextNames() {
  static const std::set<std::string> kNames = {
      "letter.reference",
      "letter.date",
      "letter.place",
      "letter.language",
      "letter.verification_url",
      "letter.qr_payload",
      "letter.title",
      "party.code",
      "party.name",
      "ministry.name",
      "ministry.department",
      "ministry.address",
      "ministry.city",
      "signatory.name",
      "signatory.title",
      "signatory.role",
      "request.id",
      "request.applicant.organisation",
      "request.applicant.contact_name",
      "request.applicant.contact_email",
      "request.activity.title",
      "request.activity.description",
      "request.activity.host_country",
      "request.activity.region",
      "request.activity.sector",
      "request.activity.activity_type",
      "request.activity.standard",
      "request.activity.methodology",
      "request.activity.design_document_ref",
      "request.activity.crediting_period.from",
      "request.activity.crediting_period.to",
      "request.authorisation.cooperative_approach_id",
      "request.authorisation.requested_quantity",
      "request.authorisation.authorized_quantity",
      "request.authorisation.metric",
      "request.authorisation.gwp_values",
      "request.authorisation.non_ghg_metric",
      "request.authorisation.non_ghg_unit",
      "request.authorisation.purposes",
      "request.authorisation.oimp_authorized",
      "request.authorisation.first_transfer_definition",
      "request.authorisation.authorized_parties",
      "request.authorisation.authorized_entities",
      "request.authorisation.authorized_entities.name",
      "request.authorisation.authorized_entities.country",
      "request.authorisation.authorized_entities.identification_number",
      "request.authorisation.authorized_entities.conditions",
      "request.authorisation.authorized_entities.change_and_revocation_conditions",
      "request.authorisation.timeframe.mitigation_from",
      "request.authorisation.timeframe.mitigation_to",
      "request.authorisation.timeframe.use_from",
      "request.authorisation.timeframe.use_to",
      "request.authorisation.vintages.from",
      "request.authorisation.vintages.to",
      "request.authorisation.underlying_unit_registry",
      "request.authorisation.terms_and_conditions",
      "request.authorisation.additional_information",
      "authorisation.ref",
      "authorisation.version",
      "authorisation.previous_version",
      "authorisation.date",
      "authorisation.changes",
      "authorisation.changes.field",
      "authorisation.changes.before",
      "authorisation.changes.after",
      "authorisation.reason",
      "authorisation.effective_from",
  };
  return kNames;
}

const std::set<std::string>& letterContextLists() {
  static const std::set<std::string> kLists = {
      "ministry.address",
      "request.activity.sector",
      "request.activity.activity_type",
      "request.authorisation.authorized_parties",
      "request.authorisation.authorized_entities",
      "authorisation.changes",
  };
  return kLists;
}

Value sampleLetterContext(const std::string& sample) {
  // Build the nested maps from the dotted names; members of lists of maps become one item.
  struct Node {
    std::map<std::string, Node> children;
  };
  Node root;
  for (const std::string& name : letterContextNames()) {
    Node* node = &root;
    size_t start = 0;
    for (;;) {
      const size_t dot = name.find('.', start);
      node = &node->children[name.substr(start, dot == std::string::npos ? std::string::npos : dot - start)];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  }
  const std::function<Value(const Node&, const std::string&)> convert = [&](const Node& node, const std::string& path) {
    const bool list = letterContextLists().count(path) > 0;
    if (node.children.empty()) return list ? Value(Value::List{Value(sample)}) : Value(sample);
    Value::Map members;
    for (const auto& [key, child] : node.children) members[key] = convert(child, path.empty() ? key : path + "." + key);
    return list ? Value(Value::List{Value(std::move(members))}) : Value(std::move(members));
  };
  return convert(root, "");
}

LetterTemplates::LetterTemplates(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(ErrorCode::Config, dir + ": the letter template folder does not exist");

  const fs::path partialDir = fs::path(dir) / "partials";
  std::vector<fs::path> partialFiles;
  if (fs::is_directory(partialDir, ec)) {
    for (const auto& e : fs::directory_iterator(partialDir)) {
      if (e.is_regular_file() && e.path().extension() == ".mustache") partialFiles.push_back(e.path());
    }
  }
  for (const fs::path& p : partialFiles) partials_[p.stem().string()] = source::readTemplateFile(p, "letter template");
  for (const fs::path& p : partialFiles) checkTemplate(partials_[p.stem().string()], p.string(), partials_);

  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".xml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  const Value full = sampleLetterContext("Sample & <value> 'with' \"quotes\"");
  const Value empty{Value::Map{}};
  for (const fs::path& p : files) {
    const std::string file = p.string();
    const std::string stem = p.stem().string();  // "<name>.<lang>"
    const size_t dot = stem.rfind('.');
    if (dot == std::string::npos || !source::validTemplateName(stem.substr(0, dot))) {
      throw SourceError(ErrorCode::Definition, file, 0,
                        "a letter template is named <name>.<lang>.xml, e.g. letter-of-authorisation.en.xml");
    }
    const std::string name = stem.substr(0, dot);
    const std::string lang = stem.substr(dot + 1);
    if (!supportedLanguage(lang))
      throw SourceError(ErrorCode::Definition, file, 0, "language '" + lang + "' is not supported (en, fr, es)");
    Entry entry{file, checkTemplate(source::readTemplateFile(p, "letter template"), file, partials_)};
    // Fill in every value, then none, and check the layout XML both give: a template that only
    // breaks with some data would otherwise fail when a letter is issued.
    LayoutOptions options;
    options.language = lang;
    for (const Value* context : {&full, &empty}) {
      const std::string xml = entry.tmpl.render(*context, [this](const std::string& n) { return partial(n); });
      checkLayout(xml, file + (context == &full ? " (rendered with every value)" : " (rendered with no values)"),
                  options);
    }
    templates_.emplace(std::make_pair(name, lang), std::move(entry));
  }
}

std::vector<std::string> LetterTemplates::names() const {
  std::vector<std::string> out;
  for (const auto& [key, entry] : templates_) {
    if (out.empty() || out.back() != key.first) out.push_back(key.first);
  }
  return out;
}

bool LetterTemplates::has(const std::string& name, const std::string& lang) const {
  return templates_.count(std::make_pair(name, lang)) > 0;
}

const LetterTemplates::Entry& LetterTemplates::entry(const std::string& name, const std::string& lang) const {
  auto it = templates_.find(std::make_pair(name, lang));
  if (it == templates_.end())
    throw Error(ErrorCode::NotFound, "no letter template '" + name + "' in language '" + lang + "'");
  return it->second;
}

std::optional<std::string> LetterTemplates::partial(const std::string& name) const {
  auto it = partials_.find(name);
  if (it == partials_.end()) return std::nullopt;
  return it->second;
}

std::string LetterTemplates::renderXml(const std::string& name, const std::string& lang, const Value& context) const {
  return entry(name, lang).tmpl.render(context, [this](const std::string& n) { return partial(n); });
}

RenderedLetter LetterTemplates::render(const std::string& name, const std::string& lang, const Value& context,
                                       const LayoutOptions& options) const {
  const Entry& e = entry(name, lang);
  LayoutOptions withLanguage = options;
  withLanguage.language = lang;
  return renderLayout(e.tmpl.render(context, [this](const std::string& n) { return partial(n); }), e.file,
                      withLanguage);
}

}  // namespace a6::templates
