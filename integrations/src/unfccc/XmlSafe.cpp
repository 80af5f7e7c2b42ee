// Safe parsing of inbound XML. libxml2 is driven through its SAX2 handlers so that a DOCTYPE is
// refused the moment its name has been read (before an internal subset declares any entity and
// before an external subset could be fetched), and any entity reference is refused before it is
// looked up. Nothing is ever read from disk or network. Also home of the private tree helpers
// declared in LibXml.h.
#include "a6/integrations/unfccc/XmlSafe.h"

#include <libxml/SAX2.h>
#include <libxml/globals.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <mutex>

#include "a6/core/Error.h"
#include "unfccc/LibXml.h"

namespace a6::integrations::unfccc {

void XmlDocumentDeleter::operator()(_xmlDoc* doc) const { xmlFreeDoc(doc); }

namespace xml {

void initialiseLibXml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

std::string tidyMessage(const char* message) {
  std::string text = message ? message : "unknown error";
  // "{urn:...}Name" -> "Name". A namespace URI always has a colon; a quantifier such as the {4}
  // of a quoted pattern has none and stays.
  std::size_t from = 0;
  for (auto open = text.find('{'); open != std::string::npos; open = text.find('{', from)) {
    auto close = text.find('}', open);
    if (close == std::string::npos) break;
    if (text.find(':', open) < close) {
      text.erase(open, close - open + 1);
      from = open;
    } else {
      from = open + 1;
    }
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

std::vector<xmlNode*> elementChildren(const xmlNode* parent) {
  std::vector<xmlNode*> out;
  if (parent == nullptr) return out;
  for (xmlNode* n = parent->children; n != nullptr; n = n->next) {
    if (n->type == XML_ELEMENT_NODE) out.push_back(n);
  }
  return out;
}

bool isElement(const xmlNode* node, const char* ns, const char* localName) {
  if (node == nullptr || node->type != XML_ELEMENT_NODE) return false;
  if (std::strcmp(good(node->name), localName) != 0) return false;
  if (ns == nullptr) return node->ns == nullptr;
  return node->ns != nullptr && node->ns->href != nullptr && std::strcmp(good(node->ns->href), ns) == 0;
}

std::string textOf(const xmlNode* node) {
  Chars value(xmlNodeGetContent(node));
  return value ? std::string(good(value.get())) : std::string();
}

std::string elementPath(const xmlNode* node) {
  std::vector<std::string> parts;
  for (const xmlNode* n = node; n != nullptr && n->type == XML_ELEMENT_NODE; n = n->parent) {
    if (n->parent == nullptr || n->parent->type != XML_ELEMENT_NODE) break;  // the root is not named
    std::string part = good(n->name);
    int position = 0;
    int count = 0;
    for (const xmlNode* s = n->parent->children; s != nullptr; s = s->next) {
      if (s->type != XML_ELEMENT_NODE || std::strcmp(good(s->name), good(n->name)) != 0) continue;
      ++count;
      if (s == n) position = count;
    }
    if (count > 1) part += "[" + std::to_string(position) + "]";
    parts.push_back(std::move(part));
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!out.empty()) out += '/';
    out += *it;
  }
  return out;
}

int lineOf(const xmlNode* node) { return node ? static_cast<int>(xmlGetLineNo(node)) : 0; }

}  // namespace xml

const char* toString(XmlProblemKind kind) {
  switch (kind) {
    case XmlProblemKind::None:
      return "none";
    case XmlProblemKind::TooLarge:
      return "too_large";
    case XmlProblemKind::Malformed:
      return "malformed";
    case XmlProblemKind::Forbidden:
      return "forbidden";
    case XmlProblemKind::TooDeep:
      return "too_deep";
    case XmlProblemKind::WrongNamespace:
      return "wrong_namespace";
  }
  return "unknown";
}

namespace {

using namespace xml;

// Reached from libxml2's callbacks through the parser context's _private pointer.
struct ParseState {
  int maxDepth = kDefaultMaxXmlDepth;
  int depth = 0;
  XmlProblem problem;  // the first problem; later ones are consequences
};

xmlParserCtxtPtr parserOf(void* ctx) { return static_cast<xmlParserCtxtPtr>(ctx); }
ParseState& stateOf(void* ctx) { return *static_cast<ParseState*>(parserOf(ctx)->_private); }
int currentLine(xmlParserCtxtPtr ctxt) { return ctxt->input ? ctxt->input->line : 0; }

// Records the first problem and halts the parser: libxml2 empties its input, so nothing after this
// point (an internal subset, an entity's replacement text) is ever read.
void refuse(void* ctx, XmlProblemKind kind, std::string message) {
  xmlParserCtxtPtr ctxt = parserOf(ctx);
  ParseState& state = stateOf(ctx);
  if (state.problem.kind == XmlProblemKind::None) {
    state.problem = {kind, currentLine(ctxt), std::move(message)};
  }
  ctxt->wellFormed = 0;
  xmlStopParser(ctxt);
}

void refuseInternalSubset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  // The names and the system identifier are not echoed: they may point at a local file.
  refuse(ctx, XmlProblemKind::Forbidden, "a DOCTYPE (DTD) is not allowed");
}

void refuseExternalSubset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  refuse(ctx, XmlProblemKind::Forbidden, "an external DTD is not allowed");
}

// Only references to entities other than the five predefined ones get here.
xmlEntityPtr refuseEntity(void* ctx, const xmlChar* name) {
  std::string shown = name ? good(name) : "";
  bool plain = shown.size() <= 40 && std::all_of(shown.begin(), shown.end(), [](char c) {
                 return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
               });
  refuse(ctx, XmlProblemKind::Forbidden,
         plain ? "entity reference &" + shown + "; is not allowed" : std::string("an entity reference is not allowed"));
  return nullptr;
}

void refuseEntityDecl(void* ctx, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
  refuse(ctx, XmlProblemKind::Forbidden, "an entity declaration is not allowed");
}

void startElement(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri, int nbNamespaces,
                  const xmlChar** namespaces, int nbAttributes, int nbDefaulted, const xmlChar** attributes) {
  ParseState& state = stateOf(ctx);
  if (++state.depth > state.maxDepth) {
    refuse(ctx, XmlProblemKind::TooDeep,
           "elements are nested deeper than " + std::to_string(state.maxDepth) + " levels");
    return;
  }
  xmlSAX2StartElementNs(ctx, localname, prefix, uri, nbNamespaces, namespaces, nbAttributes, nbDefaulted, attributes);
}

void endElement(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri) {
  ParseState& state = stateOf(ctx);
  --state.depth;
  xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

void collectParseError(void* ctx, xmlErrorPtr error) {
  if (error == nullptr || error->level < XML_ERR_ERROR) return;
  ParseState& state = stateOf(ctx);
  if (state.problem.kind != XmlProblemKind::None) return;
  state.problem = {XmlProblemKind::Malformed, error->line, "malformed XML: " + tidyMessage(error->message)};
}

// Errors libxml2 raises without a parser context would otherwise go to stderr. The handler is
// thread-local in libxml2, so setting it for the length of one parse touches no other thread.
void ignoreStrayError(void*, xmlErrorPtr) {}

class StrayErrorGuard {
 public:
  StrayErrorGuard() : previous_(xmlStructuredError), previousContext_(xmlStructuredErrorContext) {
    xmlSetStructuredErrorFunc(nullptr, ignoreStrayError);
  }
  ~StrayErrorGuard() { xmlSetStructuredErrorFunc(previousContext_, previous_); }
  StrayErrorGuard(const StrayErrorGuard&) = delete;
  StrayErrorGuard& operator=(const StrayErrorGuard&) = delete;

 private:
  xmlStructuredErrorFunc previous_;
  void* previousContext_;
};

// Second line of defence: nothing DTD- or entity-shaped may be in the tree that we hand out.
bool hasDtdOrEntity(const xmlDoc* doc, int& line) {
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) return true;
  const xmlNode* n = doc->children;
  while (n != nullptr) {
    if (n->type == XML_DTD_NODE || n->type == XML_ENTITY_REF_NODE || n->type == XML_ENTITY_DECL ||
        n->type == XML_ENTITY_NODE) {
      line = lineOf(n);
      return true;
    }
    if (n->type == XML_ELEMENT_NODE) {
      for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
        for (const xmlNode* v = a->children; v != nullptr; v = v->next) {
          if (v->type == XML_ENTITY_REF_NODE) {
            line = lineOf(n);
            return true;
          }
        }
      }
    }
    if (n->children != nullptr && n->type == XML_ELEMENT_NODE) {
      n = n->children;
      continue;
    }
    while (n != nullptr && n->next == nullptr) {
      n = n->parent;
      if (n == nullptr || n->type == XML_DOCUMENT_NODE) return false;
    }
    if (n != nullptr) n = n->next;
  }
  return false;
}

SafeParseResult fail(XmlProblemKind kind, int line, std::string message) {
  SafeParseResult result;
  result.problem = {kind, line, std::move(message)};
  return result;
}

}  // namespace

SafeParseResult parseXmlSafely(std::string_view xml, const SafeParseOptions& options) {
  const std::size_t limit = std::min<std::size_t>(options.maxBytes, INT_MAX);
  if (xml.size() > limit) {
    return fail(XmlProblemKind::TooLarge, 0,
                "the document has " + std::to_string(xml.size()) + " bytes; at most " + std::to_string(limit) +
                    " are accepted");
  }
  if (xml.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return fail(XmlProblemKind::Malformed, 0, "malformed XML: the document is empty");
  }
  initialiseLibXml();
  StrayErrorGuard strayErrors;

  ParserCtxt ctxt(xmlNewParserCtxt());
  if (!ctxt || !ctxt->sax) throw Error(ErrorCode::Internal, "libxml2: cannot create a parser context");
  ParseState state;
  state.maxDepth = options.maxDepth;
  ctxt->_private = &state;
  ctxt->sax->internalSubset = refuseInternalSubset;
  ctxt->sax->externalSubset = refuseExternalSubset;
  ctxt->sax->getEntity = refuseEntity;
  ctxt->sax->getParameterEntity = refuseEntity;
  ctxt->sax->entityDecl = refuseEntityDecl;
  ctxt->sax->startElementNs = startElement;
  ctxt->sax->endElementNs = endElement;
  ctxt->sax->serror = collectParseError;
  // Never NOENT (substitute entities), DTDLOAD, DTDATTR, DTDVALID or XINCLUDE; NONET so that not even
  // a catalog lookup may go out. BIG_LINES keeps line numbers right past 65535.
  const int parseOptions = XML_PARSE_NONET | XML_PARSE_BIG_LINES;
  Doc doc(xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()), nullptr, nullptr, parseOptions));

  if (state.problem.kind != XmlProblemKind::None && state.problem.kind != XmlProblemKind::Malformed) {
    return fail(state.problem.kind, state.problem.line, state.problem.message);
  }
  if (!doc || !ctxt->wellFormed || state.problem.kind == XmlProblemKind::Malformed) {
    if (state.problem.kind == XmlProblemKind::Malformed) {
      return fail(state.problem.kind, state.problem.line, state.problem.message);
    }
    return fail(XmlProblemKind::Malformed, currentLine(ctxt.get()), "malformed XML: the document could not be parsed");
  }
  int line = 0;
  if (hasDtdOrEntity(doc.get(), line)) {
    return fail(XmlProblemKind::Forbidden, line, "a DTD or an entity is not allowed");
  }
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr) return fail(XmlProblemKind::Malformed, 0, "malformed XML: there is no root element");
  if (!options.rootNamespaces.empty()) {
    std::string ns = (root->ns && root->ns->href) ? good(root->ns->href) : "";
    if (std::find(options.rootNamespaces.begin(), options.rootNamespaces.end(), ns) == options.rootNamespaces.end()) {
      std::string accepted;
      for (const auto& a : options.rootNamespaces) accepted += (accepted.empty() ? "" : ", ") + a;
      return fail(XmlProblemKind::WrongNamespace, lineOf(root),
                  "the root element " + std::string(good(root->name)) + " is in " +
                      (ns.empty() ? std::string("no namespace") : "namespace " + ns) + "; accepted: " + accepted);
    }
  }
  SafeParseResult result;
  result.document.reset(doc.release());
  return result;
}

XmlDocument parseXmlSafelyOrThrow(std::string_view xml, const SafeParseOptions& options) {
  SafeParseResult parsed = parseXmlSafely(xml, options);
  if (parsed) return std::move(parsed.document);
  const XmlProblem& p = parsed.problem;
  std::string where = p.line > 0 ? "line " + std::to_string(p.line) + ": " : "";
  switch (p.kind) {
    case XmlProblemKind::TooLarge:
      throw Error(ErrorCode::TooLarge, p.message);
    case XmlProblemKind::WrongNamespace:
      throw Error(ErrorCode::Invalid, where + p.message);
    default:
      throw Error(ErrorCode::Malformed, where + p.message);
  }
}

std::string rootNamespaceOf(const _xmlDoc* doc) {
  const xmlNode* root = doc ? xmlDocGetRootElement(doc) : nullptr;
  return (root && root->ns && root->ns->href) ? good(root->ns->href) : "";
}

std::string rootNameOf(const _xmlDoc* doc) {
  const xmlNode* root = doc ? xmlDocGetRootElement(doc) : nullptr;
  return root ? good(root->name) : "";
}

}  // namespace a6::integrations::unfccc
