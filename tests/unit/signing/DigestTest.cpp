#include "a6/signing/Digest.h"

#include <gtest/gtest.h>

#include "a6/core/Error.h"

namespace a6::signing {

TEST(DigestTest, KnownVectors) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigestTest, StreamedEqualsOneShot) {
  std::string data(100000, 'q');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 % 251);
  Sha256 h;
  for (size_t i = 0; i < data.size(); i += 777) h.update(std::string_view(data).substr(i, 777));
  EXPECT_EQ(toHex(h.finish()), sha256Hex(data));
}

TEST(DigestTest, RefusesUseAfterFinish) {
  Sha256 h;
  h.update("x");
  h.finish();
  EXPECT_THROW(h.update("y"), Error);
  EXPECT_THROW(h.finish(), Error);
}

}  // namespace a6::signing
