// Letters: renders a letter template with the record's data, signs it (PAdES) with the Party's
// key, and hands back the bytes and their record for the same commit as the decision that caused
// them. Also verifies a presented PDF against its signatures and against the letters on record.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "a6/core/Clock.h"
#include "a6/core/IdGenerator.h"
#include "a6/service/app/Config.h"
#include "a6/service/letters/LetterIssuer.h"
#include "a6/service/store/Store.h"
#include "a6/signing/PdfVerify.h"

namespace a6::templates {
class LetterTemplates;
}
namespace a6::signing {
class SigningIdentity;
class TrustStore;
}  // namespace a6::signing

namespace a6::service {

struct LetterVerification {
  std::string result;  // "valid", "invalid" or "unknown"
  std::string reason;  // a sentence saying why
  signing::PdfVerification pdf;
  std::optional<LetterRecord> letter;  // the letter on record with these exact bytes
  std::string authorisationStatus;     // "active", "superseded by version N", "revoked", "" when none
  int currentVersion = 0;
};

class LetterService final : public LetterIssuer {
 public:
  // Loads the templates and the signing key; a bad template or key stops the start
  // (a6::Error Config or Definition, naming the file).
  LetterService(const Config& config, Store& store, const Clock& clock, IdGenerator& ids);
  ~LetterService() override;

  std::pair<LetterRecord, std::string> issue(const Input& input) override;
  LetterVerification verify(const std::string& pdf) const;

 private:
  const Config& config_;
  Store& store_;
  const Clock& clock_;
  IdGenerator& ids_;
  std::unique_ptr<templates::LetterTemplates> templates_;
  std::unique_ptr<signing::SigningIdentity> identity_;
  std::unique_ptr<signing::TrustStore> trust_;
};

}  // namespace a6::service
