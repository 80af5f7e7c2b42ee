// The UNFCCC schemas, embedded in the binary at build time from integrations/unfccc/schemas/ and
// compiled once.
#include "a6/integrations/unfccc/Schemas.h"

#include <array>
#include <cstring>
#include <utility>

#include "a6/core/Error.h"
#include "unfccc/LibXml.h"

namespace a6::integrations::unfccc {

// The schema texts, generated at build time from integrations/unfccc/schemas/*.xsd by
// cmake/EmbedText.cmake, so the files are the only copy.
const std::string& authorisationNotificationXsd();
const std::string& acknowledgementXsd();
const std::string& consistencyFindingXsd();
const std::string& annualSubmissionXsd();

namespace {

struct KindInfo {
  const char* fileName;
  const char* ns;
  const char* root;
  const std::string& (*text)();
};

const KindInfo& infoOf(MessageKind kind) {
  static const KindInfo kInfo[] = {
      {"authorisation-notification.xsd", "urn:a6auth:unfccc:authorisation-notification:1", "AuthorizationNotification",
       authorisationNotificationXsd},
      {"acknowledgement.xsd", "urn:a6auth:unfccc:acknowledgement:1", "Acknowledgement", acknowledgementXsd},
      {"consistency-finding.xsd", "urn:a6auth:unfccc:consistency-finding:1", "ConsistencyFinding",
       consistencyFindingXsd},
      {"annual-submission.xsd", "urn:a6auth:unfccc:annual-submission:1", "AnnualSubmission", annualSubmissionXsd},
  };
  return kInfo[static_cast<std::size_t>(kind)];
}

void collectSchemaMessage(void* ctx, xmlErrorPtr error) {
  if (error == nullptr || error->level < XML_ERR_ERROR) return;
  auto* out = static_cast<std::string*>(ctx);
  *out += "line " + std::to_string(error->line) + ": " + xml::tidyMessage(error->message) + "\n";
}

void collectValidationProblem(void* ctx, xmlErrorPtr error) {
  if (error == nullptr || error->level < XML_ERR_ERROR) return;
  auto* out = static_cast<std::vector<SchemaProblem>*>(ctx);
  const auto* node = static_cast<const xmlNode*>(error->node);
  std::string path = (node != nullptr && node->type == XML_ELEMENT_NODE) ? xml::elementPath(node) : "";
  out->push_back({error->line, std::move(path), xml::tidyMessage(error->message)});
}

xml::Schema compile(MessageKind kind) {
  const KindInfo& info = infoOf(kind);
  const std::string& text = info.text();
  xml::SchemaParserCtxt parser(xmlSchemaNewMemParserCtxt(text.data(), static_cast<int>(text.size())));
  if (!parser) throw Error(ErrorCode::Internal, "libxml2: cannot create a schema parser");
  std::string messages;
  xmlSchemaSetParserStructuredErrors(parser.get(), collectSchemaMessage, &messages);
  xml::Schema schema(xmlSchemaParse(parser.get()));
  if (!schema) throw Error(ErrorCode::Internal, std::string(info.fileName) + " does not compile:\n" + messages);
  return schema;
}

// Compiled on first use; C++ runs the initialiser once even when threads race. A compiled schema is
// only read afterwards, so concurrent validations (each with its own context) may share it.
xmlSchema* compiledSchema(MessageKind kind) {
  static const std::array<xml::Schema, 4> kSchemas = [] {
    xml::initialiseLibXml();
    return std::array<xml::Schema, 4>{compile(MessageKind::AuthorisationNotification),
                                      compile(MessageKind::Acknowledgement), compile(MessageKind::ConsistencyFinding),
                                      compile(MessageKind::AnnualSubmission)};
  }();
  return kSchemas[static_cast<std::size_t>(kind)].get();
}

}  // namespace

const char* schemaFileName(MessageKind kind) { return infoOf(kind).fileName; }
const char* schemaNamespace(MessageKind kind) { return infoOf(kind).ns; }
const char* rootElementName(MessageKind kind) { return infoOf(kind).root; }

const std::string& schemaText(MessageKind kind) { return infoOf(kind).text(); }

std::optional<MessageKind> messageKindOfNamespace(std::string_view ns) {
  for (MessageKind kind : kAllMessageKinds) {
    if (ns == schemaNamespace(kind)) return kind;
  }
  return std::nullopt;
}

std::vector<SchemaProblem> validateDocument(MessageKind kind, _xmlDoc* doc) {
  xmlSchema* schema = compiledSchema(kind);
  const xmlNode* root = doc ? xmlDocGetRootElement(doc) : nullptr;
  if (root == nullptr) return {{0, "", "the document has no root element"}};
  if (!xml::isElement(root, schemaNamespace(kind), rootElementName(kind))) {
    std::string ns = (root->ns && root->ns->href) ? xml::good(root->ns->href) : "";
    return {{xml::lineOf(root), "",
             "the root element is " + std::string(xml::good(root->name)) + " in " +
                 (ns.empty() ? std::string("no namespace") : "namespace " + ns) + "; expected " +
                 rootElementName(kind) + " in namespace " + schemaNamespace(kind)}};
  }
  xml::SchemaValidCtxt ctxt(xmlSchemaNewValidCtxt(schema));
  if (!ctxt) throw Error(ErrorCode::Internal, "libxml2: cannot create a schema validation context");
  std::vector<SchemaProblem> problems;
  xmlSchemaSetValidStructuredErrors(ctxt.get(), collectValidationProblem, &problems);
  int rc = xmlSchemaValidateDoc(ctxt.get(), doc);
  if (rc != 0 && problems.empty()) {
    problems.push_back({0, "", std::string("the document does not match ") + schemaFileName(kind)});
  }
  return problems;
}

std::vector<SchemaProblem> validate(MessageKind kind, std::string_view xml, std::size_t maxBytes) {
  SafeParseOptions options;
  options.maxBytes = maxBytes;
  SafeParseResult parsed = parseXmlSafely(xml, options);
  if (!parsed) return {{parsed.problem.line, "", parsed.problem.message}};
  return validateDocument(kind, parsed.document.get());
}

std::string describe(MessageKind kind, const SchemaProblem& problem) {
  std::string out = schemaFileName(kind);
  out += ": line " + std::to_string(problem.line);
  if (!problem.path.empty()) out += " (" + problem.path + ")";
  return out + ": " + problem.message;
}

}  // namespace a6::integrations::unfccc
