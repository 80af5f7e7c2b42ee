#include "a6/service/app/Passwords.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

#include "a6/core/Error.h"
#include "a6/service/http/Http.h"
#include "a6/service/http/RequestJson.h"

namespace a6::service {
namespace {

constexpr const char* kScheme = "pbkdf2-sha256";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr int kMinIterations = 1000;
constexpr int kMaxIterations = 10'000'000;

std::string base64(const unsigned char* data, std::size_t size) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  enc.close();
  return out.str();
}

std::optional<std::vector<unsigned char>> unbase64(const std::string& text) {
  try {
    std::istringstream in(text);
    Poco::Base64Decoder dec(in);
    std::string bytes((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    return std::vector<unsigned char>(bytes.begin(), bytes.end());
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

std::vector<unsigned char> derive(const std::string& password, const unsigned char* salt, std::size_t saltSize,
                                  int iterations, std::size_t length) {
  std::vector<unsigned char> out(length);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt, static_cast<int>(saltSize),
                        iterations, EVP_sha256(), static_cast<int>(length), out.data()) != 1) {
    throw Error(ErrorCode::Internal, "PBKDF2 failed");
  }
  return out;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

std::string hashPassword(const std::string& password, int iterations) {
  if (iterations < kMinIterations || iterations > kMaxIterations) {
    throw Error(ErrorCode::Internal, "PBKDF2 iterations out of range");
  }
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) throw Error(ErrorCode::Internal, "random generator failed");
  auto hash = derive(password, salt, sizeof salt, iterations, kHashBytes);
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64(salt, sizeof salt) + "$" +
         base64(hash.data(), hash.size());
}

bool verifyPassword(const std::string& password, const std::string& encoded) {
  auto parts = split(encoded, '$');
  if (parts.size() != 4 || parts[0] != kScheme) return false;
  const std::string& iterText = parts[1];
  if (iterText.empty() || iterText.size() > 8 ||
      !std::all_of(iterText.begin(), iterText.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  int iterations = std::stoi(iterText);
  if (iterations < kMinIterations || iterations > kMaxIterations) return false;
  auto salt = unbase64(parts[2]);
  auto expected = unbase64(parts[3]);
  if (!salt || !expected || salt->empty() || expected->size() < 16 || expected->size() > 64) return false;
  auto actual = derive(password, salt->data(), salt->size(), iterations, expected->size());
  return CRYPTO_memcmp(actual.data(), expected->data(), actual.size()) == 0;
}

const std::string& decoyPasswordHash() {
  static const std::string decoy = [] {
    unsigned char random[24];
    if (RAND_bytes(random, sizeof random) != 1) throw Error(ErrorCode::Internal, "random generator failed");
    return hashPassword(base64(random, sizeof random));
  }();
  return decoy;
}

void checkNewPassword(const std::string& password) {
  if (password.size() < kPasswordMinLength) {
    throw Error(ErrorCode::Malformed,
                "a password needs at least " + std::to_string(kPasswordMinLength) + " characters");
  }
  if (password.size() > kPasswordMaxLength) {
    throw Error(ErrorCode::Malformed, "a password has at most " + std::to_string(kPasswordMaxLength) + " bytes");
  }
  if (!isValidUtf8(password)) throw Error(ErrorCode::Malformed, "a password must be valid UTF-8 text");
  for (unsigned char c : password) {
    if (c < 0x20 || c == 0x7f) throw Error(ErrorCode::Malformed, "a password may not contain control characters");
  }
}

std::string readPasswordFile(const std::string& path) {
  std::string line;
  if (path == "-") {
    std::getline(std::cin, line);
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::Malformed, "cannot read the password file " + path);
    std::getline(in, line);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

void setUserPassword(Store& store, const std::string& party, const std::string& userName, const std::string& password,
                     const std::string& actor, const Clock& clock) {
  auto user = store.findUser(userName);
  if (!user) throw Error(ErrorCode::NotFound, "no user '" + userName + "'");
  checkNewPassword(password);
  user->passwordHash = hashPassword(password);
  const std::string stream = "user:" + user->name;
  auto events = store.events(stream);
  Poco::JSON::Object::Ptr payload = new Poco::JSON::Object;
  payload->set("name", user->name);
  Commit c;
  c.streamId = stream;
  c.party = party;
  c.expectedVersion = events.empty() ? 0 : events.back().seq;
  c.events.push_back({"password_set", actor, formatTimestamp(clock.now()), canonicalJson(payload)});
  c.user = *user;
  store.commit(c);
}

}  // namespace a6::service
