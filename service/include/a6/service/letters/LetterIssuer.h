// What the workflow needs of letters: make one, signed, for the commit that causes it.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "a6/service/store/Store.h"

namespace a6::service {

class LetterIssuer {
 public:
  struct Input {
    std::string templateName;
    std::string signerRole;
    RequestRecord record;                         // as it is after the commit
    std::optional<AuthorisationVersion> version;  // the version the letter states, if any
    std::string previousFieldsJson;               // amendment: the fields before it
    std::string reason;                           // rejection, revocation: why
  };
  virtual ~LetterIssuer() = default;
  // The letter's record and its signed PDF. Throws a6::Error when it cannot be made.
  virtual std::pair<LetterRecord, std::string> issue(const Input& input) = 0;
};

}  // namespace a6::service
