#include "a6/core/IdGenerator.h"

#include <openssl/rand.h>

#include <cstdio>

#include "a6/core/Error.h"

namespace a6 {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

std::string encode(long long ms, const unsigned char random[10]) {
  // 48 bits of time then 80 bits of randomness, 5 bits per character, most significant first.
  unsigned char bytes[16] = {};
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>((ms >> (8 * (5 - i))) & 0xff);
  for (int i = 0; i < 10; ++i) bytes[6 + i] = random[i];
  std::string out(26, '0');
  // 128 bits -> 26 chars: the first char carries the top 3 bits (of a 130-bit field).
  for (int c = 0; c < 26; ++c) {
    int bitStart = c * 5 - 2;  // position in the 128-bit string, may be negative for c == 0
    unsigned value = 0;
    for (int b = 0; b < 5; ++b) {
      int bit = bitStart + b;
      unsigned v = 0;
      if (bit >= 0) v = (bytes[bit / 8] >> (7 - bit % 8)) & 1u;
      value = (value << 1) | v;
    }
    out[c] = kCrockford[value];
  }
  return out;
}

}  // namespace

UlidGenerator::UlidGenerator(const Clock& clock) : clock_(clock) {}

std::string UlidGenerator::next(const std::string& prefix) {
  long long ms = clock_.now().time_since_epoch().count();
  std::lock_guard lock(mutex_);
  if (ms <= lastMs_) {
    // Same (or earlier) millisecond: increment the previous randomness so ids stay ordered.
    ms = lastMs_;
    for (int i = 9; i >= 0; --i) {
      if (++lastRandom_[i] != 0) break;
    }
  } else {
    if (RAND_bytes(lastRandom_, sizeof lastRandom_) != 1) {
      throw Error(ErrorCode::Internal, "random generator failed");
    }
    lastRandom_[0] &= 0x7f;  // leave room to increment within one millisecond
    lastMs_ = ms;
  }
  return prefix + "_" + encode(ms, lastRandom_);
}

std::string SequentialIdGenerator::next(const std::string& prefix) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%026llu", ++counter_);
  return prefix + "_" + buf;
}

}  // namespace a6
