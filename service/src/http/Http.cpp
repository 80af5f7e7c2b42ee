#include "a6/service/http/Http.h"

#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <algorithm>

#include "a6/core/Error.h"
#include "a6/signing/Digest.h"

namespace a6::service {

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string Response::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (Poco::icompare(k, name) == 0) return v;
  }
  return "";
}

Exchange::Exchange(Poco::Net::HTTPServerRequest& request, std::string path, std::size_t bodyLimit)
    : request_(request), method_(request.getMethod()), path_(std::move(path)), bodyLimit_(bodyLimit) {
  Poco::URI uri(request.getURI());
  for (const auto& [k, v] : uri.getQueryParameters()) {
    if (query_.count(k)) repeated_.insert(k);
    query_[k] = v;
  }
}

std::string Exchange::header(const std::string& name) const { return request_.get(name, ""); }

std::optional<std::string> Exchange::query(const std::string& name) const {
  if (repeated_.count(name)) {
    throw Error(ErrorCode::Invalid, "query parameter given more than once",
                {{name, "duplicate", "give this parameter once"}});
  }
  auto it = query_.find(name);
  if (it == query_.end()) return std::nullopt;
  return it->second;
}

const std::string& Exchange::body() {
  if (bodyRead_) return body_;
  bodyRead_ = true;
  if (request_.hasContentLength() && request_.getContentLength64() > static_cast<long long>(bodyLimit_)) {
    throw Error(ErrorCode::TooLarge, "the body is " + std::to_string(request_.getContentLength64()) +
                                         " bytes; the limit here is " + std::to_string(bodyLimit_));
  }
  signing::Sha256 hash;
  std::istream& in = request_.stream();
  char buf[16384];
  while (in) {
    in.read(buf, sizeof buf);
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    if (body_.size() + static_cast<std::size_t>(n) > bodyLimit_) {
      throw Error(ErrorCode::TooLarge, "the body exceeds the limit of " + std::to_string(bodyLimit_) + " bytes");
    }
    body_.append(buf, static_cast<std::size_t>(n));
    hash.update(std::string_view(buf, static_cast<std::size_t>(n)));
  }
  bodySha256_ = signing::toHex(hash.finish());
  bodyComplete_ = true;
  return body_;
}

const std::string& Exchange::bodySha256() {
  body();
  return bodySha256_;
}

Poco::JSON::Object::Ptr Exchange::jsonObject(int maxDepth) {
  std::string type = header("Content-Type");
  auto semi = type.find(';');
  std::string mediaType = Poco::toLower(Poco::trim(type.substr(0, semi)));
  if (mediaType != "application/json" && mediaType != "application/merge-patch+json") {
    throw Error(ErrorCode::UnsupportedMediaType, "send JSON with Content-Type: application/json (got '" + type + "')");
  }
  const std::string& text = body();
  if (text.empty()) throw Error(ErrorCode::Malformed, "the body is empty; a JSON object was expected");
  if (!isValidUtf8(text)) throw Error(ErrorCode::Malformed, "the body is not valid UTF-8");
  int depth = jsonNestingDepth(text);
  if (depth > maxDepth) {
    throw Error(ErrorCode::Malformed,
                "JSON nesting depth " + std::to_string(depth) + " exceeds the limit of " + std::to_string(maxDepth));
  }
  Poco::Dynamic::Var parsed;
  try {
    Poco::JSON::Parser parser;
    parser.setDepth(static_cast<std::size_t>(maxDepth) + 1);
    parsed = parser.parse(text);
  } catch (const Poco::Exception& e) {
    throw Error(ErrorCode::Malformed, "the body is not valid JSON: " + e.message());
  }
  if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
    throw Error(ErrorCode::Malformed, "a JSON object was expected at the top level");
  }
  return parsed.extract<Poco::JSON::Object::Ptr>();
}

const Principal& Exchange::who() const {
  if (!principal) throw Error(ErrorCode::Unauthenticated, "authentication required");
  return *principal;
}

bool isValidUtf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len = 0;
    unsigned cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<std::size_t>(len) > n) return false;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<std::size_t>(len);
  }
  return true;
}

int jsonNestingDepth(std::string_view s) {
  int depth = 0;
  int deepest = 0;
  bool inString = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (inString) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inString = false;
      }
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace a6::service
