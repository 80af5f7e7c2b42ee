// Verification of signed PDFs from the bytes alone: every signature dictionary is found by its
// /ByteRange, the ranges are checked against the file, and the CMS is verified with OpenSSL; no PDF
// parser is trusted with the untrusted upload. Bad input yields a `problem`, never an exception.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "a6/signing/Keys.h"

namespace a6::signing {

struct SignatureCheck {
  bool intact = false;           // the ranges are sound, the digest matches and the CMS signature verifies
  bool chainTrusted = false;     // the signer certificate chains to an anchor of the TrustStore
  bool coversWholeFile = false;  // this signature's ByteRange ends at EOF
  std::string signerName;        // the signer certificate's common name
  std::string signerCertificateSha256;
  std::string signingTime;                   // from /M, as RFC 3339 UTC when it parses, else as written
  std::optional<std::string> timestampTime;  // genTime of a time-stamp token that covers this signature
  std::string subFilter;                     // e.g. "ETSI.CAdES.detached"
  std::string problem;                       // why not intact or not trusted; empty when both hold
};

struct PdfVerification {
  bool isPdf = false;
  std::string problem;                     // about the file as a whole (not a PDF, too large, truncated, no signatures)
  std::vector<SignatureCheck> signatures;  // in file order, the first signatory first
  bool modifiedAfterLastSignature = false;  // bytes follow the end of the last signed range
  std::string sha256;                       // of the whole file, lower-case hex; empty when the file was refused unread
};

struct VerifyLimits {
  std::size_t maxBytes = 20u << 20;
  int maxSignatures = 32;
};

PdfVerification verifyPdf(const std::string& pdf, const TrustStore& trust, const VerifyLimits& limits = {});

}  // namespace a6::signing
