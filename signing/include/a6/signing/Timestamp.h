// RFC 3161 time stamps: asking a time-stamp authority (TSA) over HTTP for a token over some bytes,
// and reading such a token back when a signature is verified.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "a6/signing/Keys.h"

namespace a6::signing {

// Sends to `url` (http://) a TimeStampReq for SHA-256(data), with a random nonce and certReq set,
// and returns the DER TimeStampToken (a CMS SignedData ContentInfo) from a granted response, after
// checking that its message imprint and nonce match the request and that its signature is intact.
// Throws a6::Error: Config for an unusable URL, Internal when the TSA cannot be reached, refuses,
// or answers with something that is not a matching token.
std::string requestTimestampToken(const std::string& url, std::string_view data, std::chrono::seconds timeout);

// What a token says, once checked against the bytes it should cover.
struct TimestampTokenInfo {
  bool imprintMatches = false;   // the token covers exactly `data`
  bool signatureIntact = false;  // the TSA's signature over the token verifies
  bool tsaTrusted = false;       // the TSA chains to the given anchors and may stamp time
  std::string time;              // genTime, RFC 3339 UTC ("2025-01-31T12:00:00Z")
  std::string tsaName;           // the TSA certificate's subject common name
  std::string problem;           // why the token does not hold, empty when it does
};

// Parses a DER TimeStampToken and checks it against `data` (the bytes that were time-stamped), and
// the TSA against `trust` when given. Never throws for bad input; problems are in the result.
TimestampTokenInfo inspectTimestampToken(std::string_view tokenDer, std::string_view data,
                                         const TrustStore* trust = nullptr);

}  // namespace a6::signing
