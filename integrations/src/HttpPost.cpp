// One outbound POST with Poco::Net 1.11: the URL and destination policy are checked first, the
// host is resolved once and every address checked, the TCP connection goes to a checked address,
// and TLS is verified by OpenSSL against the URL's host name with a Context made for this call.
#include "a6/integrations/HttpPost.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>

namespace a6::integrations {
namespace {

using Poco::Net::IPAddress;

[[noreturn]] void fail(const std::string& reason, bool permanent) { throw DeliveryFailure(reason, permanent); }

// Poco needs OpenSSL set up once per process. It is never torn down: other threads may still use
// it while the process exits, and the operating system frees it anyway.
void ensureSslInitialised() {
  static const bool initialised = [] {
    Poco::Net::initializeSSL();
    return true;
  }();
  (void)initialised;
}

struct Target {
  bool https = false;
  std::string host;                  // lowercase, without the brackets of an IPv6 literal
  std::optional<IPAddress> literal;  // when the host is an IP address
  std::uint16_t port = 0;
  std::string requestTarget;  // path and query exactly as in the URL; "/" when empty
  std::string display;        // host:port for messages, [v6]:port for an IPv6 literal
  std::string hostHeader;     // host, plus ":port" when not the scheme's default
};

// The URL as a Target, or DeliveryFailure(permanent). The URL itself never goes into a message:
// its path or query may carry a token.
Target parseUrl(const std::string& url, const DestinationPolicy& policy) {
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) {
      fail("the destination URL contains spaces, control or non-ASCII characters (write host names in punycode)", true);
    }
  }
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception&) {
    fail("the destination URL is malformed", true);
  }
  const std::string scheme = Poco::toLower(uri.getScheme());
  if (scheme != "https" && scheme != "http") fail("the destination URL must start with https:// or http://", true);
  if (scheme == "http" && policy.requireHttps) {
    fail(
        "http:// destinations are refused; the destination must use https:// (set requireHttps to false only in "
        "development)",
        true);
  }

  // The authority as written: between "//" and the first of "/?#".
  std::size_t authorityStart = url.find("//");
  if (authorityStart == std::string::npos) fail("the destination URL has no host", true);
  authorityStart += 2;
  std::size_t authorityEnd = url.find_first_of("/?#", authorityStart);
  if (authorityEnd == std::string::npos) authorityEnd = url.size();
  const std::string authority = url.substr(authorityStart, authorityEnd - authorityStart);
  if (authority.find('@') != std::string::npos || !uri.getUserInfo().empty()) {
    fail("the destination URL carries credentials (user:password@); they are refused in URLs, send them in a header",
         true);
  }

  Target t;
  t.https = scheme == "https";
  t.host = Poco::toLower(uri.getHost());
  if (t.host.empty()) fail("the destination URL has no host", true);
  t.port = uri.getPort();
  if (t.port == 0) fail("the destination URL has port 0", true);

  std::size_t targetEnd = url.find('#', authorityEnd);
  t.requestTarget =
      url.substr(authorityEnd, targetEnd == std::string::npos ? std::string::npos : targetEnd - authorityEnd);
  if (t.requestTarget.empty() || t.requestTarget[0] != '/') t.requestTarget.insert(0, "/");

  // Literals strictly (inet_pton: dotted quads, RFC 4291 text); any other form such as "127.1"
  // goes through the resolver, which still yields the address that is checked and connected to.
  if (t.host.find('%') != std::string::npos) fail("the destination URL names an IPv6 address with a zone", true);
  in_addr v4Address{};
  in6_addr v6Address{};
  if (::inet_pton(AF_INET, t.host.c_str(), &v4Address) == 1) {
    t.literal = IPAddress(&v4Address, sizeof v4Address);
  } else if (::inet_pton(AF_INET6, t.host.c_str(), &v6Address) == 1) {
    t.literal = IPAddress(&v6Address, sizeof v6Address);
  }
  const bool v6 = t.host.find(':') != std::string::npos;
  const std::string bracketed = v6 ? "[" + t.host + "]" : t.host;
  t.display = bracketed + ":" + std::to_string(t.port);
  const std::uint16_t defaultPort = t.https ? 443 : 80;
  t.hostHeader = t.port == defaultPort ? bracketed : t.display;
  return t;
}

// The kind of address the policy refuses ("a loopback address", …), or nothing when it may be
// contacted. IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96) addresses are judged by the
// IPv4 address they carry.
std::optional<std::string> refusedKind(const IPAddress& address) {
  const auto* b = static_cast<const unsigned char*>(address.addr());
  auto v4 = [](const unsigned char* a) -> std::optional<std::string> {
    if (a[0] == 0) return "an unspecified (0.0.0.0/8) address";
    if (a[0] == 127) return "a loopback address";
    if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168)) return "a private address";
    if (a[0] == 169 && a[1] == 254) return "a link-local address";
    if (a[0] == 100 && (a[1] & 0xc0) == 64) return "a shared (CGNAT, 100.64.0.0/10) address";
    if ((a[0] & 0xf0) == 224) return "a multicast address";
    if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255) return "a broadcast address";
    if ((a[0] & 0xf0) == 240) return "a reserved (240.0.0.0/4) address";
    return std::nullopt;
  };
  if (address.af() == AF_INET) return v4(b);

  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const unsigned char kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::equal(b, b + 12, kMapped) || std::equal(b, b + 12, kNat64)) return v4(b + 12);
  if (std::all_of(b, b + 15, [](unsigned char c) { return c == 0; })) {
    if (b[15] == 0) return "an unspecified address";
    if (b[15] == 1) return "a loopback address";
  }
  if (std::all_of(b, b + 12, [](unsigned char c) { return c == 0; })) {
    return "a deprecated IPv4-compatible IPv6 address";
  }
  if ((b[0] & 0xfe) == 0xfc) return "a private (unique local) address";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "a link-local address";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "a private (site-local) address";
  if (b[0] == 0xff) return "a multicast address";
  return std::nullopt;
}

// Every address of the host; the lookup is made once and its answer used for the connection.
std::vector<IPAddress> resolve(const Target& t, bool failurePermanent) {
  if (t.literal) return {*t.literal};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(t.host.c_str(), nullptr, &hints, &found);
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, &::freeaddrinfo);
  if (rc != 0) {
    std::string why = rc == EAI_NONAME ? "the name does not exist" : ::gai_strerror(rc);
    fail("the name " + t.host + " could not be resolved (" + why + ")", failurePermanent);
  }
  std::vector<IPAddress> addresses;
  for (addrinfo* ai = found; ai; ai = ai->ai_next) {
    std::optional<IPAddress> ip;
    if (ai->ai_family == AF_INET) {
      ip = IPAddress(&reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr, sizeof(in_addr));
    } else if (ai->ai_family == AF_INET6) {
      const auto* sa = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
      ip = IPAddress(&sa->sin6_addr, sizeof(in6_addr), sa->sin6_scope_id);
    }
    if (ip && std::find(addresses.begin(), addresses.end(), *ip) == addresses.end()) addresses.push_back(*ip);
  }
  if (addresses.empty()) fail("the name " + t.host + " has no IPv4 or IPv6 address", failurePermanent);
  return addresses;
}

void checkAddresses(const Target& t, const std::vector<IPAddress>& addresses, const DestinationPolicy& policy) {
  if (policy.allowPrivateAddresses) return;
  for (const IPAddress& address : addresses) {
    std::optional<std::string> kind = refusedKind(address);
    if (!kind) continue;
    std::string what = t.literal ? "destination " + address.toString() + " is " + *kind
                                 : "destination " + t.host + " resolves to " + address.toString() + ", " + *kind;
    fail(what + "; loopback, private and link-local destinations are refused (set allowPrivateAddresses to allow)",
         true);
  }
}

// Header names are tokens and values carry no line breaks: a caller's header can neither split
// the request nor change its framing or its destination.
void checkHeaders(const HttpPostRequest& request) {
  static const char* const kReserved[] = {"host", "content-length", "transfer-encoding", "connection"};
  for (const auto& [name, value] : request.headers) {
    bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
      return c > 0x20 && c < 0x7f &&
             std::string_view("()<>@,;:\\\"/[]?={}").find(static_cast<char>(c)) == std::string_view::npos;
    });
    if (!token) fail("a request header has an invalid name", true);
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      fail("the request header " + name + " has a line break or NUL in its value", true);
    }
    for (const char* reserved : kReserved) {
      if (Poco::icompare(name, reserved) == 0) fail("the request header " + name + " is set by the transport", true);
    }
  }
  if (request.contentType.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    fail("the content type has a line break or NUL", true);
  }
}

// ---- TLS

// Why OpenSSL refused the server's certificate, for the failure's sentence. It lives on the
// caller's stack for one call; the Context that points at it is made for that call only.
struct TlsDiagnosis {
  std::string certificateProblem;
};

int diagnosisIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL's own verdict stands; the callback only remembers the first reason for a refusal.
// Replacing Poco's callback means Poco's SSLManager invalid-certificate handlers (console,
// accept-all or otherwise, installed by anyone in the process) are never consulted.
int rememberVerifyError(int ok, X509_STORE_CTX* store) {
  if (!ok) {
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* diagnosis =
        ssl ? static_cast<TlsDiagnosis*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), diagnosisIndex())) : nullptr;
    if (diagnosis && diagnosis->certificateProblem.empty()) {
      diagnosis->certificateProblem = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
    }
  }
  return ok;
}

// A client key must be unencrypted: no passphrase is ever asked for (Poco's default callback
// would go to the SSLManager's passphrase handlers, which may prompt on the console).
int noPassphrase(char*, int, int, void*) { return 0; }

// The first (most specific) error on OpenSSL's queue; the queue is emptied.
std::string openSslError() {
  unsigned long first = ERR_get_error();
  ERR_clear_error();
  if (first == 0) return "unknown OpenSSL error";
  char buffer[256];
  ERR_error_string_n(first, buffer, sizeof buffer);
  return buffer;
}

Poco::Net::Context::Ptr makeClientContext(const TlsClientOptions& tls, const Target& t, TlsDiagnosis& diagnosis) {
  using Poco::Net::Context;
  auto setupFailure = [](const std::string& why) {
    // The sender's configuration, not the message, is wrong: transient, so that the messages
    // go out once the configuration is fixed rather than being dead-lettered.
    fail("the TLS client configuration cannot be used: " + why, false);
  };
  if (tls.clientCertFile.empty() != tls.clientKeyFile.empty()) {
    setupFailure("a client certificate needs both clientCertFile and clientKeyFile");
  }
  Context::Params params;
  params.caLocation = tls.caFile;
  params.loadDefaultCAs = tls.caFile.empty();
  params.verificationMode = Context::VERIFY_STRICT;  // RELAXED would skip Poco's name check for loopback
  params.verificationDepth = 9;
  params.cipherList = "DEFAULT";
  Context::Ptr context;
  try {
    context = new Context(Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Context::PROTO_TLSV1_2);
  } catch (const Poco::Exception& e) {
    ERR_clear_error();
    setupFailure(tls.caFile.empty() ? e.displayText() : "CA file " + tls.caFile + ": " + e.displayText());
  }
  SSL_CTX* ssl = context->sslContext();
  SSL_CTX_set_verify(ssl, SSL_VERIFY_PEER, &rememberVerifyError);
  SSL_CTX_set_ex_data(ssl, diagnosisIndex(), &diagnosis);

  // The name (or address) of the URL is checked by OpenSSL as part of the chain verification
  // (RFC 6125 rules, no partial wildcards); Poco checks it again after the handshake.
  X509_VERIFY_PARAM* verify = SSL_CTX_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(verify, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int set = t.literal ? X509_VERIFY_PARAM_set1_ip_asc(verify, t.literal->toString().c_str())
                      : X509_VERIFY_PARAM_set1_host(verify, t.host.c_str(), t.host.size());
  if (set != 1) {
    ERR_clear_error();
    setupFailure("the host name " + t.host + " cannot be used for certificate verification");
  }

  if (!tls.clientCertFile.empty()) {
    SSL_CTX_set_default_passwd_cb(ssl, &noPassphrase);
    if (SSL_CTX_use_certificate_chain_file(ssl, tls.clientCertFile.c_str()) != 1) {
      setupFailure("client certificate " + tls.clientCertFile + ": " + openSslError());
    }
    if (SSL_CTX_use_PrivateKey_file(ssl, tls.clientKeyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
      setupFailure("client key " + tls.clientKeyFile + " (it must be PEM and unencrypted): " + openSslError());
    }
    if (SSL_CTX_check_private_key(ssl) != 1) {
      setupFailure("client key " + tls.clientKeyFile + " does not belong to certificate " + tls.clientCertFile);
    }
  }
  return context;
}

// ---- connection

std::string millis(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

Poco::Timespan timespan(std::chrono::milliseconds d) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(d.count()) * 1000);
}

// Calls connect(address, timeout) for the checked addresses in turn until one succeeds; the
// failure of the last one is the failure of the attempt.
template <typename Connect>
void connectToFirst(const Target& t, const std::vector<IPAddress>& addresses, std::chrono::milliseconds timeout,
                    Connect connect) {
  std::string lastError;
  for (const IPAddress& address : addresses) {
    try {
      connect(Poco::Net::SocketAddress(address, t.port), timespan(timeout));
      return;
    } catch (const Poco::TimeoutException&) {
      lastError = "connection to " + t.display + " timed out after " + millis(timeout);
    } catch (const Poco::Net::ConnectionRefusedException&) {
      lastError = "connection to " + t.display + " was refused";
    } catch (const Poco::Exception& e) {
      lastError = "connection to " + t.display + " failed: " + e.displayText();
    }
  }
  fail(lastError, false);
}

std::string tlsFailure(const Target& t, const TlsDiagnosis& diagnosis, const Poco::Exception& e) {
  if (!diagnosis.certificateProblem.empty()) {
    return "TLS handshake with " + t.display + " failed: the server's certificate was refused (" +
           diagnosis.certificateProblem + ")";
  }
  return "TLS handshake with " + t.display + " failed: " + e.displayText();
}

// Reads at most `limit` bytes; tells whether more was there (without reading the rest).
void readBody(std::istream& in, const Poco::Net::HTTPResponse& response, std::size_t limit, HttpPostResult& result) {
  char buffer[8192];
  while (result.body.size() < limit) {
    in.read(buffer, static_cast<std::streamsize>(std::min(sizeof buffer, limit - result.body.size())));
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    result.body.append(buffer, static_cast<std::size_t>(n));
  }
  if (result.body.size() < limit) return;
  if (response.hasContentLength()) {
    result.truncated = response.getContentLength64() > static_cast<Poco::Int64>(limit);
  } else {
    in.read(buffer, 1);
    result.truncated = in.gcount() == 1;
  }
}

HttpPostResult exchange(Poco::Net::HTTPClientSession& session, const Target& t, const HttpPostRequest& request,
                        const HttpPostOptions& options) {
  Poco::Net::HTTPRequest httpRequest(Poco::Net::HTTPRequest::HTTP_POST, t.requestTarget,
                                     Poco::Net::HTTPMessage::HTTP_1_1);
  httpRequest.setHost(t.hostHeader);
  if (!request.contentType.empty()) httpRequest.setContentType(request.contentType);
  httpRequest.setContentLength64(static_cast<Poco::Int64>(request.body.size()));
  httpRequest.setKeepAlive(false);
  for (const auto& [name, value] : request.headers) httpRequest.add(name, value);

  enum class Phase { Sending, Receiving } phase = Phase::Sending;
  try {
    std::ostream& out = session.sendRequest(httpRequest);
    out.exceptions(std::ios::badbit);  // a failed write throws Poco's exception instead of going quiet
    out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
    out.flush();
    phase = Phase::Receiving;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    in.exceptions(std::ios::badbit);
    HttpPostResult result;
    result.status = static_cast<int>(response.getStatus());
    result.contentType = response.getContentType();
    if (result.status >= 300 && result.status < 400) result.location = response.get("Location", "");
    readBody(in, response, options.maxResponseBytes, result);
    return result;
  } catch (const Poco::TimeoutException&) {
    fail(phase == Phase::Sending
             ? "sending the request to " + t.display + " timed out after " + millis(options.readTimeout)
             : "reading the answer from " + t.display + " timed out after " + millis(options.readTimeout),
         false);
  } catch (const Poco::Net::NoMessageException&) {
    fail(t.display + " closed the connection without answering", false);
  } catch (const Poco::Net::MessageException& e) {
    fail("the answer from " + t.display + " is not valid HTTP: " + e.displayText(), false);
  } catch (const Poco::Net::SSLException& e) {
    fail("TLS error while talking to " + t.display + ": " + e.displayText(), false);
  } catch (const Poco::Exception& e) {
    fail("the exchange with " + t.display + " failed: " + e.displayText(), false);
  } catch (const std::ios::failure&) {
    fail("the exchange with " + t.display + " failed: the connection broke", false);
  }
}

}  // namespace

void checkDestination(const std::string& url, const DestinationPolicy& policy) {
  Target t = parseUrl(url, policy);
  checkAddresses(t, resolve(t, true), policy);
}

HttpPostResult httpPost(const HttpPostRequest& request, const HttpPostOptions& options) {
  Target t = parseUrl(request.url, options.policy);
  checkHeaders(request);
  std::vector<IPAddress> addresses = resolve(t, false);
  checkAddresses(t, addresses, options.policy);  // before any connection is attempted

  TlsDiagnosis diagnosis;  // outlives the context and the socket below
  Poco::Net::Context::Ptr context;
  if (t.https) {
    ensureSslInitialised();
    context = makeClientContext(options.tls, t, diagnosis);
  }

  const Poco::Timespan connectTimeout = timespan(options.connectTimeout);
  const Poco::Timespan readTimeout = timespan(options.readTimeout);
  // Each session gets a socket connected to a checked address and no host name, so it never looks
  // the name up again (the Host header is set on the request). No proxy: it would undo the check.
  if (!t.https) {
    Poco::Net::StreamSocket socket;
    connectToFirst(t, addresses, options.connectTimeout,
                   [&](const Poco::Net::SocketAddress& address, const Poco::Timespan& timeout) {
                     Poco::Net::StreamSocket attempt;
                     attempt.connect(address, timeout);
                     socket = attempt;
                   });
    socket.setReceiveTimeout(readTimeout);
    socket.setSendTimeout(readTimeout);
    Poco::Net::HTTPClientSession session(socket);
    session.setProxyConfig(Poco::Net::HTTPClientSession::ProxyConfig());
    session.setTimeout(connectTimeout, readTimeout, readTimeout);
    return exchange(session, t, request, options);
  }

  // HTTPSClientSession wants its socket unconnected when it is made, so the session is made
  // first and its socket connected after. The handshake is lazy so that connecting and the
  // handshake fail with their own sentences; it runs under the connect timeout.
  // Never default-constructed: that would make Poco set up the SSLManager's default client
  // context, and with it, in an application, the configured (possibly console) handlers.
  std::optional<Poco::Net::SecureStreamSocket> secure;
  std::unique_ptr<Poco::Net::HTTPSClientSession> session;
  const std::string tlsName = t.literal ? t.literal->toString() : t.host;  // for SNI and Poco's name check
  connectToFirst(t, addresses, options.connectTimeout,
                 [&](const Poco::Net::SocketAddress& address, const Poco::Timespan& timeout) {
                   Poco::Net::SecureStreamSocket attempt(context);
                   attempt.setLazyHandshake(true);
                   attempt.setPeerHostName(tlsName);
                   auto attemptSession = std::make_unique<Poco::Net::HTTPSClientSession>(attempt);
                   attempt.connect(address, timeout);
                   secure.emplace(attempt);
                   session = std::move(attemptSession);
                 });
  secure->setReceiveTimeout(connectTimeout);
  secure->setSendTimeout(connectTimeout);
  try {
    if (secure->completeHandshake() != 1) fail("TLS handshake with " + t.display + " did not complete", false);
    secure->verifyPeerCertificate();  // Poco's own name check, after OpenSSL's
  } catch (const Poco::TimeoutException&) {
    fail("TLS handshake with " + t.display + " timed out after " + millis(options.connectTimeout), false);
  } catch (const Poco::Exception& e) {
    ERR_clear_error();
    fail(tlsFailure(t, diagnosis, e), false);
  }
  secure->setReceiveTimeout(readTimeout);
  secure->setSendTimeout(readTimeout);
  session->setProxyConfig(Poco::Net::HTTPClientSession::ProxyConfig());
  session->setTimeout(connectTimeout, readTimeout, readTimeout);
  return exchange(*session, t, request, options);
}

}  // namespace a6::integrations
