// Private helpers of the UNFCCC XML layer: owning handles for libxml2 objects, one-time libxml2
// initialisation, and small readers over the tree that the builders, parsers and signer share.
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace a6::integrations::unfccc::xml {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};

inline void freeXmlChars(xmlChar* p) { xmlFree(p); }

using Doc = std::unique_ptr<xmlDoc, Deleter<xmlDoc, xmlFreeDoc>>;
using ParserCtxt = std::unique_ptr<xmlParserCtxt, Deleter<xmlParserCtxt, xmlFreeParserCtxt>>;
using Schema = std::unique_ptr<xmlSchema, Deleter<xmlSchema, xmlSchemaFree>>;
using SchemaParserCtxt = std::unique_ptr<xmlSchemaParserCtxt, Deleter<xmlSchemaParserCtxt, xmlSchemaFreeParserCtxt>>;
using SchemaValidCtxt = std::unique_ptr<xmlSchemaValidCtxt, Deleter<xmlSchemaValidCtxt, xmlSchemaFreeValidCtxt>>;
using Chars = std::unique_ptr<xmlChar, Deleter<xmlChar, freeXmlChars>>;
// A node not (or no longer) in a document; once added to a tree, release() it.
using Node = std::unique_ptr<xmlNode, Deleter<xmlNode, xmlFreeNode>>;

// xmlInitParser once per process, before any thread parses (libxml2 asks for it in threaded programs).
void initialiseLibXml();

inline const xmlChar* bad(const char* s) { return reinterpret_cast<const xmlChar*>(s); }
inline const char* good(const xmlChar* s) { return reinterpret_cast<const char*>(s); }

// libxml2 messages end in a newline and spell names as {namespace}local; keep the local name only.
std::string tidyMessage(const char* message);

// Element children of `parent` (all namespaces).
std::vector<xmlNode*> elementChildren(const xmlNode* parent);
bool isElement(const xmlNode* node, const char* ns, const char* localName);
// The text content of a node (empty when there is none).
std::string textOf(const xmlNode* node);
// "Authorization/AuthorizedEntities/AuthorizedEntity[2]/EntityName": local names from below the
// root, with a position where an element has same-named siblings. Empty for the root itself.
std::string elementPath(const xmlNode* node);
int lineOf(const xmlNode* node);

}  // namespace a6::integrations::unfccc::xml
