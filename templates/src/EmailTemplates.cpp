// Loads a folder of email templates and refuses, at start-up, whatever would only go wrong when an
// email is sent: syntax errors, names the service never provides, HTML escaping in plain text,
// missing parts or languages, multi-line subjects.
#include "a6/templates/EmailTemplates.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
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

const char* const kParts[] = {"subject", "txt", "html"};

enum class Kind { Html, Text };

// Parses one template or partial and checks its names, its escaping and its partials.
Template checkTemplate(const std::string& text, const std::string& file, Kind kind,
                       const std::map<std::string, std::string>& partials) {
  Template tmpl = Template::parse(text, file);
  const std::vector<Tag> tags = scanTags(text);
  for (const Tag& t : tags) {
    if (t.sigil == '=') {
      throw SourceError(ErrorCode::Definition, file, t.line, "email templates keep the {{ }} delimiters");
    }
    if (t.sigil == 'v' && kind == Kind::Text && t.name != ".") {
      throw SourceError(ErrorCode::Definition, file, t.line,
                        "'{{" + t.name + "}}' would HTML-escape the value in plain text: write {{{" + t.name + "}}}");
    }
    if (t.sigil == '>' || t.sigil == '<') {
      const std::string prefix = kind == Kind::Html ? "html-" : "text-";
      if (t.name.rfind(prefix, 0) != 0) {
        throw SourceError(ErrorCode::Definition, file, t.line,
                          std::string(kind == Kind::Html ? "an HTML" : "a text") + " template may only use " + prefix +
                              "* partials, not '" + t.name + "'");
      }
      if (!partials.count(t.name)) {
        throw SourceError(ErrorCode::Definition, file, t.line,
                          std::string(t.sigil == '<' ? "parent" : "partial") + " '" + t.name +
                              "' does not exist (expected partials/" + t.name + ".mustache)");
      }
    }
  }
  for (const std::string& name : tmpl.names()) {
    if (!emailContextNames().count(name)) {
      throw SourceError(ErrorCode::Definition, file, lineOfName(tags, name),
                        "unknown name '" + name + "': emails are rendered with the names of emailContextNames()");
    }
  }
  return tmpl;
}

std::string oneLine(const std::string& text) {
  std::string out;
  bool space = false;
  for (const char c : text) {
    if (c == '\r' || c == '\n' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

const std::set<std::string>& emailContextNames() {
  static const std::set<std::string> kNames = {
      "recipient.name",     "ministry.name",         "ministry.email",      "party.name",       "request.id",
      "request.title",      "request.organisation",  "request.submitted",   "stage.name",       "stage.role",
      "stage.due",          "decision.name",         "decision.comment",    "decision.actor",   "decision.date",
      "authorisation.ref",  "authorisation.version", "letter.attached",     "partner.name",     "objection.due",
      "finding.code",       "finding.severity",      "finding.text",        "finding.received", "webhook.url",
      "webhook.last_error", "webhook.failures",      "webhook.disabled_at", "links.request",    "links.portal",
      "links.webhooks",
  };
  return kNames;
}

const std::set<std::string>& emailContextFlags() {
  static const std::set<std::string> kFlags = {"letter.attached"};
  return kFlags;
}

const std::vector<std::string>& requiredEmailTemplates() {
  static const std::vector<std::string> kNames = {
      "decision",   "finding-received", "partner-notice", "request-received",
      "sla-breach", "sla-reminder",     "stage-assigned", "webhook-disabled",
  };
  return kNames;
}

Value sampleEmailContext(const std::string& sample) {
  Value::Map root;
  std::map<std::string, Value::Map> groups;
  for (const std::string& name : emailContextNames()) {
    const size_t dot = name.find('.');
    groups[name.substr(0, dot)][name.substr(dot + 1)] = emailContextFlags().count(name) ? Value(true) : Value(sample);
  }
  for (auto& [group, members] : groups) root[group] = Value(std::move(members));
  return Value(std::move(root));
}

EmailTemplates::EmailTemplates(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(ErrorCode::Config, dir + ": the email template folder does not exist");

  // Partials first: templates are checked against the partials that exist.
  const fs::path partialDir = fs::path(dir) / "partials";
  std::vector<fs::path> partialFiles;
  if (fs::is_directory(partialDir, ec)) {
    for (const auto& e : fs::directory_iterator(partialDir)) {
      if (!e.is_regular_file()) continue;
      const std::string stem = e.path().stem().string();
      if (e.path().extension() != ".mustache" || !source::validTemplateName(stem) ||
          (stem.rfind("html-", 0) != 0 && stem.rfind("text-", 0) != 0)) {
        throw SourceError(ErrorCode::Definition, e.path().string(), 0,
                          "a partial is named partials/html-<name>.mustache or partials/text-<name>.mustache");
      }
      partialFiles.push_back(e.path());
    }
  }
  std::sort(partialFiles.begin(), partialFiles.end());
  for (const fs::path& p : partialFiles) partials_[p.stem().string()] = source::readTemplateFile(p, "email template");
  for (const fs::path& p : partialFiles) {
    const std::string stem = p.stem().string();
    checkTemplate(partials_[stem], p.string(), stem.rfind("html-", 0) == 0 ? Kind::Html : Kind::Text, partials_);
  }

  // (name, lang) -> part -> file
  std::map<std::pair<std::string, std::string>, std::map<std::string, fs::path>> files;
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(dir)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  for (const fs::path& p : entries) {
    const std::string file = p.string();
    const std::string base = p.filename().string();
    if (fs::is_directory(p, ec)) {
      if (base == "partials") continue;
      throw SourceError(ErrorCode::Definition, file, 0, "unexpected folder (only partials/ is read)");
    }
    if (base.empty() || base[0] == '.' || p.extension() == ".md") continue;  // notes, editor files
    const size_t second = base.rfind('.');
    const size_t first = second == std::string::npos || second == 0 ? std::string::npos : base.rfind('.', second - 1);
    const std::string name = first == std::string::npos ? std::string() : base.substr(0, first);
    const std::string lang = first == std::string::npos ? std::string() : base.substr(first + 1, second - first - 1);
    const std::string part = second == std::string::npos ? std::string() : base.substr(second + 1);
    if (!source::validTemplateName(name) || std::find(std::begin(kParts), std::end(kParts), part) == std::end(kParts)) {
      throw SourceError(ErrorCode::Definition, file, 0,
                        "an email template is named <name>.<lang>.subject, .txt or .html, e.g. decision.fr.html");
    }
    if (!supportedLanguage(lang)) {
      throw SourceError(ErrorCode::Definition, file, 0, "language '" + lang + "' is not supported (en, fr, es)");
    }
    files[{name, lang}][part] = p;
  }

  std::set<std::string> names;
  for (const auto& [key, parts] : files) names.insert(key.first);
  for (const std::string& name : names) {
    for (const std::string& lang : supportedLanguages()) {
      for (const char* part : kParts) {
        auto it = files.find({name, lang});
        if (it == files.end() || !it->second.count(part)) {
          throw SourceError(ErrorCode::Definition, (fs::path(dir) / (name + "." + lang + "." + part)).string(), 0,
                            "missing: every email template has a subject, a .txt and an .html in en, fr and es");
        }
      }
    }
  }

  const Value full = sampleEmailContext("Sample & <value> 'with' \"quotes\"");
  const Value empty{Value::Map{}};
  const PartialLoader loader = [this](const std::string& n) { return partial(n); };
  for (const auto& [key, parts] : files) {
    const std::string& lang = key.second;
    const std::string subjectFile = parts.at("subject").string();
    std::string subjectText = source::readTemplateFile(parts.at("subject"), "email template");
    while (!subjectText.empty() && (subjectText.back() == '\n' || subjectText.back() == '\r')) subjectText.pop_back();
    if (subjectText.find('\n') != std::string::npos) {
      throw SourceError(ErrorCode::Definition, subjectFile, 2, "a subject is one line");
    }
    Entry entry{checkTemplate(subjectText, subjectFile, Kind::Text, partials_),
                checkTemplate(source::readTemplateFile(parts.at("txt"), "email template"), parts.at("txt").string(),
                              Kind::Text, partials_),
                checkTemplate(source::readTemplateFile(parts.at("html"), "email template"), parts.at("html").string(),
                              Kind::Html, partials_)};
    // Render once with every value and once with none: a template that only breaks with some data
    // would otherwise fail when the email is sent.
    for (const Value* context : {&full, &empty}) {
      entry.subject.render(*context, loader);
      entry.text.render(*context, loader);
      const std::string html = entry.html.render(*context, loader);
      if (html.find("lang=\"" + lang + "\"") == std::string::npos) {
        throw SourceError(ErrorCode::Definition, parts.at("html").string(), 0,
                          "the HTML does not declare its language (lang=\"" + lang + "\" on <html>)");
      }
    }
    if (oneLine(entry.subject.render(full, loader)).empty()) {
      throw SourceError(ErrorCode::Definition, subjectFile, 1, "the subject is empty");
    }
    templates_.emplace(key, std::move(entry));
  }
}

std::vector<std::string> EmailTemplates::names() const {
  std::vector<std::string> out;
  for (const auto& [key, entry] : templates_) {
    if (out.empty() || out.back() != key.first) out.push_back(key.first);
  }
  return out;
}

bool EmailTemplates::has(const std::string& name, const std::string& lang) const {
  return templates_.count(std::make_pair(name, lang)) > 0;
}

std::optional<std::string> EmailTemplates::partial(const std::string& name) const {
  auto it = partials_.find(name);
  if (it == partials_.end()) return std::nullopt;
  return it->second;
}

RenderedEmail EmailTemplates::render(const std::string& name, const std::string& lang, const Value& context) const {
  auto it = templates_.find(std::make_pair(name, lang));
  if (it == templates_.end()) {
    throw Error(ErrorCode::NotFound, "no email template '" + name + "' in language '" + lang + "'");
  }
  const PartialLoader loader = [this](const std::string& n) { return partial(n); };
  const Entry& e = it->second;
  return RenderedEmail{oneLine(e.subject.render(context, loader)), e.text.render(context, loader),
                       e.html.render(context, loader)};
}

}  // namespace a6::templates
