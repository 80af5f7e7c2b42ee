// Enveloped XML signatures (XMLDSig) over whole UNFCCC messages, with xmlsec1 and its OpenSSL
// backend: exclusive C14N, RSA-SHA256 or ECDSA-SHA256 by key type, SHA-256 digest, one Reference
// URI="" with the enveloped-signature transform, and the signer's certificate in KeyInfo.
// Verification trusts only the certificates it is given: the certificate in KeyInfo is never used
// to find or trust the key.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "a6/integrations/unfccc/XmlSafe.h"

namespace a6::signing {
class SigningIdentity;
}

namespace a6::integrations::unfccc {

// Signs `xml` (a message without a signature) with the Party's identity (PKCS#12, see
// a6/signing/Keys.h): the signature is appended as the last child of the root element and KeyInfo
// carries the signer certificate followed by the rest of the identity's chain. The signature
// covers the document exactly as given: whitespace and all. Throws a6::Error(Internal) when the
// input is not a well-formed message or already carries a signature, or xmlsec fails.
std::string signXml(const std::string& xml, const signing::SigningIdentity& identity);

// The same with a PEM private key (PKCS#8 or traditional, unencrypted) and its PEM certificate,
// for tools and tests (the UNFCCC simulator). Throws a6::Error(Config) when the key or certificate
// cannot be read or do not belong together.
std::string signXml(const std::string& xml, const std::string& privateKeyPem, const std::string& certificatePem);

struct VerifyResult {
  bool valid = false;
  std::string signerSubject;  // RFC 2253 subject of the trusted certificate that verified, when valid
  std::string problem;        // why not, when not valid
};

// Verifies the one enveloped signature of `xml` against the public keys of `trustedCertPems` (each
// string may hold several PEM certificates): valid when one of them verifies it. The document is
// read with XmlSafe (at most maxBytes). Only Reference URI="" is followed (nothing is fetched),
// only exclusive C14N, the enveloped-signature transform, SHA-256 and RSA-/ECDSA-SHA256 are
// accepted, and both xmlsec's return code and the context's status must say "succeeded".
// Expected failures are results, not exceptions.
VerifyResult verifyXml(const std::string& xml, const std::vector<std::string>& trustedCertPems,
                       std::size_t maxBytes = kDefaultMaxXmlBytes);

}  // namespace a6::integrations::unfccc
