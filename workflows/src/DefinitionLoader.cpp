// Loads workflow definitions: libxml2 with every way out of the document closed (no DTD, no
// entities, no network), XSD validation against the embedded schema, then the rules that span
// elements. Problems are collected rather than thrown so an author sees them all at once.
#include "a6/workflows/DefinitionLoader.h"

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "a6/signing/Digest.h"
#include "a6/workflows/Duration.h"

namespace a6::workflows {
namespace {

constexpr const char* kNamespace = "urn:a6auth:workflow:1";
constexpr const char* kApplicant = "applicant";
// Events the spine itself takes (Engine's Command); a decision may not shadow them.
constexpr const char* kSpineEvents[] = {"submit", "withdraw", "open_amendment", "revoke"};

// --- libxml2 ownership ---------------------------------------------------------------------

struct FreeDoc {
  void operator()(xmlDoc* p) const { xmlFreeDoc(p); }
};
struct FreeParserCtxt {
  void operator()(xmlParserCtxt* p) const { xmlFreeParserCtxt(p); }
};
struct FreeSchema {
  void operator()(xmlSchema* p) const { xmlSchemaFree(p); }
};
struct FreeSchemaParserCtxt {
  void operator()(xmlSchemaParserCtxt* p) const { xmlSchemaFreeParserCtxt(p); }
};
struct FreeSchemaValidCtxt {
  void operator()(xmlSchemaValidCtxt* p) const { xmlSchemaFreeValidCtxt(p); }
};
struct FreeXmlChar {
  void operator()(xmlChar* p) const { xmlFree(p); }
};
using DocPtr = std::unique_ptr<xmlDoc, FreeDoc>;
using ParserCtxtPtr = std::unique_ptr<xmlParserCtxt, FreeParserCtxt>;
using SchemaPtr = std::unique_ptr<xmlSchema, FreeSchema>;
using SchemaParserCtxtPtr = std::unique_ptr<xmlSchemaParserCtxt, FreeSchemaParserCtxt>;
using SchemaValidCtxtPtr = std::unique_ptr<xmlSchemaValidCtxt, FreeSchemaValidCtxt>;
using XmlCharPtr = std::unique_ptr<xmlChar, FreeXmlChar>;

// --- problems ------------------------------------------------------------------------------

class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}
  void add(int line, std::string reason) { list_.push_back({file_, line, std::move(reason)}); }
  bool empty() const { return list_.empty(); }
  std::vector<DefinitionProblem> take() {
    std::stable_sort(list_.begin(), list_.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
    return std::move(list_);
  }

 private:
  std::string file_;
  std::vector<DefinitionProblem> list_;
};

// libxml2 messages end in a newline and spell element names with their namespace in braces.
std::string tidyMessage(const char* message) {
  std::string text = message ? message : "unknown error";
  const std::string braced = std::string("{") + kNamespace + "}";
  for (auto pos = text.find(braced); pos != std::string::npos; pos = text.find(braced, pos)) {
    text.erase(pos, braced.size());
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// --- safe parsing --------------------------------------------------------------------------

// Reached from libxml2's callbacks through the parser context's _private pointer.
struct ParseState {
  Problems* problems = nullptr;
  bool refused = false;  // a DTD or an entity: nothing after it is read or reported
};

ParseState& stateOf(void* ctx) { return *static_cast<ParseState*>(static_cast<xmlParserCtxtPtr>(ctx)->_private); }

int currentLine(xmlParserCtxtPtr ctxt) { return ctxt->input ? ctxt->input->line : 0; }

void refuse(xmlParserCtxtPtr ctxt, const std::string& reason) {
  ParseState& state = stateOf(ctxt);
  if (!state.refused) state.problems->add(currentLine(ctxt), reason);
  state.refused = true;
  ctxt->wellFormed = 0;
  xmlStopParser(ctxt);
}

// Called when "<!DOCTYPE" has been read and before any internal subset: stopping here means no
// entity is ever declared and no external subset is ever fetched.
void refuseInternalSubset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  refuse(static_cast<xmlParserCtxtPtr>(ctx),
         "a DTD (<!DOCTYPE ...>) is not allowed in a workflow definition; remove it");
}

void refuseExternalSubset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  refuse(static_cast<xmlParserCtxtPtr>(ctx), "an external DTD is not allowed in a workflow definition");
}

// Only references to non-predefined entities get here (&amp; and friends never do).
xmlEntityPtr refuseEntity(void* ctx, const xmlChar* name) {
  refuse(static_cast<xmlParserCtxtPtr>(ctx), std::string("entity reference &") + reinterpret_cast<const char*>(name) +
                                                 "; is not allowed in a workflow definition");
  return nullptr;
}

void collectParseError(void* ctx, xmlErrorPtr error) {
  ParseState& state = stateOf(ctx);
  if (state.refused || error == nullptr || error->level < XML_ERR_ERROR) return;
  state.problems->add(error->line, "malformed XML: " + tidyMessage(error->message));
}

void collectSchemaError(void* ctx, xmlErrorPtr error) {
  if (error == nullptr || error->level < XML_ERR_ERROR) return;
  const char* prefix = error->domain == XML_FROM_SCHEMASV ? "schema: " : "XML: ";
  static_cast<Problems*>(ctx)->add(error->line, prefix + tidyMessage(error->message));
}

void collectMessage(void* ctx, xmlErrorPtr error) {
  if (error == nullptr || error->level < XML_ERR_ERROR) return;
  auto* out = static_cast<std::string*>(ctx);
  *out += "line " + std::to_string(error->line) + ": " + tidyMessage(error->message) + "\n";
}

// Errors libxml2 raises without a context (rare: allocation, encoding set-up) would otherwise go to
// stderr. The handler is thread-local in libxml2, so setting it for the length of one load is safe.
class ThreadErrorCapture {
 public:
  explicit ThreadErrorCapture(Problems& problems)
      : previous_(xmlStructuredError), previousContext_(xmlStructuredErrorContext) {
    xmlSetStructuredErrorFunc(&problems, collectSchemaError);
  }
  ~ThreadErrorCapture() { xmlSetStructuredErrorFunc(previousContext_, previous_); }
  ThreadErrorCapture(const ThreadErrorCapture&) = delete;
  ThreadErrorCapture& operator=(const ThreadErrorCapture&) = delete;

 private:
  xmlStructuredErrorFunc previous_;
  void* previousContext_;
};

DocPtr parseSafely(const std::string& text, const std::string& fileName, Problems& problems) {
  ParserCtxtPtr ctxt(xmlNewParserCtxt());
  if (!ctxt || !ctxt->sax) throw Error(ErrorCode::Internal, "libxml2: cannot create a parser context");
  ParseState state{&problems, false};
  ctxt->_private = &state;
  ctxt->sax->internalSubset = refuseInternalSubset;
  ctxt->sax->externalSubset = refuseExternalSubset;
  ctxt->sax->getEntity = refuseEntity;
  ctxt->sax->getParameterEntity = refuseEntity;
  ctxt->sax->serror = collectParseError;
  // No NOENT (never substitute entities), no DTDLOAD/DTDATTR (never read a DTD), NONET (never
  // fetch anything). BIG_LINES so lines past 65535 are still reported right.
  const int options = XML_PARSE_NONET | XML_PARSE_BIG_LINES;
  DocPtr doc(
      xmlCtxtReadMemory(ctxt.get(), text.data(), static_cast<int>(text.size()), fileName.c_str(), nullptr, options));
  if (state.refused) return nullptr;
  if (!doc || !ctxt->wellFormed || !problems.empty()) {
    if (problems.empty()) problems.add(currentLine(ctxt.get()), "malformed XML: the document could not be parsed");
    return nullptr;
  }
  return doc;
}

// A second line of defence: nothing DTD- or entity-shaped may survive into the tree.
bool hasDtdOrEntity(const xmlNode* node, int& line) {
  for (const xmlNode* n = node; n != nullptr; n = n->next) {
    if (n->type == XML_DTD_NODE || n->type == XML_ENTITY_REF_NODE || n->type == XML_ENTITY_DECL) {
      line = static_cast<int>(xmlGetLineNo(n));
      return true;
    }
    if (n->type != XML_ELEMENT_NODE) continue;
    for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
      if (hasDtdOrEntity(a->children, line)) return true;
    }
    if (hasDtdOrEntity(n->children, line)) return true;
  }
  return false;
}

// Compiled once, on first use; C++ guarantees one initialisation even when threads race. A
// compiled schema is read-only, so concurrent validations each with their own context may share it.
xmlSchema* workflowSchema() {
  static const SchemaPtr schema = [] {
    xmlInitParser();
    const std::string& xsd = workflowSchemaXsd();
    SchemaParserCtxtPtr parser(xmlSchemaNewMemParserCtxt(xsd.data(), static_cast<int>(xsd.size())));
    if (!parser) throw Error(ErrorCode::Internal, "libxml2: cannot create a schema parser");
    std::string messages;
    xmlSchemaSetParserStructuredErrors(parser.get(), collectMessage, &messages);
    SchemaPtr compiled(xmlSchemaParse(parser.get()));
    if (!compiled) throw Error(ErrorCode::Internal, "workflow.xsd does not compile:\n" + messages);
    return compiled;
  }();
  return schema.get();
}

bool validate(xmlDoc* doc, Problems& problems) {
  SchemaValidCtxtPtr ctxt(xmlSchemaNewValidCtxt(workflowSchema()));
  if (!ctxt) throw Error(ErrorCode::Internal, "libxml2: cannot create a schema validation context");
  Problems found("");
  xmlSchemaSetValidStructuredErrors(ctxt.get(), collectSchemaError, &found);
  int rc = xmlSchemaValidateDoc(ctxt.get(), doc);
  if (rc == 0) return true;
  auto list = found.take();
  for (auto& p : list) problems.add(p.line, std::move(p.reason));
  if (list.empty()) problems.add(0, "schema: the document does not match workflow.xsd");
  return false;
}

// --- reading the tree ----------------------------------------------------------------------

int lineOf(const xmlNode* n) { return static_cast<int>(xmlGetLineNo(n)); }

bool isOurs(const xmlNode* n) {
  return n->type == XML_ELEMENT_NODE && n->ns != nullptr && n->ns->href != nullptr &&
         std::strcmp(reinterpret_cast<const char*>(n->ns->href), kNamespace) == 0;
}

std::string nameOf(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

std::vector<const xmlNode*> elements(const xmlNode* parent) {
  std::vector<const xmlNode*> out;
  for (const xmlNode* n = parent->children; n != nullptr; n = n->next) {
    if (isOurs(n)) out.push_back(n);
  }
  return out;
}

std::optional<std::string> attr(const xmlNode* n, const char* name) {
  XmlCharPtr value(xmlGetNoNsProp(n, reinterpret_cast<const xmlChar*>(name)));
  if (!value) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(value.get()));
}

std::string attrOr(const xmlNode* n, const char* name, std::string fallback = "") {
  auto value = attr(n, name);
  return value ? *value : fallback;
}

std::string content(const xmlNode* n) {
  XmlCharPtr value(xmlNodeGetContent(n));
  return value ? std::string(reinterpret_cast<const char*>(value.get())) : std::string();
}

// Titles and descriptions are indented prose in the file; one space between words is what we mean.
std::string collapseSpace(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

// xs:integer allows surrounding space and a leading '+'; std::from_chars allows neither.
std::optional<int> parseInt(const std::string& text) {
  std::string t = trim(text);
  if (!t.empty() && t[0] == '+') t.erase(0, 1);
  int value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end != t.data() + t.size() || t.empty()) return std::nullopt;
  return value;
}

bool isNumber(const std::string& text) {
  std::size_t i = (!text.empty() && text[0] == '-') ? 1 : 0;
  std::size_t digits = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  if (digits == 0) return false;
  if (i == text.size()) return true;
  if (text[i] != '.') return false;
  ++i;
  std::size_t fraction = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++fraction;
  return fraction > 0 && i == text.size();
}

bool isIsoDate(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  auto number = [&](std::size_t at, std::size_t len) { return std::stoi(text.substr(at, len)); };
  std::chrono::year_month_day date{std::chrono::year(number(0, 4)), std::chrono::month(number(5, 2)),
                                   std::chrono::day(number(8, 2))};
  return date.ok();
}

std::optional<Guard::Op> opFromString(const std::string& s) {
  static const std::map<std::string, Guard::Op> kOps = {{"eq", Guard::Op::Eq},         {"ne", Guard::Op::Ne},
                                                        {"lt", Guard::Op::Lt},         {"le", Guard::Op::Le},
                                                        {"gt", Guard::Op::Gt},         {"ge", Guard::Op::Ge},
                                                        {"in", Guard::Op::In},         {"present", Guard::Op::Present},
                                                        {"absent", Guard::Op::Absent}, {"not-in", Guard::Op::NotIn}};
  auto it = kOps.find(s);
  if (it == kOps.end()) return std::nullopt;
  return it->second;
}

std::optional<Outcome> outcomeFromString(const std::string& s) {
  for (Outcome o : {Outcome::Approved, Outcome::Authorised, Outcome::ChangesRequested, Outcome::Rejected,
                    Outcome::AmendmentApproved}) {
    if (s == toString(o)) return o;
  }
  return std::nullopt;
}

// What the checks need besides the model: lines of elements the model does not keep.
struct SourceLines {
  std::map<Phase, int> phases;                          // <review>, <approval>, …
  std::map<std::string, std::vector<int>> segregation;  // stage id -> line of each <segregation>
};

// Turns the schema-valid tree into the model, reporting what only one element can tell.
class Builder {
 public:
  Builder(Problems& problems, const LoadOptions& options, SourceLines& lines)
      : problems_(problems), options_(options), lines_(lines) {}

  Definition build(const xmlNode* root) {
    Definition d;
    d.name = attrOr(root, "name");
    if (auto v = parseInt(attrOr(root, "version"))) {
      d.version = *v;
    } else {
      problems_.add(lineOf(root), "version must be a whole number from 1 to 2147483647");
    }
    for (const xmlNode* n : elements(root)) {
      const std::string name = nameOf(n);
      if (name == "title") {
        d.title = collapseSpace(content(n));
      } else if (name == "description") {
        d.description = collapseSpace(content(n));
      } else if (name == "roles") {
        for (const xmlNode* r : elements(n)) d.roles.push_back({attrOr(r, "id"), collapseSpace(content(r)), lineOf(r)});
      } else if (name == "on-submitted") {
        d.spineEffects.onSubmitted = effects(n);
      } else if (name == "on-authorised") {
        d.spineEffects.onAuthorised = effects(n);
      } else if (name == "on-revoked") {
        d.spineEffects.onRevoked = effects(n);
      } else if (name == "on-withdrawn") {
        d.spineEffects.onWithdrawn = effects(n);
      } else if (name == "on-finding") {
        d.spineEffects.onFinding = effects(n);
      } else if (auto phase = phaseOf(name)) {
        lines_.phases[*phase] = lineOf(n);
        for (const xmlNode* s : elements(n)) d.stages.push_back(stage(s, *phase));
      }
    }
    return d;
  }

 private:
  static std::optional<Phase> phaseOf(const std::string& name) {
    for (Phase p : {Phase::Review, Phase::Approval, Phase::Confirmation, Phase::Amendment}) {
      if (name == toString(p)) return p;
    }
    return std::nullopt;
  }

  Stage stage(const xmlNode* n, Phase phase) {
    Stage s;
    s.id = attrOr(n, "id");
    s.phase = phase;
    s.role = attrOr(n, "role");
    s.quorum = count(n, "quorum", "stage '" + s.id + "': quorum");
    s.of = count(n, "of", "stage '" + s.id + "': of");
    s.line = lineOf(n);
    auto& segregationLines = lines_.segregation[s.id];
    for (const xmlNode* c : elements(n)) {
      const std::string name = nameOf(c);
      if (name == "segregation") {
        s.segregatedFrom.push_back(attrOr(c, "from"));
        segregationLines.push_back(lineOf(c));
      } else if (name == "sla") {
        s.sla = sla(c, s.id);
      } else if (name == "timeout") {
        Timeout t;
        t.decision = attrOr(c, "decision");
        t.line = lineOf(c);
        if (auto after = duration(c, "stage '" + s.id + "': timeout after", attrOr(c, "after"))) t.after = *after;
        s.timeout = t;
      } else if (name == "on-enter") {
        s.onEnter = effects(c);
      } else if (name == "decision") {
        s.decisions.push_back(decision(c, s.id));
      }
    }
    return s;
  }

  Sla sla(const xmlNode* n, const std::string& stageId) {
    Sla sla;
    sla.line = lineOf(n);
    sla.escalateTo = attrOr(n, "escalate-to");
    const std::string what = "stage '" + stageId + "': SLA ";
    const std::string dueText = attrOr(n, "due");
    auto due = duration(n, what + "due", dueText);
    if (due) sla.due = *due;
    if (auto reminderText = attr(n, "reminder")) {
      sla.reminder = duration(n, what + "reminder", *reminderText);
      if (due && sla.reminder && *sla.reminder >= *due) {
        problems_.add(sla.line, what + "reminder " + *reminderText + " must be shorter than due " + dueText);
      }
    }
    return sla;
  }

  Decision decision(const xmlNode* n, const std::string& stageId) {
    Decision d;
    d.event = attrOr(n, "event");
    d.next = attrOr(n, "next");
    d.resume = attrOr(n, "resume");
    d.commentRequired = attrOr(n, "comment") == "required";
    d.line = lineOf(n);
    const std::string what = "stage '" + stageId + "', decision '" + d.event + "': ";
    auto outcomeText = attr(n, "outcome");
    if (outcomeText) d.outcome = outcomeFromString(*outcomeText).value_or(Outcome::None);
    if (outcomeText && !d.next.empty()) {
      problems_.add(d.line, what + "give either next or outcome, not both");
    } else if (!outcomeText && d.next.empty()) {
      problems_.add(d.line, what + "needs next (a stage) or outcome (where the request goes)");
    }
    if (attr(n, "quorum")) d.quorum = count(n, "quorum", what + "quorum");
    for (const xmlNode* c : elements(n)) {
      if (nameOf(c) == "guard") d.guards.push_back(guard(c));
    }
    d.effects = effects(n);
    return d;
  }

  Guard guard(const xmlNode* n) {
    Guard g;
    g.field = attrOr(n, "field");
    g.line = lineOf(n);
    const std::string opText = attrOr(n, "op");
    g.op = opFromString(opText).value_or(Guard::Op::Present);
    const std::string what = "guard on '" + g.field + "' (" + opText + "): ";
    if (!options_.knownFields.contains(g.field)) {
      problems_.add(g.line, "guard names unknown request field '" + g.field + "'");
    }
    auto valueAttr = attr(n, "value");
    std::vector<std::string> listed;
    for (const xmlNode* c : elements(n)) listed.push_back(content(c));
    switch (g.op) {
      case Guard::Op::Present:
      case Guard::Op::Absent:
        if (valueAttr || !listed.empty()) problems_.add(g.line, what + "takes no value");
        break;
      case Guard::Op::In:
      case Guard::Op::NotIn:
        if (valueAttr) problems_.add(g.line, what + "list the values as <value> elements, not a value attribute");
        if (listed.empty()) problems_.add(g.line, what + "needs at least one <value>");
        g.values = listed;
        break;
      default:
        if (!listed.empty()) problems_.add(g.line, what + "takes one value attribute, not <value> elements");
        if (!valueAttr) {
          problems_.add(g.line, what + "needs a value attribute");
          break;
        }
        g.values = {*valueAttr};
        if (g.op != Guard::Op::Eq && g.op != Guard::Op::Ne && !isNumber(*valueAttr) && !isIsoDate(*valueAttr)) {
          problems_.add(g.line, what + "value '" + *valueAttr + "' is neither a number nor an ISO date (YYYY-MM-DD)");
        }
        break;
    }
    return g;
  }

  std::vector<Effect> effects(const xmlNode* parent) {
    std::vector<Effect> out;
    for (const xmlNode* n : elements(parent)) {
      Effect e;
      e.line = lineOf(n);
      const std::string name = nameOf(n);
      if (name == "letter") {
        e.kind = Effect::Kind::Letter;
        e.templateName = attrOr(n, "template");
        e.signerRole = attrOr(n, "signer");
      } else if (name == "unfccc") {
        e.kind = Effect::Kind::Unfccc;
        e.messageType = attrOr(n, "message");
      } else if (name == "email") {
        e.kind = Effect::Kind::Email;
        e.to = attrOr(n, "to");
        e.templateName = attrOr(n, "template");
      } else if (name == "webhook") {
        e.kind = Effect::Kind::Webhook;
        e.eventType = attrOr(n, "type");
      } else {
        continue;  // guards and other children of a decision
      }
      out.push_back(e);
    }
    return out;
  }

  int count(const xmlNode* n, const char* name, const std::string& what) {
    auto text = attr(n, name);
    if (!text) return 1;
    auto value = parseInt(*text);
    if (!value) {
      problems_.add(lineOf(n), what + " '" + *text + "' is not a whole number in range");
      return 1;
    }
    return *value;
  }

  std::optional<std::chrono::seconds> duration(const xmlNode* n, const std::string& what, const std::string& text) {
    try {
      return parseDuration(text);
    } catch (const Error& e) {
      problems_.add(lineOf(n), what + ": " + e.what());
      return std::nullopt;
    }
  }

  Problems& problems_;
  const LoadOptions& options_;
  SourceLines& lines_;
};

// --- rules that span elements ---------------------------------------------------------------

std::string decisionName(const Stage& s, const Decision& d) {
  return "stage '" + s.id + "', decision '" + d.event + "': ";
}

template <typename Fn>
void forEachEffect(const Definition& d, Fn fn) {
  for (const auto* list : {&d.spineEffects.onSubmitted, &d.spineEffects.onAuthorised, &d.spineEffects.onRevoked,
                           &d.spineEffects.onWithdrawn, &d.spineEffects.onFinding}) {
    for (const auto& e : *list) fn(e);
  }
  for (const auto& s : d.stages) {
    for (const auto& e : s.onEnter) fn(e);
    for (const auto& dec : s.decisions) {
      for (const auto& e : dec.effects) fn(e);
    }
  }
}

void checkRoles(const Definition& d, Problems& problems) {
  std::map<std::string, int> first;
  for (const auto& r : d.roles) {
    auto [it, inserted] = first.emplace(r.id, r.line);
    if (!inserted) {
      problems.add(r.line, "role '" + r.id + "' is declared twice (first at line " + std::to_string(it->second) + ")");
    }
    if (r.id == kApplicant) {
      problems.add(r.line, "role id 'applicant' is reserved for the request's own applicant");
    }
  }
  auto known = [&](const std::string& id) { return first.contains(id); };
  for (const auto& s : d.stages) {
    if (!known(s.role)) problems.add(s.line, "stage '" + s.id + "': unknown role '" + s.role + "'");
    if (s.sla && !s.sla->escalateTo.empty() && !known(s.sla->escalateTo)) {
      problems.add(s.sla->line, "stage '" + s.id + "': SLA escalates to unknown role '" + s.sla->escalateTo + "'");
    }
  }
  forEachEffect(d, [&](const Effect& e) {
    if (e.kind == Effect::Kind::Letter && !known(e.signerRole)) {
      problems.add(e.line, "letter '" + e.templateName + "': unknown signer role '" + e.signerRole + "'");
    }
    if (e.kind == Effect::Kind::Email && e.to != kApplicant && !known(e.to)) {
      problems.add(e.line, "email '" + e.templateName + "': unknown recipient role '" + e.to +
                               "' (a declared role or \"applicant\")");
    }
  });
}

bool outcomeAllowed(Outcome o, Phase p) {
  switch (o) {
    case Outcome::None:
    case Outcome::Rejected:
      return true;
    case Outcome::Approved:
      return p == Phase::Approval;
    case Outcome::Authorised:
      return p == Phase::Confirmation;
    case Outcome::AmendmentApproved:
      return p == Phase::Amendment;
    case Outcome::ChangesRequested:
      return p == Phase::Review || p == Phase::Approval;
  }
  return false;
}

const char* outcomePhases(Outcome o) {
  switch (o) {
    case Outcome::Approved:
      return "the approval phase";
    case Outcome::Authorised:
      return "the confirmation phase";
    case Outcome::AmendmentApproved:
      return "the amendment phase";
    case Outcome::ChangesRequested:
      return "the review and approval phases";
    default:
      return "any phase";
  }
}

bool nextAllowed(Phase from, Phase to) {
  const bool toMain = to == Phase::Review || to == Phase::Approval;
  switch (from) {
    case Phase::Review:
    case Phase::Approval:
      return toMain;
    case Phase::Confirmation:
      return toMain || to == Phase::Confirmation;
    case Phase::Amendment:
      return to == Phase::Amendment;
  }
  return false;
}

const char* nextTargets(Phase from) {
  switch (from) {
    case Phase::Review:
    case Phase::Approval:
      return "review or approval stages";
    case Phase::Confirmation:
      return "confirmation, review or approval stages";
    case Phase::Amendment:
      return "amendment stages";
  }
  return "";
}

std::string withArticle(const std::string& word) { return (word.front() == 'a' ? "an " : "a ") + word; }

void checkStages(const Definition& d, const SourceLines& lines, Problems& problems) {
  std::map<std::string, int> first;
  for (const auto& s : d.stages) {
    auto [it, inserted] = first.emplace(s.id, s.line);
    if (!inserted) {
      problems.add(s.line, "stage id '" + s.id + "' is used twice (first at line " + std::to_string(it->second) + ")");
    }
  }
  for (const auto& s : d.stages) {
    const std::string where = "stage '" + s.id + "': ";
    if (s.quorum < 1) problems.add(s.line, where + "quorum must be at least 1");
    if (s.of < 1) problems.add(s.line, where + "of must be at least 1");
    if (s.quorum > s.of) {
      problems.add(s.line, where + "quorum " + std::to_string(s.quorum) + " is more than of " + std::to_string(s.of));
    }
    auto segLines = lines.segregation.find(s.id);
    for (std::size_t i = 0; i < s.segregatedFrom.size(); ++i) {
      int line = (segLines != lines.segregation.end() && i < segLines->second.size()) ? segLines->second[i] : s.line;
      const auto& from = s.segregatedFrom[i];
      if (from == s.id) {
        problems.add(line, where + "a stage cannot be segregated from itself");
      } else if (!d.stage(from)) {
        problems.add(line, where + "segregation from unknown stage '" + from + "'");
      }
    }
    std::map<std::string, int> events;
    for (const auto& dec : s.decisions) {
      const std::string what = decisionName(s, dec);
      auto [it, inserted] = events.emplace(dec.event, dec.line);
      if (!inserted) {
        problems.add(dec.line,
                     what + "the event appears twice in this stage (first at line " + std::to_string(it->second) + ")");
      }
      for (const char* spine : kSpineEvents) {
        if (dec.event == spine) problems.add(dec.line, what + "'" + spine + "' is an event of the spine itself");
      }
      if (dec.quorum) {
        if (*dec.quorum < 1) problems.add(dec.line, what + "quorum must be at least 1");
        if (*dec.quorum > s.of) {
          problems.add(dec.line, what + "quorum " + std::to_string(*dec.quorum) + " is more than the stage's of " +
                                     std::to_string(s.of));
        }
      }
      if (!outcomeAllowed(dec.outcome, s.phase)) {
        problems.add(dec.line, what + "outcome " + toString(dec.outcome) + " is only allowed in " +
                                   outcomePhases(dec.outcome) + ", not in the " + toString(s.phase) + " phase");
      }
      if (!dec.next.empty()) {
        if (const Stage* target = d.stage(dec.next)) {
          if (!nextAllowed(s.phase, target->phase)) {
            problems.add(dec.line, what + "next stage '" + dec.next + "' is in the " + toString(target->phase) +
                                       " phase; " + withArticle(toString(s.phase)) + " stage may only go to " +
                                       nextTargets(s.phase));
          }
        } else {
          problems.add(dec.line, what + "next names unknown stage '" + dec.next + "'");
        }
      }
      if (!dec.resume.empty()) {
        const Stage* target = d.stage(dec.resume);
        if (dec.outcome != Outcome::ChangesRequested) {
          problems.add(dec.line, what + "resume is only allowed with outcome changes_requested");
        }
        if (!target) {
          problems.add(dec.line, what + "resume names unknown stage '" + dec.resume + "'");
        } else if (target->phase != Phase::Review && target->phase != Phase::Approval) {
          problems.add(dec.line, what + "resume must name a review or approval stage, not '" + dec.resume +
                                     "' in the " + toString(target->phase) + " phase");
        }
      }
    }
    if (s.timeout && !events.contains(s.timeout->decision)) {
      problems.add(s.timeout->line,
                   where + "timeout decision '" + s.timeout->decision + "' is not a decision of this stage");
    }
  }
}

// Stages reachable from `start` through next and resume; an approval lets the request into the
// first confirmation stage.
std::set<std::string> reachableFrom(const Definition& d, const Stage* start) {
  std::set<std::string> seen;
  if (!start) return seen;
  const auto confirmation = d.stagesIn(Phase::Confirmation);
  std::vector<const Stage*> todo{start};
  seen.insert(start->id);
  auto visit = [&](const std::string& id) {
    const Stage* s = d.stage(id);
    if (s && seen.insert(id).second) todo.push_back(s);
  };
  while (!todo.empty()) {
    const Stage* s = todo.back();
    todo.pop_back();
    for (const auto& dec : s->decisions) {
      if (!dec.next.empty()) visit(dec.next);
      if (!dec.resume.empty()) visit(dec.resume);
      if (dec.outcome == Outcome::Approved && !confirmation.empty()) visit(confirmation.front()->id);
    }
  }
  return seen;
}

void checkReachability(const Definition& d, Problems& problems) {
  const Stage* entry = d.entryStage();
  const Stage* amendmentEntry = d.amendmentEntryStage();
  const auto main = reachableFrom(d, entry);
  const auto amendment = reachableFrom(d, amendmentEntry);
  for (const auto& s : d.stages) {
    if (s.phase == Phase::Amendment) {
      if (!amendment.contains(s.id)) {
        problems.add(s.line, "stage '" + s.id + "' cannot be reached from the first amendment stage '" +
                                 amendmentEntry->id + "'");
      }
    } else if (entry && !main.contains(s.id)) {
      problems.add(s.line, "stage '" + s.id + "' cannot be reached from the entry stage '" + entry->id + "'");
    }
  }
}

// A stage can end when some chain of `next` leads to a decision with an outcome. The fixed point
// over that leaves exactly the stages caught in cycles with no way out.
void checkExits(const Definition& d, Problems& problems) {
  std::set<std::string> canEnd;
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& s : d.stages) {
      if (canEnd.contains(s.id)) continue;
      for (const auto& dec : s.decisions) {
        // An unknown next is reported on its own; counting it as an exit avoids a second report.
        if (dec.next.empty() || canEnd.contains(dec.next) || !d.stage(dec.next)) {
          canEnd.insert(s.id);
          changed = true;
          break;
        }
      }
    }
  }
  for (const auto& s : d.stages) {
    if (!canEnd.contains(s.id)) {
      problems.add(
          s.line, "stage '" + s.id + "' is in a cycle with no exit: no chain of its decisions ever reaches an outcome");
    }
  }
}

void checkOutcomesReached(const Definition& d, const SourceLines& lines, Problems& problems) {
  auto any = [&](Outcome o) {
    return std::any_of(d.stages.begin(), d.stages.end(), [&](const Stage& s) {
      return std::any_of(s.decisions.begin(), s.decisions.end(), [&](const Decision& dec) { return dec.outcome == o; });
    });
  };
  auto lineOfPhase = [&](Phase p) {
    auto it = lines.phases.find(p);
    return it == lines.phases.end() ? 0 : it->second;
  };
  if (!any(Outcome::Approved)) {
    problems.add(lineOfPhase(Phase::Approval),
                 "nothing leads to approved: no approval decision has outcome=\"approved\"");
  }
  if (lines.phases.contains(Phase::Confirmation) && !any(Outcome::Authorised)) {
    problems.add(lineOfPhase(Phase::Confirmation),
                 "nothing leads to authorised: no confirmation decision has outcome=\"authorised\"");
  }
  if (lines.phases.contains(Phase::Amendment) && !any(Outcome::AmendmentApproved)) {
    problems.add(lineOfPhase(Phase::Amendment),
                 "nothing leads to amendment_approved: no amendment decision has outcome=\"amendment_approved\"");
  }
}

// --- putting it together -------------------------------------------------------------------

struct Analysis {
  Definition definition;
  std::vector<DefinitionProblem> problems;
};

Analysis analyse(const std::string& text, const std::string& fileName, const LoadOptions& options) {
  Problems problems(fileName);
  Analysis result;
  auto finish = [&]() {
    result.problems = problems.take();
    return std::move(result);
  };
  if (text.size() > kMaxDefinitionBytes) {
    problems.add(0, "the definition is " + std::to_string(text.size()) + " bytes; at most " +
                        std::to_string(kMaxDefinitionBytes) + " (1 MiB) are allowed");
    return finish();
  }
  // libxml2 wants its global set-up done once before threads use it.
  static const bool initialised = (xmlInitParser(), true);
  (void)initialised;
  ThreadErrorCapture capture(problems);
  DocPtr doc = parseSafely(text, fileName, problems);
  if (!doc) return finish();
  int line = 0;
  if (doc->intSubset || doc->extSubset || hasDtdOrEntity(doc->children, line)) {
    problems.add(line, "DTDs and entity references are not allowed in a workflow definition");
    return finish();
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root || !isOurs(root) || nameOf(root) != "workflow") {
    problems.add(root ? lineOf(root) : 0,
                 std::string("the root element must be <workflow> in the namespace ") + kNamespace);
    return finish();
  }
  if (!validate(doc.get(), problems)) return finish();

  SourceLines lines;
  result.definition = Builder(problems, options, lines).build(root);
  result.definition.sourceFile = fileName;
  result.definition.sha256 = signing::sha256Hex(text);
  checkRoles(result.definition, problems);
  checkStages(result.definition, lines, problems);
  checkReachability(result.definition, problems);
  checkExits(result.definition, problems);
  checkOutcomesReached(result.definition, lines, problems);
  return finish();
}

// Reads at most one byte past the limit, so a huge file is refused without being read whole.
std::optional<std::string> readSource(const std::string& path, Problems& problems) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    problems.add(0, "cannot read the file: " + (ec ? ec.message() : std::string("no such file")));
    return std::nullopt;
  }
  if (!std::filesystem::is_regular_file(status)) {
    problems.add(0, "cannot read the file: not a regular file");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problems.add(0, "cannot read the file: " + std::string(std::strerror(errno)));
    return std::nullopt;
  }
  std::string text(kMaxDefinitionBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    problems.add(0, "cannot read the file: read error");
    return std::nullopt;
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

Analysis analyseFile(const std::string& path, const LoadOptions& options) {
  Problems problems(path);
  auto text = readSource(path, problems);
  if (!text) return {Definition{}, problems.take()};
  return analyse(*text, path, options);
}

std::string joinProblems(const std::vector<DefinitionProblem>& problems) {
  std::string out;
  for (const auto& p : problems) {
    if (!out.empty()) out += '\n';
    out += p.file + ":" + std::to_string(p.line) + ": " + p.reason;
  }
  return out;
}

Definition orThrow(Analysis analysis) {
  if (!analysis.problems.empty()) throw DefinitionError(std::move(analysis.problems));
  return std::move(analysis.definition);
}

}  // namespace

DefinitionError::DefinitionError(std::vector<DefinitionProblem> problems)
    : SourceError(ErrorCode::Definition, problems.empty() ? std::string() : problems.front().file,
                  problems.empty() ? 0 : problems.front().line,
                  problems.empty() ? std::string("invalid definition") : problems.front().reason),
      problems_(std::move(problems)),
      all_(joinProblems(problems_)) {
  if (all_.empty()) all_ = SourceError::what();
}

std::vector<DefinitionProblem> checkDefinitionText(const std::string& text, const std::string& fileName,
                                                   const LoadOptions& options) {
  return analyse(text, fileName, options).problems;
}

std::vector<DefinitionProblem> checkDefinitionFile(const std::string& path, const LoadOptions& options) {
  return analyseFile(path, options).problems;
}

Definition loadDefinitionText(const std::string& text, const std::string& fileName, const LoadOptions& options) {
  return orThrow(analyse(text, fileName, options));
}

Definition loadDefinitionFile(const std::string& path, const LoadOptions& options) {
  return orThrow(analyseFile(path, options));
}

}  // namespace a6::workflows
