// The one exception base of a6auth: a stable machine-readable code plus context
// (a field path for request data, file and line for definitions and templates).
// Only service/http maps these to HTTP status and problem+json.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace a6 {

// Stable error codes. Their string form is part of the API (problem+json "type").
enum class ErrorCode {
  Invalid,    // input that breaks a rule (see fieldErrors)
  Malformed,  // input that cannot be parsed at all
  NotFound,
  MethodNotAllowed,
  Conflict,  // state or version conflict
  PreconditionFailed,
  PreconditionRequired,
  Unauthenticated,
  Forbidden,
  TooLarge,
  UnsupportedMediaType,
  IdempotencyMismatch,
  Config,      // bad configuration; stops the start
  Definition,  // bad workflow definition or template; refused at load
  Store,       // the database failed
  Internal,
};

const char* toString(ErrorCode code);

struct FieldError {
  std::string path;     // e.g. "authorisation.authorized_entities[0].country"
  std::string code;     // e.g. "pattern", "required", "type", "unknown_field"
  std::string message;  // a sentence for people
  bool operator==(const FieldError&) const = default;
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, std::vector<FieldError> fields = {});
  ErrorCode code() const { return code_; }
  const std::vector<FieldError>& fieldErrors() const { return fields_; }

 private:
  ErrorCode code_;
  std::vector<FieldError> fields_;
};

// An error located in a file (definitions, templates, config): "file:line: reason".
class SourceError : public Error {
 public:
  SourceError(ErrorCode code, std::string file, int line, std::string reason);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_;
  int line_;
  std::string reason_;
};

}  // namespace a6
