#include "a6/service/http/Problem.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "a6/service/http/RequestJson.h"

namespace a6::service {

int httpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::Invalid:
      return 422;
    case ErrorCode::Malformed:
      return 400;
    case ErrorCode::NotFound:
      return 404;
    case ErrorCode::MethodNotAllowed:
      return 405;
    case ErrorCode::Conflict:
      return 409;
    case ErrorCode::PreconditionFailed:
      return 412;
    case ErrorCode::PreconditionRequired:
      return 428;
    case ErrorCode::Unauthenticated:
      return 401;
    case ErrorCode::Forbidden:
      return 403;
    case ErrorCode::TooLarge:
      return 413;
    case ErrorCode::UnsupportedMediaType:
      return 415;
    case ErrorCode::IdempotencyMismatch:
      return 422;
    case ErrorCode::Config:
    case ErrorCode::Definition:
    case ErrorCode::Internal:
      return 500;
    case ErrorCode::Store:
      return 503;
  }
  return 500;
}

std::string problemType(ErrorCode code) { return std::string("urn:a6auth:problem:") + toString(code); }

namespace {

const char* title(ErrorCode code) {
  switch (code) {
    case ErrorCode::Invalid:
      return "The request breaks validation rules";
    case ErrorCode::Malformed:
      return "The request cannot be read";
    case ErrorCode::NotFound:
      return "Not found";
    case ErrorCode::MethodNotAllowed:
      return "Method not allowed";
    case ErrorCode::Conflict:
      return "Conflict with the current state";
    case ErrorCode::PreconditionFailed:
      return "The resource changed since you read it";
    case ErrorCode::PreconditionRequired:
      return "If-Match is required";
    case ErrorCode::Unauthenticated:
      return "Authentication required";
    case ErrorCode::Forbidden:
      return "Not allowed";
    case ErrorCode::TooLarge:
      return "Too large";
    case ErrorCode::UnsupportedMediaType:
      return "Unsupported media type";
    case ErrorCode::IdempotencyMismatch:
      return "Idempotency-Key reused with a different request";
    case ErrorCode::Store:
      return "The database is unavailable";
    case ErrorCode::Config:
    case ErrorCode::Definition:
    case ErrorCode::Internal:
      return "Internal error";
  }
  return "Internal error";
}

}  // namespace

Response problem(const Error& error, const std::string& instance) {
  Poco::JSON::Object body;
  int status = httpStatus(error.code());
  body.set("type", problemType(error.code()));
  body.set("title", title(error.code()));
  body.set("status", status);
  // Internal details stay in the log; the client gets a generic sentence.
  bool internal = status >= 500;
  body.set("detail", internal ? std::string("the server could not complete the request; it has been logged")
                              : std::string(error.what()));
  body.set("instance", instance);
  if (!error.fieldErrors().empty() && !internal) {
    Poco::JSON::Array::Ptr errors = new Poco::JSON::Array;
    for (const auto& f : error.fieldErrors()) {
      Poco::JSON::Object::Ptr e = new Poco::JSON::Object;
      e->set("path", f.path);
      e->set("code", f.code);
      e->set("message", f.message);
      errors->add(e);
    }
    body.set("errors", errors);
  }
  Response r;
  r.status = status;
  r.contentType = "application/problem+json";
  r.body = canonicalJson(Poco::Dynamic::Var(body));
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"a6auth\"");
  if (status == 503) r.headers.emplace_back("Retry-After", "5");
  return r;
}

Response problem(ErrorCode code, const std::string& detail, const std::string& instance) {
  return problem(Error(code, detail), instance);
}

}  // namespace a6::service
