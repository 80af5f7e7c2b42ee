// MIME written here rather than with Poco::Net::MailMessage: in Poco 1.11 that class has no nested
// multipart (multipart/alternative inside multipart/mixed needs a hand-made PartSource), leaves
// RFC 2047 encoding of the subject and display names to the caller, has no RFC 2231 file names,
// and would still need every header checked for injection here. SMTP is Poco's session, driven
// command by command so that every reply's code decides permanent or transient; the STARTTLS
// upgrade is SecureSMTPClientSession::startTLS(context) done with the configured host name
// (SecureSMTPClientSession built on a socket we connected, with a timeout, knows no host name, and
// its own host-and-port constructor connects without a timeout).
#include "a6/integrations/email/Mail.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Environment.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureSMTPClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <memory>
#include <sstream>

#include "a6/core/Error.h"

namespace a6::integrations::email {

namespace {

constexpr size_t kMaxLine = 78;
constexpr const char* kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// OpenSSL's global set-up for Poco NetSSL, once per process, as the simulator does it.
void ensureSsl() {
  struct SslLibrary {
    SslLibrary() { Poco::Net::initializeSSL(); }
    ~SslLibrary() { Poco::Net::uninitializeSSL(); }
    SslLibrary(const SslLibrary&) = delete;
    SslLibrary& operator=(const SslLibrary&) = delete;
  };
  static const SslLibrary library;
}

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorCode::Invalid, message); }

// A refused value as an error message may quote it: control characters shown as '?', at most 80
// bytes, so that the outbox's last_error stays one clean line.
std::string shown(const std::string& value) {
  std::string out;
  for (const char c : value.substr(0, 80)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? '?' : c;
  return value.size() > 80 ? out + "..." : out;
}

std::string base64(std::string_view bytes, size_t lineLength = 0) {
  std::string out;
  out.reserve(bytes.size() * 4 / 3 + bytes.size() / 38 + 8);
  size_t column = 0;
  auto put = [&](char c) {
    if (lineLength && column == lineLength) {
      out += "\r\n";
      column = 0;
    }
    out += c;
    ++column;
  };
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    put(kBase64[(n >> 18) & 63]);
    put(kBase64[(n >> 12) & 63]);
    put(kBase64[(n >> 6) & 63]);
    put(kBase64[n & 63]);
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const unsigned n =
        (static_cast<unsigned char>(bytes[i]) << 16) | (two ? static_cast<unsigned char>(bytes[i + 1]) << 8 : 0);
    put(kBase64[(n >> 18) & 63]);
    put(kBase64[(n >> 12) & 63]);
    put(two ? kBase64[(n >> 6) & 63] : '=');
    put('=');
  }
  return out;
}

bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    unsigned cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

bool isControl(unsigned char c) { return c < 0x20 || c == 0x7F; }

// A header value: UTF-8 without CR, LF or any other control character. `what` names it in the
// error.
void checkHeaderText(const std::string& value, const std::string& what) {
  for (const char c : value) {
    if (c == '\r' || c == '\n') invalid(what + " contains a line break (header injection refused)");
    if (isControl(static_cast<unsigned char>(c))) invalid(what + " contains a control character");
  }
  if (!validUtf8(value)) invalid(what + " is not valid UTF-8");
}

bool plainAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

bool isAtext(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// RFC 2047 encoded words (UTF-8, base64) for `text`, split between whole characters so that each
// word is at most 75 characters and, after `used` characters of the first line, no line is longer
// than 78. Words are joined by CRLF SPACE (folding).
std::string encodedWords(std::string_view text, size_t used) {
  std::string out;
  size_t i = 0;
  bool first = true;
  while (i < text.size()) {
    // As many whole characters as fit: 3 bytes per 4 base64 characters, 12 characters of
    // "=?utf-8?B?" and "?=", a line of 78 (75 for the word itself). Display names of up to 45 bytes
    // stay one word: some parsers (Python's email package) keep the space between two encoded
    // words of a phrase although RFC 2047 says to drop it.
    const size_t room = std::min<size_t>(75, kMaxLine - (first ? used : 1));
    const size_t budget = room > 16 ? (room - 12) / 4 * 3 : 3;
    size_t end = i;
    while (end < text.size()) {
      size_t len = 1;
      const auto c = static_cast<unsigned char>(text[end]);
      if (c >= 0xF0)
        len = 4;
      else if (c >= 0xE0)
        len = 3;
      else if (c >= 0xC0)
        len = 2;
      if (end + len - i > budget && end > i) break;
      end += len;
    }
    if (!first) out += "\r\n ";
    out += "=?utf-8?B?" + base64(text.substr(i, end - i)) + "?=";
    first = false;
    i = end;
  }
  return out;
}

// An unstructured header value (Subject): as written when it is short printable ASCII that cannot
// be mistaken for an encoded word, encoded words otherwise.
std::string unstructured(const std::string& value, size_t used) {
  if (plainAscii(value) && used + value.size() <= kMaxLine && value.find("=?") == std::string::npos) return value;
  return encodedWords(value, used);
}

// A display name: atoms as they are, other ASCII quoted, anything else encoded words.
std::string displayName(const std::string& name, size_t used) {
  if (name.empty()) return {};
  const bool atoms = std::all_of(name.begin(), name.end(), [](char c) { return isAtext(c) || c == ' '; });
  if (atoms && used + name.size() <= 60 && name.front() != ' ' && name.back() != ' ') return name;
  if (plainAscii(name) && used + name.size() <= 56 && name.find("=?") == std::string::npos) {
    std::string quoted = "\"";
    for (const char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    return quoted + "\"";
  }
  return encodedWords(name, used);
}

// A MIME parameter (`; name="value"`), RFC 2231 encoded and split when the value is not short
// printable ASCII. Starts with ";" and a fold, so that any header keeps its lines short.
std::string parameter(const std::string& name, const std::string& value) {
  if (plainAscii(value) && value.size() + name.size() <= 60) {
    std::string quoted;
    for (const char c : value) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    return ";\r\n " + name + "=\"" + quoted + "\"";
  }
  static const char* kHex = "0123456789ABCDEF";
  std::vector<std::string> pieces(1, "utf-8''");
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    std::string token;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos) {
      token = std::string(1, static_cast<char>(c));
    } else {
      token = std::string("%") + kHex[c >> 4] + kHex[c & 15];
    }
    if (pieces.back().size() + token.size() > 54) pieces.emplace_back();
    pieces.back() += token;
  }
  std::string out;
  for (size_t k = 0; k < pieces.size(); ++k) out += ";\r\n " + name + "*" + std::to_string(k) + "*=" + pieces[k];
  return out;
}

// Quoted-printable (RFC 2045) with CRLF line ends and lines of at most 76 characters. A dot or
// "From " at the start of a line is encoded too, so that no relay or mailbox format touches it.
std::string quotedPrintable(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find_first_of("\r\n", start);
    const bool last = end == std::string_view::npos;
    if (last) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    size_t column = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const auto c = static_cast<unsigned char>(line[i]);
      const bool literal = ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && i + 1 < line.size())) &&
                           !(i == 0 && c == '.') && !(i == 0 && line.substr(0, 5) == "From ");
      const std::string token =
          literal ? std::string(1, static_cast<char>(c)) : std::string("=") + kHex[c >> 4] + kHex[c & 15];
      if (column + token.size() > 75) {
        out += "=\r\n";
        column = 0;
      }
      out += token;
      column += token.size();
    }
    if (last) break;
    out += "\r\n";
    start = end + (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n' ? 2 : 1);
    if (start == text.size()) break;
  }
  return out;
}

std::string randomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw Error(ErrorCode::Internal, "the random generator failed");
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (const char c : raw) {
    out += kHex[static_cast<unsigned char>(c) >> 4];
    out += kHex[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

bool validMessageId(const std::string& id) {
  if (id.size() < 5 || id.size() > 250 || id.front() != '<' || id.back() != '>') return false;
  const std::string inner = id.substr(1, id.size() - 2);
  const size_t at = inner.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == inner.size() || inner.find('@', at + 1) != std::string::npos) {
    return false;
  }
  return std::all_of(inner.begin(), inner.end(), [](char c) { return c == '@' || c == '.' || isAtext(c); });
}

bool validLanguage(const std::string& lang) {
  if (lang.empty() || lang.size() > 35 || lang.front() == '-' || lang.back() == '-') return false;
  size_t run = 0;
  for (const char c : lang) {
    if (c == '-') {
      if (run == 0) return false;
      run = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80) {
      if (++run > 8) return false;
    } else {
      return false;
    }
  }
  return true;
}

bool validContentType(const std::string& type) {
  const size_t slash = type.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == type.size() || type.size() > 127) return false;
  return std::all_of(type.begin(), type.end(),
                     [&](char c) {
                       return c == '/' ||
                              (std::isalnum(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80) ||
                              std::string_view("!#$&^_.+-").find(c) != std::string_view::npos;
                     }) &&
         std::count(type.begin(), type.end(), '/') == 1;
}

void checkFilename(const std::string& name) {
  if (name.empty() || name.size() > 255) invalid("an attachment's file name must have 1 to 255 bytes");
  checkHeaderText(name, "the attachment file name '" + shown(name) + "'");
  if (name.find_first_of("/\\") != std::string::npos) invalid("an attachment's file name may not contain '/' or '\\'");
}

// "To: a@example.org, b@example.org", folded between addresses.
std::string addressList(const std::string& header, const std::vector<std::string>& addresses) {
  std::string out = header + ": ";
  size_t column = out.size();
  for (size_t i = 0; i < addresses.size(); ++i) {
    const std::string item = addresses[i] + (i + 1 < addresses.size() ? "," : "");
    if (i > 0) {
      if (column + 1 + item.size() > kMaxLine) {
        out += "\r\n ";
        column = 1;
      } else {
        out += ' ';
        ++column;
      }
    }
    out += item;
    column += item.size();
  }
  return out + "\r\n";
}

std::string textPart(const std::string& subtype, const std::string& body) {
  return "Content-Type: text/" + subtype + "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
         quotedPrintable(body) + "\r\n";
}

// One line of a server reply for a reason: control characters out, at most 200 characters.
std::string excerpt(const std::string& reply) {
  std::string out;
  for (const char c : reply) {
    if (out.size() >= 200) {
      out += "…";
      break;
    }
    out += isControl(static_cast<unsigned char>(c)) ? ' ' : c;
  }
  return out;
}

// SecureSMTPClientSession's startTLS with the host name that the certificate must match.
class SmtpSession : public Poco::Net::SecureSMTPClientSession {
 public:
  explicit SmtpSession(const Poco::Net::StreamSocket& socket) : SecureSMTPClientSession(socket) {}

  // Closes the connection without QUIT, after a network failure: the destructor's QUIT then fails
  // at once instead of waiting for another timeout.
  void abort() noexcept {
    try {
      socket().close();
    } catch (...) {
    }
  }

  void upgrade(const std::string& host, const Poco::Net::Context::Ptr& context, const Poco::Timespan& timeout) {
    Poco::Net::SecureStreamSocket secure = Poco::Net::SecureStreamSocket::attach(socket(), host, context);
    secure.setReceiveTimeout(timeout);
    secure.setSendTimeout(timeout);
    socket() = secure;
  }
};

struct Sender {
  const SmtpSettings& settings;

  [[noreturn]] void fail(const std::string& reason, bool permanent) const {
    throw DeliveryFailure(scrub(reason), permanent);
  }

  std::string scrub(std::string reason) const {
    if (settings.password.empty()) return reason;
    std::string plain;
    plain += '\0';
    plain += settings.username;
    plain += '\0';
    plain += settings.password;
    for (const std::string& secret : {settings.password, base64(settings.password), base64(plain)}) {
      for (size_t at = reason.find(secret); !secret.empty() && at != std::string::npos; at = reason.find(secret, at)) {
        reason.replace(at, secret.size(), "[redacted]");
      }
    }
    return reason;
  }

  // Sends `command` and requires a reply in `expected` (2 or 3: its first digit).
  std::string command(SmtpSession& session, const std::string& command, int expected, const std::string& step) const {
    std::string reply;
    const int status = session.sendCommand(command, reply);
    check(status, reply, expected, step);
    return reply;
  }

  void check(int status, const std::string& reply, int expected, const std::string& step) const {
    if (status / 100 == expected) return;
    if (status < 200 || status > 599) fail("SMTP " + step + ": no valid reply (connection closed?)", false);
    fail("SMTP " + step + " refused: " + excerpt(reply), status >= 500);
  }

  // The extensions an EHLO reply lists, one per line, upper-cased, without the "250-" prefix.
  static std::vector<std::string> extensions(const std::string& ehloReply) {
    std::vector<std::string> out;
    std::istringstream lines(ehloReply);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.size() < 4) continue;
      std::string upper = line.substr(4);
      std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
      out.push_back(std::move(upper));
    }
    return out;
  }

  static bool offers(const std::string& ehloReply, const std::string& keyword) {
    for (const std::string& e : extensions(ehloReply)) {
      if (e == keyword || e.rfind(keyword + " ", 0) == 0) return true;
    }
    return false;
  }

  static bool offersAuth(const std::string& ehloReply, const std::string& mechanism) {
    for (const std::string& e : extensions(ehloReply)) {
      if (e.rfind("AUTH ", 0) != 0 && e.rfind("AUTH=", 0) != 0) continue;
      std::istringstream words(e.substr(5));
      std::string word;
      while (words >> word) {
        if (word == mechanism) return true;
      }
    }
    return false;
  }

  void authenticate(SmtpSession& session, const std::string& ehloReply) const {
    if (offersAuth(ehloReply, "PLAIN")) {
      std::string credentials;
      credentials += '\0';
      credentials += settings.username;
      credentials += '\0';
      credentials += settings.password;
      command(session, "AUTH PLAIN " + base64(credentials), 2, "AUTH PLAIN for '" + settings.username + "'");
    } else if (offersAuth(ehloReply, "LOGIN")) {
      // The two prompts (user name, password) come in this order from every server in use; their
      // wording varies ("Username:", "User Name"), so it is not checked.
      command(session, "AUTH LOGIN", 3, "AUTH LOGIN");
      command(session, base64(settings.username), 3, "AUTH LOGIN user name");
      command(session, base64(settings.password), 2, "AUTH LOGIN for '" + settings.username + "'");
    } else {
      fail("SMTP: the server offers neither AUTH PLAIN nor AUTH LOGIN", true);
    }
  }

  void send(const std::string& mime, const std::vector<std::string>& recipients) const {
    const Poco::Timespan timeout(std::chrono::duration_cast<std::chrono::microseconds>(settings.timeout).count());
    const bool tls = settings.security == SmtpSettings::Security::StartTls;
    if (tls) ensureSsl();
    const std::string where = settings.host + ":" + std::to_string(settings.port);
    std::unique_ptr<SmtpSession> connection;
    try {
      Poco::Net::SocketAddress address(settings.host, static_cast<Poco::UInt16>(settings.port));
      Poco::Net::StreamSocket socket;
      socket.connect(address, timeout);
      socket.setReceiveTimeout(timeout);
      socket.setSendTimeout(timeout);
      connection = std::make_unique<SmtpSession>(socket);
      SmtpSession& session = *connection;
      session.open();  // the greeting; SMTPException with its code when it is not 2xx
      const std::string helo = settings.heloName.empty() ? Poco::Environment::nodeName() : settings.heloName;
      std::string ehlo = command(session, "EHLO " + helo, 2, "EHLO");
      if (tls) {
        if (!offers(ehlo, "STARTTLS")) fail("SMTP: " + where + " does not offer STARTTLS", true);
        command(session, "STARTTLS", 2, "STARTTLS");
        Poco::Net::Context::Params params;
        params.caLocation = settings.caFile;
        params.loadDefaultCAs = settings.caFile.empty();
        // STRICT: Poco skips the host name check for loopback hosts in RELAXED mode.
        params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
        params.verificationDepth = 9;
        Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        context->enableExtendedCertificateVerification(true);
        session.upgrade(settings.host, context, timeout);
        ehlo = command(session, "EHLO " + helo, 2, "EHLO after STARTTLS");
      }
      if (!settings.username.empty()) {
        if (!tls) fail("SMTP: credentials are never sent without TLS (security is None)", true);
        authenticate(session, ehlo);
      }
      command(session, "MAIL FROM:<" + settings.fromAddress + ">", 2, "MAIL FROM:<" + settings.fromAddress + ">");
      for (const std::string& to : recipients) command(session, "RCPT TO:<" + to + ">", 2, "RCPT TO:<" + to + ">");
      command(session, "DATA", 3, "DATA");
      std::istringstream data(mime);
      session.sendMessage(data);  // dot-stuffing, the final ".", and the reply: SMTPException unless 2xx
      try {
        session.close();  // QUIT; the message is accepted whatever happens now
      } catch (const Poco::Exception&) {
      }
    } catch (const DeliveryFailure&) {
      throw;
    } catch (const Poco::Net::SMTPException& e) {
      const int status = e.code();
      fail("SMTP " + where + ": " + excerpt(e.message()), status >= 500 && status <= 599);
    } catch (const Poco::Net::SSLException& e) {
      if (connection) connection->abort();
      fail("SMTP " + where + ": TLS failed: " + excerpt(e.displayText()), false);
    } catch (const Poco::TimeoutException& e) {
      if (connection) connection->abort();
      fail("SMTP " + where + ": timed out: " + excerpt(e.displayText()), false);
    } catch (const Poco::Exception& e) {
      if (connection) connection->abort();
      fail("SMTP " + where + ": " + excerpt(e.displayText()), false);
    } catch (const std::exception& e) {
      if (connection) connection->abort();
      fail("SMTP " + where + ": " + excerpt(e.what()), false);
    }
  }
};

}  // namespace

bool plausibleAddress(const std::string& address) {
  const size_t at = address.rfind('@');
  if (at == std::string::npos || at == 0 || at > 64 || address.size() - at - 1 > 253) return false;
  const std::string local = address.substr(0, at);
  const std::string domain = address.substr(at + 1);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string::npos) return false;
  if (!std::all_of(local.begin(), local.end(), [](char c) { return c == '.' || isAtext(c); })) return false;
  size_t labels = 0;
  size_t start = 0;
  for (;;) {
    const size_t dot = domain.find('.', start);
    const std::string label = domain.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        })) {
      return false;
    }
    ++labels;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return labels >= 2;
}

std::string formatMailDate(TimePoint time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(time));
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer;
}

std::string buildMime(const SmtpSettings& settings, const MailMessage& message, const std::string& date) {
  checkHeaderText(date, "the date");
  if (date.empty()) invalid("the message has no date");
  if (!plausibleAddress(settings.fromAddress))
    invalid("the sender address '" + shown(settings.fromAddress) + "' is not valid");
  checkHeaderText(settings.fromName, "the sender name");
  if (message.to.empty()) invalid("the message has no recipient");
  for (const std::string& to : message.to) {
    checkHeaderText(to, "a recipient address");
    if (!plausibleAddress(to)) invalid("the recipient address '" + shown(to) + "' is not valid");
  }
  checkHeaderText(message.subject, "the subject");
  if (message.textBody.empty()) invalid("the message has no text body");
  if (!validUtf8(message.textBody)) invalid("the text body is not valid UTF-8");
  if (!validUtf8(message.htmlBody)) invalid("the HTML body is not valid UTF-8");
  if (!message.messageId.empty() && !validMessageId(message.messageId)) {
    invalid("the Message-ID '" + shown(message.messageId) + "' is not of the form <left@right>");
  }
  if (!message.language.empty() && !validLanguage(message.language)) {
    invalid("the language '" + shown(message.language) + "' is not a language tag");
  }
  for (const MailAttachment& a : message.attachments) {
    checkFilename(a.filename);
    if (!validContentType(a.contentType))
      invalid("the content type '" + shown(a.contentType) + "' is not type/subtype");
  }

  const std::string messageId =
      message.messageId.empty()
          ? "<a6." + randomHex(16) + "@" + settings.fromAddress.substr(settings.fromAddress.rfind('@') + 1) + ">"
          : message.messageId;
  const std::string mixed = "=_a6m_" + randomHex(12);
  const std::string alternative = "=_a6a_" + randomHex(12);

  std::string out;
  out += "Date: " + date + "\r\n";
  const std::string name = displayName(settings.fromName, 6);
  if (name.empty()) {
    out += "From: <" + settings.fromAddress + ">\r\n";
  } else {
    const size_t lastLine = name.rfind('\n') == std::string::npos ? 6 + name.size() : name.size() - name.rfind('\n');
    out += "From: " + name + (lastLine + settings.fromAddress.size() + 3 > kMaxLine ? "\r\n <" : " <") +
           settings.fromAddress + ">\r\n";
  }
  out += addressList("To", message.to);
  out += "Subject: " + unstructured(message.subject, 9) + "\r\n";
  out += "Message-ID: " + messageId + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  if (!message.language.empty()) out += "Content-Language: " + message.language + "\r\n";
  // RFC 3834: no vacation or out-of-office answers to these notifications.
  out += "Auto-Submitted: auto-generated\r\n";
  out += "Content-Type: multipart/mixed;\r\n boundary=\"" + mixed + "\"\r\n\r\n";

  out += "--" + mixed + "\r\n";
  if (message.htmlBody.empty()) {
    out += textPart("plain", message.textBody);
  } else {
    out += "Content-Type: multipart/alternative;\r\n boundary=\"" + alternative + "\"\r\n\r\n";
    out += "--" + alternative + "\r\n" + textPart("plain", message.textBody);
    out += "--" + alternative + "\r\n" + textPart("html", message.htmlBody);
    out += "--" + alternative + "--\r\n";
  }
  for (const MailAttachment& a : message.attachments) {
    out += "--" + mixed + "\r\n";
    out += "Content-Type: " + a.contentType + parameter("name", a.filename) + "\r\n";
    out += "Content-Disposition: attachment" + parameter("filename", a.filename) + "\r\n";
    out += "Content-Transfer-Encoding: base64\r\n\r\n";
    out += base64(a.bytes, 76) + "\r\n";
  }
  out += "--" + mixed + "--\r\n";
  return out;
}

void sendMail(const SmtpSettings& settings, const MailMessage& message) {
  sendMail(settings, message,
           TimePoint(std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now())));
}

void sendMail(const SmtpSettings& settings, const MailMessage& message, TimePoint now) {
  if (settings.host.empty() || settings.port < 1 || settings.port > 65535) {
    throw DeliveryFailure("SMTP: no valid server host and port configured", true);
  }
  if (settings.timeout.count() <= 0) throw DeliveryFailure("SMTP: the timeout must be positive", true);
  std::string mime;
  try {
    mime = buildMime(settings, message, formatMailDate(now));
  } catch (const Error& e) {
    throw DeliveryFailure(std::string("the message cannot be sent: ") + e.what(), true);
  }
  Sender{settings}.send(mime, message.to);
}

}  // namespace a6::integrations::email
