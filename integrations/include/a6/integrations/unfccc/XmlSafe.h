// The one way a6auth reads XML that it did not write itself (acknowledgements and findings from
// the UNFCCC side, anything posted to the inbound endpoint): a size limit before the first byte is
// parsed, no DTD, no entity of any kind, no network, a depth limit, and optionally a required root
// namespace. Problems come back as values naming what was refused and where.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

// libxml2's document type; the header stays free of libxml2 so that users need not include it.
struct _xmlDoc;

namespace a6::integrations::unfccc {

struct XmlDocumentDeleter {
  void operator()(_xmlDoc* doc) const;
};
// An owned libxml2 document (xmlFreeDoc when it goes).
using XmlDocument = std::unique_ptr<_xmlDoc, XmlDocumentDeleter>;

inline constexpr std::size_t kDefaultMaxXmlBytes = 1024 * 1024;
inline constexpr int kDefaultMaxXmlDepth = 32;

struct SafeParseOptions {
  std::size_t maxBytes = kDefaultMaxXmlBytes;  // larger input is refused unread
  int maxDepth = kDefaultMaxXmlDepth;          // element nesting; the root is depth 1
  // When not empty, the root element must be in one of these namespaces.
  std::vector<std::string> rootNamespaces;
};

enum class XmlProblemKind {
  None,
  TooLarge,        // more bytes than maxBytes
  Malformed,       // not well-formed XML (or not UTF-8 text where the encoding says so)
  Forbidden,       // a DOCTYPE or an entity reference
  TooDeep,         // nesting beyond maxDepth
  WrongNamespace,  // the root element is not in an accepted namespace
};

// Stable lower-case names ("too_large", "forbidden", ...), for logs and problem types.
const char* toString(XmlProblemKind kind);

struct XmlProblem {
  XmlProblemKind kind = XmlProblemKind::None;
  int line = 0;         // 0 when the problem has no place (size, namespace)
  std::string message;  // a sentence for people; never quotes the refused content
};

struct SafeParseResult {
  XmlDocument document;  // null exactly when problem.kind != None
  XmlProblem problem;
  explicit operator bool() const { return document != nullptr; }
};

// Parses `xml` under the limits in `options`. Thread-safe.
SafeParseResult parseXmlSafely(std::string_view xml, const SafeParseOptions& options = {});

// The same, throwing a6::Error: ErrorCode::TooLarge for size, ErrorCode::Invalid for a wrong
// namespace, ErrorCode::Malformed for everything else; the message names the line.
XmlDocument parseXmlSafelyOrThrow(std::string_view xml, const SafeParseOptions& options = {});

// The namespace URI and local name of the root element (empty when there is none).
std::string rootNamespaceOf(const _xmlDoc* doc);
std::string rootNameOf(const _xmlDoc* doc);

}  // namespace a6::integrations::unfccc
