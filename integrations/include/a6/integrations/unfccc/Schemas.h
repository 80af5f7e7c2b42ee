// The four XML schemas of the UNFCCC exchange, embedded in the binary (a deployed a6auth reads no
// schema file) and compiled once per process, and validation of a message against its schema.
// integrations/unfccc/schemas/*.xsd are the published copies; a unit test keeps both identical.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "a6/integrations/unfccc/XmlSafe.h"

namespace a6::integrations::unfccc {

enum class MessageKind {
  AuthorisationNotification,  // authorisation-notification.xsd, root AuthorizationNotification
  Acknowledgement,            // acknowledgement.xsd, root Acknowledgement
  ConsistencyFinding,         // consistency-finding.xsd, root ConsistencyFinding
  AnnualSubmission,           // annual-submission.xsd, root AnnualSubmission
};

inline constexpr MessageKind kAllMessageKinds[] = {MessageKind::AuthorisationNotification, MessageKind::Acknowledgement,
                                                   MessageKind::ConsistencyFinding, MessageKind::AnnualSubmission};

// The minor version every message a6auth writes states in its schemaVersion attribute.
inline constexpr const char* kSchemaVersion = "1.0";
// The XML signature namespace of the enveloped ds:Signature a message may end with.
inline constexpr const char* kXmlDsigNamespace = "http://www.w3.org/2000/09/xmldsig#";

const char* schemaFileName(MessageKind kind);   // "authorisation-notification.xsd"
const char* schemaNamespace(MessageKind kind);  // "urn:a6auth:unfccc:authorisation-notification:1"
const char* rootElementName(MessageKind kind);  // "AuthorizationNotification"
// The embedded text of the schema, byte for byte the file in integrations/unfccc/schemas/.
const std::string& schemaText(MessageKind kind);
// The kind whose namespace is `ns`, if any.
std::optional<MessageKind> messageKindOfNamespace(std::string_view ns);

struct SchemaProblem {
  int line = 0;         // in the validated document; 0 when unknown
  std::string path;     // element path below the root, e.g. "Authorization/CooperativeApproachID"
  std::string message;  // libxml2's sentence with namespaces stripped
  bool operator==(const SchemaProblem&) const = default;
};

// Validates a parsed document against the schema of `kind`; empty when valid. A root element
// other than the kind's (name or namespace) is one problem saying so. Thread-safe.
std::vector<SchemaProblem> validateDocument(MessageKind kind, _xmlDoc* doc);

// Parses `xml` safely (XmlSafe, at most maxBytes) and validates it; a parse problem is returned
// as a SchemaProblem too.
std::vector<SchemaProblem> validate(MessageKind kind, std::string_view xml, std::size_t maxBytes = kDefaultMaxXmlBytes);

// "authorisation-notification.xsd: line 9 (Authorization/CooperativeApproachID): <message>"
std::string describe(MessageKind kind, const SchemaProblem& problem);

}  // namespace a6::integrations::unfccc
