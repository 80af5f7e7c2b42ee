// SHA-256 over bytes, in one call or streamed (attachments are hashed while they arrive).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace a6::signing {

using Sha256Digest = std::array<unsigned char, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  // Finishes the digest; the object may not be updated afterwards.
  Sha256Digest finish();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> ctx_;
  bool finished_ = false;
};

Sha256Digest sha256(std::string_view bytes);
std::string sha256Hex(std::string_view bytes);
std::string toHex(const Sha256Digest& digest);

}  // namespace a6::signing
