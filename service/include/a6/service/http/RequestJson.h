// The JSON codec of an authorisation request: the API's JSON (DESIGN.md, "A request, as the API
// shows it") to and from the plain RequestFields, plus the JSON tools the HTTP layer builds on.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include "a6/core/Error.h"
#include "a6/service/domain/Request.h"

namespace a6::service {

// Decodes the API's JSON object into RequestFields. Never throws for bad content: appends one
// FieldError per problem, with its path in the API's names ("activity.sector[1]"):
//  - "unknown_field" for a key the contract does not have (rejected, not ignored, so that a
//    misspelt field is never silently lost; "id", "state", "version" … are unknown here too);
//  - "type" for a value of the wrong JSON type, naming the expected type; integers beyond
//    int64 and numbers with a fraction or exponent are "type" errors for integer fields;
//  - "range" for a vintage year that does not fit in an int at all.
// null means absent everywhere, for objects and lists too. Content rules are validateRequest's.
RequestFields decodeRequestFields(const Poco::JSON::Object& object, std::vector<a6::FieldError>& errors);

// Writes every key of the contract (absent values as null, empty lists as []), so that clients
// always see the full shape.
Poco::JSON::Object::Ptr encodeRequestFields(const RequestFields& fields);

// RFC 7396 JSON Merge Patch: a copy of `target` with `patch` applied (null deletes a member,
// objects merge recursively, anything else replaces). Neither argument is changed, and the
// result shares no objects or arrays with them.
Poco::JSON::Object::Ptr applyMergePatch(const Poco::JSON::Object& target, const Poco::JSON::Object& patch);

// Deterministic compact JSON for payloads that are hashed: object keys sorted by byte order, no
// whitespace, UTF-8 kept as is, only the escapes JSON requires (\" \\ and control characters),
// integers as integers, doubles in their shortest round-trip form. Accepts what the Poco parser
// produces (empty Var as null, bool, integers, double, std::string, Object/Array and their
// Ptrs, Poco::Dynamic::Array); throws a6::Error (Internal) for a NaN, an infinity or any
// other type, which have no JSON form.
std::string canonicalJson(const Poco::Dynamic::Var& value);
// Appends `text` as a JSON string (quotes, escapes, UTF-8 bytes as they are), as canonicalJson
// writes strings; for writers of JSON by hand (the log formatter).
void appendJsonString(std::string& out, std::string_view text);

// Parses JSON text that a6auth wrote itself (stored fields, event payloads) as an object.
Poco::JSON::Object::Ptr parseStoredObject(const std::string& text);

// The leaves of an object by dotted path ("authorisation.vintages.from"); arrays are leaves.
std::map<std::string, Poco::Dynamic::Var> flattenObject(const Poco::JSON::Object& object);

}  // namespace a6::service
