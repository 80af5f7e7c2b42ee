// PAdES signing of PDFs: baseline B-B (CMS detached over the ByteRange, SHA-256,
// signing-certificate-v2, SubFilter ETSI.CAdES.detached) and B-T when a time-stamp authority is
// configured, with a visible signature block. Later signatories are added by incremental updates.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "a6/core/Clock.h"
#include "a6/signing/Keys.h"

namespace a6::signing {

struct SignatureAppearance {
  int page = 0;  // 0-based
  // Points, PDF user space of the page. A zero width or height gives an invisible signature.
  double x = 0, y = 0, width = 0, height = 0;
  std::string signerName, signerTitle, reason, location;  // UTF-8; signerName defaults to the certificate's CN
  std::string fontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
};

struct SignOptions {
  a6::TimePoint signingTime;          // written to /M and shown in the signature block
  std::optional<std::string> tsaUrl;  // RFC 3161 over http://; B-T when set
  std::chrono::seconds tsaTimeout{10};
};

// Returns the signed PDF. An unsigned input gets its first signature (the document is rewritten as
// PDF 1.7 with a classic cross-reference table); a signed input gets one more signature by an
// incremental update, so earlier signatures stay valid.
// Throws a6::Error: Invalid for input that is not a readable PDF, a page out of range, or a signed
// input whose cross-reference is a stream (PoDoFo 0.9 cannot append to those without breaking
// earlier signatures); Config for a missing font; Internal for a failing time-stamp authority.
std::string signPdf(const std::string& pdf, const SigningIdentity& identity, const SignatureAppearance& appearance,
                    const SignOptions& options);

// "D:20250131120000+00'00'", the PDF date of t in UTC.
std::string pdfDate(a6::TimePoint t);

}  // namespace a6::signing
