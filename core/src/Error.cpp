#include "a6/core/Error.h"

#include <utility>

namespace a6 {

const char* toString(ErrorCode code) {
  switch (code) {
    case ErrorCode::Invalid:
      return "validation";
    case ErrorCode::Malformed:
      return "malformed";
    case ErrorCode::NotFound:
      return "not-found";
    case ErrorCode::MethodNotAllowed:
      return "method-not-allowed";
    case ErrorCode::Conflict:
      return "conflict";
    case ErrorCode::PreconditionFailed:
      return "precondition-failed";
    case ErrorCode::PreconditionRequired:
      return "precondition-required";
    case ErrorCode::Unauthenticated:
      return "unauthenticated";
    case ErrorCode::Forbidden:
      return "forbidden";
    case ErrorCode::TooLarge:
      return "too-large";
    case ErrorCode::UnsupportedMediaType:
      return "unsupported-media-type";
    case ErrorCode::IdempotencyMismatch:
      return "idempotency-key-reused";
    case ErrorCode::Config:
      return "config";
    case ErrorCode::Definition:
      return "definition";
    case ErrorCode::Store:
      return "store";
    case ErrorCode::Internal:
      return "internal";
  }
  return "internal";
}

Error::Error(ErrorCode code, std::string message, std::vector<FieldError> fields)
    : std::runtime_error(std::move(message)), code_(code), fields_(std::move(fields)) {}

SourceError::SourceError(ErrorCode code, std::string file, int line, std::string reason)
    : Error(code, file + ":" + std::to_string(line) + ": " + reason),
      file_(std::move(file)),
      line_(line),
      reason_(std::move(reason)) {}

}  // namespace a6
