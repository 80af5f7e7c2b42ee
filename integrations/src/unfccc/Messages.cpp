// UNFCCC messages: values to XML with libxml2's tree API (it escapes text and attribute values), each
// result validated against its schema and the rules the schema cannot express before it leaves;
// and XML to values for what the UNFCCC side (or the simulator playing it) sends.
#include "a6/integrations/unfccc/Messages.h"

#include <charconv>
#include <climits>
#include <map>
#include <utility>

#include "a6/core/Error.h"
#include "a6/integrations/unfccc/Schemas.h"
#include "unfccc/LibXml.h"

namespace a6::integrations::unfccc {

const char* toString(NoticeKind kind) {
  switch (kind) {
    case NoticeKind::Issued:
      return "issued";
    case NoticeKind::Amended:
      return "amended";
    case NoticeKind::Revoked:
      return "revoked";
  }
  return "issued";
}

const char* toString(AckStatus status) {
  switch (status) {
    case AckStatus::Received:
      return "received";
    case AckStatus::Accepted:
      return "accepted";
    case AckStatus::Rejected:
      return "rejected";
  }
  return "received";
}

const char* toString(FindingStatus status) { return status == FindingStatus::Resolved ? "resolved" : "open"; }

const char* toString(FindingSeverity severity) {
  switch (severity) {
    case FindingSeverity::Info:
      return "info";
    case FindingSeverity::Warning:
      return "warning";
    case FindingSeverity::Error:
      return "error";
  }
  return "warning";
}

namespace {

using xml::bad;
using xml::good;

// Our own messages may be large (an annual submission); the limit that guards inbound XML does not
// apply when we re-read what we just wrote.
constexpr std::size_t kMaxBuiltBytes = static_cast<std::size_t>(INT_MAX);
constexpr std::size_t kMaxListedProblems = 5;

// --- text checks -------------------------------------------------------------------------------

// True when `s` is UTF-8 made only of characters XML 1.0 allows. libxml2 would otherwise write
// bytes that no parser (ours included) accepts back.
bool isXmlText(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    char32_t cp = 0;
    std::size_t len = 0;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      len = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinimum[len]) return false;  // overlong
    bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                   (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!allowed) return false;
    i += len;
  }
  return true;
}

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

// xs:int and xs:long allow surrounding space and a leading '+'; std::from_chars allows neither.
std::optional<long long> toInteger(const std::string& text) {
  std::string t = trim(text);
  if (!t.empty() && t[0] == '+') t.erase(0, 1);
  long long value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return value;
}

bool isPlainDate(const std::optional<std::string>& d) { return d && d->size() == 10; }

// --- problems ------------------------------------------------------------------------------------

std::string listProblems(const std::vector<std::string>& lines) {
  std::string out;
  for (std::size_t i = 0; i < lines.size() && i < kMaxListedProblems; ++i) out += (i ? "; " : "") + lines[i];
  if (lines.size() > kMaxListedProblems) out += "; and " + std::to_string(lines.size() - kMaxListedProblems) + " more";
  return out;
}

[[noreturn]] void throwSchemaProblems(ErrorCode code, MessageKind kind, const std::string& what,
                                      const std::vector<SchemaProblem>& problems) {
  std::vector<std::string> lines;
  std::vector<FieldError> fields;
  for (const auto& p : problems) {
    lines.push_back(describe(kind, p));
    fields.push_back({p.path, "schema", "line " + std::to_string(p.line) + ": " + p.message});
  }
  throw Error(code, what + ": " + listProblems(lines), std::move(fields));
}

[[noreturn]] void throwRuleProblems(ErrorCode code, MessageKind kind, const std::string& what,
                                    std::vector<FieldError> problems) {
  std::vector<std::string> lines;
  for (const auto& p : problems)
    lines.push_back(std::string(schemaFileName(kind)) + " rule: " + p.path + ": " + p.message);
  throw Error(code, what + ": " + listProblems(lines), std::move(problems));
}

std::string builtWhat(MessageKind kind) {
  return std::string(rootElementName(kind)) + " message is invalid and was not built";
}

std::string readWhat(MessageKind kind) { return std::string(rootElementName(kind)) + " message is refused"; }

// --- rules the schemas cannot express --------------------------------------------------------------

class Rules {
 public:
  void add(std::string path, std::string message) {
    problems_.push_back({std::move(path), "rule", std::move(message)});
  }

  void period(const std::optional<Period>& p, const std::string& path) {
    if (p && isPlainDate(p->from) && isPlainDate(p->to) && *p->from > *p->to) {
      add(path, "From (" + *p->from + ") is after To (" + *p->to + ")");
    }
  }

  void authorisation(const Authorisation& a, const std::string& path) {
    if (a.metric == "GHG") {
      if (!a.gwpValues) add(path + "/GWPValues", "GWPValues is required when Metric is GHG");
      if (a.nonGhgMetric) add(path + "/NonGHGMetric", "NonGHGMetric is not allowed when Metric is GHG");
    } else if (a.metric == "non-GHG") {
      if (!a.nonGhgMetric) add(path + "/NonGHGMetric", "NonGHGMetric is required when Metric is non-GHG");
    }
    if (a.nonGhgMetric.has_value() != a.nonGhgMetricUnit.has_value()) {
      add(path + "/NonGHGMetric", "NonGHGMetric and its unit go together");
    }
    if (!a.purposes.empty() && a.purposes != "NDC") {
      if (!a.oimpAuthorisedByTheParty) {
        add(path + "/OIMPAuthorizedByTheParty",
            "OIMPAuthorizedByTheParty is required when the purposes include OIMP, IMP or OP");
      }
      if (!a.firstTransferDefinition) {
        add(path + "/FirstTransferDefinition",
            "FirstTransferDefinition is required when the purposes include OIMP, IMP or OP");
      }
    } else if (a.purposes == "NDC" && a.oimpAuthorisedByTheParty) {
      add(path + "/OIMPAuthorizedByTheParty", "OIMPAuthorizedByTheParty is not allowed when the purpose is NDC only");
    }
    for (std::size_t i = 0; i < a.authorisedEntities.size(); ++i) {
      const auto& e = a.authorisedEntities[i];
      if (e.cooperativeApproachId != a.cooperativeApproachId) {
        add(path + "/AuthorizedEntities/AuthorizedEntity[" + std::to_string(i + 1) + "]/CooperativeApproachID",
            "the entity's cooperative approach " + e.cooperativeApproachId + " is not the authorisation's (" +
                a.cooperativeApproachId + ")");
      }
    }
    if (a.timeframe) {
      if (!a.timeframe->mitigation && !a.timeframe->use) {
        add(path + "/AuthorizedTimeframe", "AuthorizedTimeframe needs a mitigation period or a use period");
      }
      period(a.timeframe->mitigation, path + "/AuthorizedTimeframe/MitigationPeriod");
      period(a.timeframe->use, path + "/AuthorizedTimeframe/UsePeriod");
    }
  }

  void itmoBlock(const std::string& first, const std::string& last, const std::string& path) {
    // CA0001-GHA01-GHA-<serial>-2024: the same block prefix and vintage, first serial not above last.
    auto split = [](const std::string& id) {
      std::vector<std::string> parts;
      std::size_t start = 0;
      for (std::size_t pos = id.find('-'); pos != std::string::npos; pos = id.find('-', start)) {
        parts.push_back(id.substr(start, pos - start));
        start = pos + 1;
      }
      parts.push_back(id.substr(start));
      return parts;
    };
    auto a = split(first);
    auto b = split(last);
    if (a.size() != 5 || b.size() != 5) return;  // the schema reports the pattern
    if (a[0] != b[0] || a[1] != b[1] || a[2] != b[2] || a[4] != b[4]) {
      add(path, "the first and last unique identifiers belong to different blocks");
      return;
    }
    auto from = toInteger(a[3]);
    auto to = toInteger(b[3]);
    if (from && to && *from > *to) add(path, "the first unique identifier comes after the last");
  }

  bool empty() const { return problems_.empty(); }
  std::vector<FieldError> take() { return std::move(problems_); }

 private:
  std::vector<FieldError> problems_;
};

std::vector<FieldError> rulesOf(const AuthorisationNotice& n) {
  Rules rules;
  switch (n.kind) {
    case NoticeKind::Issued:
      if (n.amendment) rules.add("Amendment", "an issued notification has no Amendment");
      if (n.revocation) rules.add("Revocation", "an issued notification has no Revocation");
      break;
    case NoticeKind::Amended:
      if (!n.amendment) {
        rules.add("Amendment", "an amended notification needs Amendment");
      } else if (n.amendment->previousVersion >= n.authorisation.version) {
        rules.add("Amendment/PreviousVersion", "PreviousVersion must be lower than VersionOfTheAuthorization");
      }
      if (n.revocation) rules.add("Revocation", "an amended notification has no Revocation");
      break;
    case NoticeKind::Revoked:
      if (!n.revocation) rules.add("Revocation", "a revoked notification needs Revocation");
      if (n.amendment) rules.add("Amendment", "a revoked notification has no Amendment");
      break;
  }
  rules.authorisation(n.authorisation, "Authorization");
  if (n.activity) {
    rules.period(n.activity->creditingPeriod, "MitigationActivity/CreditingPeriod");
    const auto& act = *n.activity;
    if (act.vintageFrom.has_value() != act.vintageTo.has_value()) {
      rules.add("MitigationActivity/Vintages", "Vintages needs both From and To");
    } else if (act.vintageFrom && *act.vintageFrom > *act.vintageTo) {
      rules.add("MitigationActivity/Vintages", "From is after To");
    }
  }
  return rules.take();
}

std::vector<FieldError> rulesOf(const Acknowledgement& a) {
  Rules rules;
  if (a.status == AckStatus::Rejected && a.messages.empty()) {
    rules.add("Messages", "a rejected acknowledgement needs at least one Message");
  }
  return rules.take();
}

std::vector<FieldError> rulesOf(const Finding& f) {
  Rules rules;
  if (f.submissionMessageId.has_value() == f.action.has_value()) {
    rules.add("RefersTo", "a finding refers to exactly one of a submission and an action");
  }
  return rules.take();
}

// --- writing -------------------------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(MessageKind kind) : kind_(kind), doc_(xmlNewDoc(bad("1.0"))) {
    xml::initialiseLibXml();
    if (!doc_) throw Error(ErrorCode::Internal, "libxml2: cannot create a document");
    xml::Node root(xmlNewDocNode(doc_.get(), nullptr, bad(rootElementName(kind)), nullptr));
    if (!root) throw Error(ErrorCode::Internal, "libxml2: cannot create an element");
    root_ = root.get();
    xmlDocSetRootElement(doc_.get(), root.release());
    ns_ = xmlNewNs(root_, bad(schemaNamespace(kind)), nullptr);
    if (ns_ == nullptr) throw Error(ErrorCode::Internal, "libxml2: cannot declare the namespace");
    xmlSetNs(root_, ns_);
    attribute(root_, "schemaVersion", kSchemaVersion);
  }

  xmlNode* root() const { return root_; }

  // An element with children to come.
  xmlNode* element(xmlNode* parent, const char* name) { return checked(xmlNewChild(parent, ns_, bad(name), nullptr)); }

  // An element holding `value` as text; xmlNewTextChild escapes it.
  xmlNode* text(xmlNode* parent, const char* name, const std::string& value) {
    if (!isXmlText(value)) {
      std::string path = xml::elementPath(parent);
      throw Error(ErrorCode::Internal,
                  builtWhat(kind_) + ": " + (path.empty() ? "" : path + "/") + name +
                      " is not UTF-8 text or holds a character XML does not allow",
                  {{(path.empty() ? "" : path + "/") + name, "encoding", "not UTF-8 text XML allows"}});
    }
    return checked(xmlNewTextChild(parent, ns_, bad(name), bad(value.c_str())));
  }

  void optional(xmlNode* parent, const char* name, const std::optional<std::string>& value) {
    if (value) text(parent, name, *value);
  }

  xmlNode* number(xmlNode* parent, const char* name, long long value) {
    return text(parent, name, std::to_string(value));
  }

  void attribute(xmlNode* node, const char* name, const std::string& value) {
    if (!isXmlText(value))
      throw Error(ErrorCode::Internal, builtWhat(kind_) + ": attribute " + name + " is not UTF-8 text");
    if (xmlNewProp(node, bad(name), bad(value.c_str())) == nullptr) {
      throw Error(ErrorCode::Internal, "libxml2: cannot add an attribute");
    }
  }

  void tonnes(xmlNode* parent, const char* name, long long value) {
    attribute(number(parent, name, value), "unit", "tCO2e");
  }

  void period(xmlNode* parent, const char* name, const Period& p) {
    xmlNode* node = element(parent, name);
    optional(node, "From", p.from);
    optional(node, "To", p.to);
  }

  // Serialises, then validates the bytes that will actually be sent.
  std::string finish() {
    xmlChar* memory = nullptr;
    int size = 0;
    xmlDocDumpFormatMemoryEnc(doc_.get(), &memory, &size, "UTF-8", 1);
    xml::Chars owned(memory);
    if (!owned || size <= 0) throw Error(ErrorCode::Internal, "libxml2: cannot serialise the message");
    std::string out(good(owned.get()), static_cast<std::size_t>(size));
    auto problems = validate(kind_, out, kMaxBuiltBytes);
    if (!problems.empty()) throwSchemaProblems(ErrorCode::Internal, kind_, builtWhat(kind_), problems);
    return out;
  }

 private:
  static xmlNode* checked(xmlNode* node) {
    if (node == nullptr) throw Error(ErrorCode::Internal, "libxml2: cannot create an element");
    return node;
  }

  MessageKind kind_;
  xml::Doc doc_;
  xmlNode* root_ = nullptr;
  xmlNs* ns_ = nullptr;
};

void writeEntity(Writer& w, xmlNode* parent, const AuthorisedEntity& e) {
  xmlNode* node = w.element(parent, "AuthorizedEntity");
  w.text(node, "AuthorizedEntityID", e.entityId);
  w.text(node, "EntityName", e.name);
  w.text(node, "CountryOfIncorporation", e.countryOfIncorporation);
  w.optional(node, "IdentificationNumber", e.identificationNumber);
  w.text(node, "CooperativeApproachID", e.cooperativeApproachId);
  w.text(node, "DateOfAuthorization", e.dateOfAuthorisation);
  w.optional(node, "Conditions", e.conditions);
  w.text(node, "ChangeAndRevocationConditions", e.changeAndRevocationConditions);
}

void writeDocumentation(Writer& w, xmlNode* parent, const AuthorisationDocumentation& d) {
  xmlNode* node = w.element(parent, "AuthorizationDocumentation");
  w.text(node, "DocumentSHA256", d.sha256);
  w.text(node, "DocumentAddress", d.address);
}

enum class EntityForm { InFull, ById };

void writeAuthorisation(Writer& w, xmlNode* parent, const Authorisation& a, EntityForm form,
                        const std::optional<AuthorisationDocumentation>& letter) {
  xmlNode* node = w.element(parent, "Authorization");
  w.text(node, "AuthorizationID", a.authorisationId);
  w.text(node, "DateOfAuthorization", a.dateOfAuthorisation);
  w.text(node, "CooperativeApproachID", a.cooperativeApproachId);
  w.number(node, "VersionOfTheAuthorization", a.version);
  if (a.authorisedQuantity) w.tonnes(node, "AuthorizedQuantity", *a.authorisedQuantity);
  w.text(node, "Metric", a.metric);
  w.optional(node, "GWPValues", a.gwpValues);
  if (a.nonGhgMetric) {
    xmlNode* metric = w.text(node, "NonGHGMetric", *a.nonGhgMetric);
    w.attribute(metric, "unit", a.nonGhgMetricUnit.value_or(""));
  }
  xmlNode* sectors = w.element(node, "Sectors");
  for (const auto& s : a.sectors) w.text(sectors, "Sector", s);
  xmlNode* types = w.element(node, "ActivityTypes");
  for (const auto& t : a.activityTypes) w.text(types, "ActivityType", t);
  w.text(node, "PurposesForAuthorization", a.purposes);
  if (!a.authorisedParties.empty()) {
    xmlNode* parties = w.element(node, "AuthorizedParties");
    for (const auto& p : a.authorisedParties) w.text(parties, "Party", p);
  }
  if (!a.authorisedEntities.empty()) {
    xmlNode* entities = w.element(node, "AuthorizedEntities");
    for (const auto& e : a.authorisedEntities) {
      if (form == EntityForm::InFull) {
        writeEntity(w, entities, e);
      } else {
        w.text(entities, "AuthorizedEntityID", e.entityId);
      }
    }
  }
  w.optional(node, "OIMPAuthorizedByTheParty", a.oimpAuthorisedByTheParty);
  if (a.timeframe) {
    xmlNode* timeframe = w.element(node, "AuthorizedTimeframe");
    if (a.timeframe->mitigation) w.period(timeframe, "MitigationPeriod", *a.timeframe->mitigation);
    if (a.timeframe->use) w.period(timeframe, "UsePeriod", *a.timeframe->use);
  }
  w.optional(node, "TermsAndConditions", a.termsAndConditions);
  w.optional(node, "FirstTransferDefinition", a.firstTransferDefinition);
  w.optional(node, "AdditionalInformation", a.additionalInformation);
  if (letter) writeDocumentation(w, node, *letter);
}

void requireRules(MessageKind kind, std::vector<FieldError> problems) {
  if (!problems.empty()) throwRuleProblems(ErrorCode::Internal, kind, builtWhat(kind), std::move(problems));
}

// --- reading -------------------------------------------------------------------------------------

class Reader {
 public:
  explicit Reader(MessageKind kind) : ns_(schemaNamespace(kind)) {}

  const xmlNode* child(const xmlNode* parent, const char* name) const {
    for (const xmlNode* n = parent ? parent->children : nullptr; n != nullptr; n = n->next) {
      if (xml::isElement(n, ns_, name)) return n;
    }
    return nullptr;
  }

  std::vector<const xmlNode*> children(const xmlNode* parent, const char* name) const {
    std::vector<const xmlNode*> out;
    for (const xmlNode* n = parent ? parent->children : nullptr; n != nullptr; n = n->next) {
      if (xml::isElement(n, ns_, name)) out.push_back(n);
    }
    return out;
  }

  // Exact text, for xs:string-based types (identifiers, names, free text).
  std::string text(const xmlNode* parent, const char* name) const { return xml::textOf(child(parent, name)); }
  std::optional<std::string> optionalText(const xmlNode* parent, const char* name) const {
    const xmlNode* n = child(parent, name);
    return n ? std::optional<std::string>(xml::textOf(n)) : std::nullopt;
  }
  // Trimmed text, for types whose white space XML Schema collapses (dates, numbers, URIs).
  std::string token(const xmlNode* parent, const char* name) const { return trim(text(parent, name)); }
  std::optional<std::string> optionalToken(const xmlNode* parent, const char* name) const {
    auto value = optionalText(parent, name);
    return value ? std::optional<std::string>(trim(*value)) : std::nullopt;
  }
  // The schema has already checked the lexical form and range.
  long long integer(const xmlNode* parent, const char* name) const { return toInteger(text(parent, name)).value_or(0); }
  std::optional<long long> optionalInteger(const xmlNode* parent, const char* name) const {
    const xmlNode* n = child(parent, name);
    return n ? toInteger(xml::textOf(n)) : std::nullopt;
  }

  std::optional<Period> period(const xmlNode* parent, const char* name) const {
    const xmlNode* n = child(parent, name);
    if (n == nullptr) return std::nullopt;
    return Period{optionalToken(n, "From"), optionalToken(n, "To")};
  }

 private:
  const char* ns_;
};

XmlDocument readValidated(MessageKind kind, const std::string& text, std::size_t maxBytes) {
  SafeParseOptions options;
  options.maxBytes = maxBytes;
  options.rootNamespaces = {schemaNamespace(kind)};
  XmlDocument doc = parseXmlSafelyOrThrow(text, options);
  auto problems = validateDocument(kind, doc.get());
  if (!problems.empty()) throwSchemaProblems(ErrorCode::Invalid, kind, readWhat(kind), problems);
  return doc;
}

AuthorisedEntity readEntity(const Reader& r, const xmlNode* n) {
  AuthorisedEntity e;
  e.entityId = r.text(n, "AuthorizedEntityID");
  e.name = r.text(n, "EntityName");
  e.countryOfIncorporation = r.text(n, "CountryOfIncorporation");
  e.identificationNumber = r.optionalText(n, "IdentificationNumber");
  e.cooperativeApproachId = r.text(n, "CooperativeApproachID");
  e.dateOfAuthorisation = r.token(n, "DateOfAuthorization");
  e.conditions = r.optionalText(n, "Conditions");
  e.changeAndRevocationConditions = r.text(n, "ChangeAndRevocationConditions");
  return e;
}

Authorisation readAuthorisation(const Reader& r, const xmlNode* n) {
  Authorisation a;
  a.authorisationId = r.text(n, "AuthorizationID");
  a.dateOfAuthorisation = r.token(n, "DateOfAuthorization");
  a.cooperativeApproachId = r.text(n, "CooperativeApproachID");
  a.version = static_cast<int>(r.integer(n, "VersionOfTheAuthorization"));
  a.authorisedQuantity = r.optionalInteger(n, "AuthorizedQuantity");
  a.metric = r.text(n, "Metric");
  a.gwpValues = r.optionalText(n, "GWPValues");
  if (const xmlNode* metric = r.child(n, "NonGHGMetric")) {
    a.nonGhgMetric = xml::textOf(metric);
    xml::Chars unit(xmlGetNoNsProp(metric, bad("unit")));
    a.nonGhgMetricUnit = unit ? std::string(good(unit.get())) : std::string();
  }
  for (const xmlNode* s : r.children(r.child(n, "Sectors"), "Sector")) a.sectors.push_back(xml::textOf(s));
  for (const xmlNode* t : r.children(r.child(n, "ActivityTypes"), "ActivityType")) {
    a.activityTypes.push_back(xml::textOf(t));
  }
  a.purposes = r.text(n, "PurposesForAuthorization");
  for (const xmlNode* p : r.children(r.child(n, "AuthorizedParties"), "Party")) {
    a.authorisedParties.push_back(xml::textOf(p));
  }
  for (const xmlNode* e : r.children(r.child(n, "AuthorizedEntities"), "AuthorizedEntity")) {
    a.authorisedEntities.push_back(readEntity(r, e));
  }
  a.oimpAuthorisedByTheParty = r.optionalText(n, "OIMPAuthorizedByTheParty");
  if (const xmlNode* t = r.child(n, "AuthorizedTimeframe")) {
    a.timeframe = AuthorisedTimeframe{r.period(t, "MitigationPeriod"), r.period(t, "UsePeriod")};
  }
  a.termsAndConditions = r.optionalText(n, "TermsAndConditions");
  a.firstTransferDefinition = r.optionalText(n, "FirstTransferDefinition");
  a.additionalInformation = r.optionalText(n, "AdditionalInformation");
  return a;
}

void requireReadRules(MessageKind kind, std::vector<FieldError> problems) {
  if (!problems.empty()) throwRuleProblems(ErrorCode::Invalid, kind, readWhat(kind), std::move(problems));
}

}  // namespace

// --- builders ------------------------------------------------------------------------------------

std::string buildNotification(const AuthorisationNotice& n) {
  constexpr MessageKind kKind = MessageKind::AuthorisationNotification;
  Writer w(kKind);
  xmlNode* root = w.root();
  w.text(root, "MessageID", n.messageId);
  w.text(root, "SendingParty", n.sendingParty);
  w.text(root, "CreatedAt", n.createdAt);
  w.text(root, "NotificationKind", toString(n.kind));
  writeAuthorisation(w, root, n.authorisation, EntityForm::InFull, std::nullopt);
  if (n.activity) {
    const MitigationActivity& act = *n.activity;
    xmlNode* node = w.element(root, "MitigationActivity");
    w.text(node, "Title", act.title);
    w.optional(node, "DesignDocumentReference", act.designDocumentReference);
    w.optional(node, "Standard", act.standard);
    w.optional(node, "Methodology", act.methodology);
    if (act.creditingPeriod) w.period(node, "CreditingPeriod", *act.creditingPeriod);
    if (act.vintageFrom || act.vintageTo) {
      xmlNode* vintages = w.element(node, "Vintages");
      if (act.vintageFrom) w.number(vintages, "From", *act.vintageFrom);
      if (act.vintageTo) w.number(vintages, "To", *act.vintageTo);
    }
    w.optional(node, "UnderlyingUnitRegistry", act.underlyingUnitRegistry);
  }
  if (n.amendment) {
    xmlNode* node = w.element(root, "Amendment");
    w.number(node, "PreviousVersion", n.amendment->previousVersion);
    w.optional(node, "SummaryOfChanges", n.amendment->summaryOfChanges);
  }
  if (n.revocation) {
    xmlNode* node = w.element(root, "Revocation");
    w.text(node, "RevocationReason", n.revocation->reason);
    w.text(node, "RevocationEffectiveDate", n.revocation->effectiveDate);
  }
  writeDocumentation(w, root, n.letter);
  std::string out = w.finish();
  requireRules(kKind, rulesOf(n));
  return out;
}

std::string buildAcknowledgement(const Acknowledgement& a) {
  constexpr MessageKind kKind = MessageKind::Acknowledgement;
  Writer w(kKind);
  xmlNode* root = w.root();
  w.text(root, "AcknowledgementID", a.acknowledgementId);
  w.text(root, "RefersToMessageID", a.refersToMessageId);
  w.text(root, "Sender", a.sender);
  w.text(root, "CreatedAt", a.createdAt);
  w.text(root, "Status", toString(a.status));
  if (!a.messages.empty()) {
    xmlNode* messages = w.element(root, "Messages");
    for (const auto& m : a.messages) {
      xmlNode* node = w.element(messages, "Message");
      w.text(node, "Code", m.code);
      w.optional(node, "Field", m.field);
      w.text(node, "Text", m.text);
    }
  }
  std::string out = w.finish();
  requireRules(kKind, rulesOf(a));
  return out;
}

std::string buildFinding(const Finding& f) {
  constexpr MessageKind kKind = MessageKind::ConsistencyFinding;
  // Checked first: with both or neither reference there is no message to write.
  requireRules(kKind, rulesOf(f));
  Writer w(kKind);
  xmlNode* root = w.root();
  w.text(root, "MessageID", f.messageId);
  w.text(root, "FindingID", f.findingId);
  w.text(root, "Sender", f.sender);
  w.text(root, "CreatedAt", f.createdAt);
  w.text(root, "Party", f.party);
  xmlNode* refersTo = w.element(root, "RefersTo");
  if (f.submissionMessageId) {
    w.text(w.element(refersTo, "Submission"), "MessageID", *f.submissionMessageId);
  } else {
    xmlNode* action = w.element(refersTo, "Action");
    w.text(action, "AuthorizationID", f.action->authorisationId);
    w.number(action, "VersionOfTheAuthorization", f.action->version);
  }
  w.text(root, "Status", toString(f.status));
  w.text(root, "Severity", toString(f.severity));
  w.optional(root, "Code", f.code);
  w.text(root, "Text", f.text);
  return w.finish();
}

std::string buildAnnualSubmission(const AnnualSubmission& s) {
  constexpr MessageKind kKind = MessageKind::AnnualSubmission;
  Rules rules;
  // The entities table: every entity the rows name, once, in the order first named.
  std::vector<const AuthorisedEntity*> entities;
  std::map<std::string, std::pair<const AuthorisedEntity*, std::string>> seen;  // id -> entity, where
  for (std::size_t i = 0; i < s.authorisations.size(); ++i) {
    const Authorisation& a = s.authorisations[i].authorisation;
    std::string path = "Authorizations/Authorization[" + std::to_string(i + 1) + "]";
    rules.authorisation(a, path);
    for (const auto& e : a.authorisedEntities) {
      auto [it, inserted] = seen.try_emplace(e.entityId, &e, path);
      if (inserted) {
        entities.push_back(&e);
      } else if (!(*it->second.first == e)) {
        rules.add(path + "/AuthorizedEntities",
                  "entity " + e.entityId + " differs from the entity with the same AuthorizedEntityID in " +
                      it->second.second + "; give the changed entity its own AuthorizedEntityID");
      }
    }
  }
  for (std::size_t i = 0; i < s.actions.size(); ++i) {
    rules.itmoBlock(s.actions[i].firstUniqueIdentifier, s.actions[i].lastUniqueIdentifier,
                    "Actions/Action[" + std::to_string(i + 1) + "]/FirstUniqueIdentifier");
  }
  for (std::size_t i = 0; i < s.holdings.size(); ++i) {
    rules.itmoBlock(s.holdings[i].firstUniqueIdentifier, s.holdings[i].lastUniqueIdentifier,
                    "Holdings/Holding[" + std::to_string(i + 1) + "]/FirstUniqueIdentifier");
  }

  Writer w(kKind);
  xmlNode* root = w.root();
  w.text(root, "MessageID", s.messageId);
  w.text(root, "CreatedAt", s.createdAt);
  xmlNode* submission = w.element(root, "Submission");
  w.text(submission, "Party", s.party);
  w.number(submission, "ReportedYear", s.reportedYear);
  w.text(submission, "SubmissionDate", s.submissionDate);
  w.number(submission, "VersionOfTheSubmission", s.submissionVersion);

  xmlNode* authorisations = w.element(root, "Authorizations");
  for (const auto& row : s.authorisations) {
    writeAuthorisation(w, authorisations, row.authorisation, EntityForm::ById, row.letter);
  }
  xmlNode* entityTable = w.element(root, "AuthorizedEntities");
  for (const AuthorisedEntity* e : entities) writeEntity(w, entityTable, *e);

  xmlNode* actions = w.element(root, "Actions");
  for (const Action& a : s.actions) {
    xmlNode* node = w.element(actions, "Action");
    w.text(node, "ActionID", a.actionId);
    w.text(node, "ActionDate", a.actionDate);
    w.text(node, "ActionType", a.actionType);
    w.optional(node, "ActionSubtype", a.actionSubtype);
    w.text(node, "CooperativeApproachID", a.cooperativeApproachId);
    w.text(node, "AuthorizationID", a.authorisationId);
    w.text(node, "FirstUniqueIdentifier", a.firstUniqueIdentifier);
    w.text(node, "LastUniqueIdentifier", a.lastUniqueIdentifier);
    w.number(node, "Vintage", a.vintage);
    w.tonnes(node, "Quantity", a.quantity);
    w.optional(node, "MitigationType", a.mitigationType);
    w.optional(node, "TransferringParty", a.transferringParty);
    w.optional(node, "AcquiringParty", a.acquiringParty);
    w.optional(node, "TransferringEntity", a.transferringEntity);
    w.optional(node, "AcquiringEntity", a.acquiringEntity);
    w.optional(node, "PurposesForCancellation", a.purposesForCancellation);
  }
  xmlNode* holdings = w.element(root, "Holdings");
  w.attribute(holdings, "asOf", std::to_string(s.reportedYear) + "-12-31");
  for (const Holding& h : s.holdings) {
    xmlNode* node = w.element(holdings, "Holding");
    w.text(node, "CooperativeApproachID", h.cooperativeApproachId);
    w.optional(node, "AuthorizationID", h.authorisationId);
    w.text(node, "FirstUniqueIdentifier", h.firstUniqueIdentifier);
    w.text(node, "LastUniqueIdentifier", h.lastUniqueIdentifier);
    w.number(node, "Vintage", h.vintage);
    w.tonnes(node, "Quantity", h.quantity);
    w.optional(node, "HoldingEntity", h.holdingEntity);
  }
  std::string out = w.finish();
  requireRules(kKind, rules.take());
  return out;
}

// --- parsers -------------------------------------------------------------------------------------

Acknowledgement parseAcknowledgement(const std::string& text, std::size_t maxBytes) {
  constexpr MessageKind kKind = MessageKind::Acknowledgement;
  XmlDocument doc = readValidated(kKind, text, maxBytes);
  Reader r(kKind);
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  Acknowledgement a;
  a.acknowledgementId = r.text(root, "AcknowledgementID");
  a.refersToMessageId = r.text(root, "RefersToMessageID");
  a.sender = r.text(root, "Sender");
  a.createdAt = r.token(root, "CreatedAt");
  std::string status = r.text(root, "Status");
  a.status = status == "accepted"   ? AckStatus::Accepted
             : status == "rejected" ? AckStatus::Rejected
                                    : AckStatus::Received;
  for (const xmlNode* m : r.children(r.child(root, "Messages"), "Message")) {
    a.messages.push_back({r.text(m, "Code"), r.optionalText(m, "Field"), r.text(m, "Text")});
  }
  requireReadRules(kKind, rulesOf(a));
  return a;
}

Finding parseFinding(const std::string& text, std::size_t maxBytes) {
  constexpr MessageKind kKind = MessageKind::ConsistencyFinding;
  XmlDocument doc = readValidated(kKind, text, maxBytes);
  Reader r(kKind);
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  Finding f;
  f.messageId = r.text(root, "MessageID");
  f.findingId = r.text(root, "FindingID");
  f.sender = r.text(root, "Sender");
  f.createdAt = r.token(root, "CreatedAt");
  f.party = r.text(root, "Party");
  const xmlNode* refersTo = r.child(root, "RefersTo");
  if (const xmlNode* submission = r.child(refersTo, "Submission")) {
    f.submissionMessageId = r.text(submission, "MessageID");
  } else if (const xmlNode* action = r.child(refersTo, "Action")) {
    f.action = ActionReference{r.text(action, "AuthorizationID"),
                               static_cast<int>(r.integer(action, "VersionOfTheAuthorization"))};
  }
  f.status = r.text(root, "Status") == "resolved" ? FindingStatus::Resolved : FindingStatus::Open;
  std::string severity = r.text(root, "Severity");
  f.severity = severity == "info"    ? FindingSeverity::Info
               : severity == "error" ? FindingSeverity::Error
                                     : FindingSeverity::Warning;
  f.code = r.optionalText(root, "Code");
  f.text = r.text(root, "Text");
  requireReadRules(kKind, rulesOf(f));
  return f;
}

AuthorisationNotice parseNotification(const std::string& text, std::size_t maxBytes) {
  constexpr MessageKind kKind = MessageKind::AuthorisationNotification;
  XmlDocument doc = readValidated(kKind, text, maxBytes);
  Reader r(kKind);
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  AuthorisationNotice n;
  n.messageId = r.text(root, "MessageID");
  n.sendingParty = r.text(root, "SendingParty");
  n.createdAt = r.token(root, "CreatedAt");
  std::string kind = r.text(root, "NotificationKind");
  n.kind = kind == "amended" ? NoticeKind::Amended : kind == "revoked" ? NoticeKind::Revoked : NoticeKind::Issued;
  n.authorisation = readAuthorisation(r, r.child(root, "Authorization"));
  if (const xmlNode* act = r.child(root, "MitigationActivity")) {
    MitigationActivity m;
    m.title = r.text(act, "Title");
    m.designDocumentReference = r.optionalText(act, "DesignDocumentReference");
    m.standard = r.optionalText(act, "Standard");
    m.methodology = r.optionalText(act, "Methodology");
    m.creditingPeriod = r.period(act, "CreditingPeriod");
    if (const xmlNode* vintages = r.child(act, "Vintages")) {
      m.vintageFrom = static_cast<int>(r.integer(vintages, "From"));
      m.vintageTo = static_cast<int>(r.integer(vintages, "To"));
    }
    m.underlyingUnitRegistry = r.optionalText(act, "UnderlyingUnitRegistry");
    n.activity = std::move(m);
  }
  if (const xmlNode* amendment = r.child(root, "Amendment")) {
    n.amendment = Amendment{static_cast<int>(r.integer(amendment, "PreviousVersion")),
                            r.optionalText(amendment, "SummaryOfChanges")};
  }
  if (const xmlNode* revocation = r.child(root, "Revocation")) {
    n.revocation = Revocation{r.text(revocation, "RevocationReason"), r.token(revocation, "RevocationEffectiveDate")};
  }
  const xmlNode* letter = r.child(root, "AuthorizationDocumentation");
  n.letter = AuthorisationDocumentation{r.text(letter, "DocumentSHA256"), r.token(letter, "DocumentAddress")};
  requireReadRules(kKind, rulesOf(n));
  return n;
}

}  // namespace a6::integrations::unfccc
