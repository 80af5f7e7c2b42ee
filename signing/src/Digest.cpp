#include "a6/signing/Digest.h"

#include <openssl/evp.h>

#include "a6/core/Error.h"

namespace a6::signing {

void Sha256::Free::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorCode::Internal, "SHA-256 initialisation failed");
  }
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view bytes) {
  if (finished_) throw Error(ErrorCode::Internal, "SHA-256 updated after finish");
  if (EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1) {
    throw Error(ErrorCode::Internal, "SHA-256 update failed");
  }
}

Sha256Digest Sha256::finish() {
  if (finished_) throw Error(ErrorCode::Internal, "SHA-256 finished twice");
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &len) != 1 || len != out.size()) {
    throw Error(ErrorCode::Internal, "SHA-256 finish failed");
  }
  finished_ = true;
  return out;
}

Sha256Digest sha256(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.finish();
}

std::string toHex(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

std::string sha256Hex(std::string_view bytes) { return toHex(sha256(bytes)); }

}  // namespace a6::signing
