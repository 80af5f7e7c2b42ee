// Passwords for the portal's sign-in: PBKDF2-HMAC-SHA256 (OpenSSL) with a random 16-byte salt,
// stored as "pbkdf2-sha256$<iterations>$<base64 salt>$<base64 hash>" and compared in constant
// time. A password is never logged, never on a command line, never in an event.
#pragma once

#include <string>

#include "a6/core/Clock.h"
#include "a6/service/store/Store.h"

namespace a6::service {

// OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
constexpr int kPasswordIterations = 210000;
constexpr std::size_t kPasswordMinLength = 10;    // characters as bytes; UTF-8 counts more
constexpr std::size_t kPasswordMaxLength = 1024;  // bytes: bounds the work one sign-in costs

// The encoded hash of `password`; `iterations` below the default are for tests only.
std::string hashPassword(const std::string& password, int iterations = kPasswordIterations);

// True when `password` matches `encoded`. A malformed `encoded` (or one with an unreasonable
// iteration count) is false, not an error.
bool verifyPassword(const std::string& password, const std::string& encoded);

// The hash of a random password no one knows, made once: a sign-in for an unknown user is
// checked against it so that it takes as long as one with a wrong password.
const std::string& decoyPasswordHash();

// Throws a6::Error(Malformed) saying what is wrong with a new password.
void checkNewPassword(const std::string& password);

// Reads a password from a file (the first line, its line ending dropped); "-" reads stdin.
std::string readPasswordFile(const std::string& path);

// Sets (or replaces) a user's password: a "password_set" event on the user's stream (which
// records that it was set and by whom, never the password or its hash) and the user's row.
// Throws a6::Error(NotFound) for an unknown user, Malformed for a password that breaks the rules.
void setUserPassword(Store& store, const std::string& party, const std::string& userName, const std::string& password,
                     const std::string& actor, const Clock& clock);

}  // namespace a6::service
