// One outbound HTTP(S) POST, as the outbox makes it for the UNFCCC exchange and for webhooks:
// TLS with certificate and host name verification (never turned off), an optional client
// certificate (mutual TLS), connect and read timeouts, no redirects followed, the answer read up
// to a limit, and a destination policy against server-side request forgery (SSRF).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "a6/integrations/Delivery.h"

namespace a6::integrations {

// The server's certificate is always verified (chain to a trusted CA, and the URL's host name or
// IP address, by OpenSSL during the handshake and by Poco after it); TLS 1.2 or newer. Poco's
// SSLManager invalid-certificate and passphrase handlers are never consulted, so nothing that is
// installed process-wide can accept a refused certificate or prompt on the console.
struct TlsClientOptions {
  std::string caFile;          // PEM bundle to trust; empty: the system's CA store
  std::string clientCertFile;  // PEM; with clientKeyFile: mutual TLS. Empty: no client certificate
  std::string clientKeyFile;   // PEM, unencrypted (an encrypted key is an error, never a prompt)
};

// Which destinations may be contacted at all.
struct DestinationPolicy {
  bool requireHttps = true;  // false only in development and tests: http:// allowed too
  // Loopback (127/8, ::1), private (10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10), link-local
  // (169.254/16, fe80::/10), CGNAT (100.64/10), unspecified (0/8, ::), multicast (224/4, ff00::/8),
  // broadcast and reserved (240/4), and deprecated IPv4-compatible (::/96) addresses are refused
  // unless this is true. IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses are
  // judged by their IPv4 address. The check applies to every address the host name resolves to,
  // and the connection goes to an address that was checked (no second lookup that could answer
  // differently); no proxy is used.
  bool allowPrivateAddresses = false;
};

struct HttpPostOptions {
  std::chrono::milliseconds connectTimeout{5000};  // per address tried, and again for the TLS handshake
  std::chrono::milliseconds readTimeout{30000};    // per read (and write) on the connection
  std::size_t maxResponseBytes = 64 * 1024;        // the rest of a longer answer is not read
  TlsClientOptions tls;
  DestinationPolicy policy;
};

struct HttpPostRequest {
  std::string url;  // http(s)://host[:port]/path?query
  std::string contentType;
  std::string body;
  // Extra headers, sent as given. Refused (permanent): invalid names, CR/LF/NUL in values, and
  // Host, Content-Length, Transfer-Encoding and Connection, which the transport sets.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpPostResult {
  int status = 0;          // any status, 1xx..5xx: the caller decides what it means
  std::string body;        // at most maxResponseBytes
  bool truncated = false;  // the answer was longer than maxResponseBytes
  std::string contentType;
  std::string location;  // the Location header of a 3xx (not followed)
};

// Checks the URL against the policy without connecting (for validating a subscription's URL when
// it is created). Throws DeliveryFailure(permanent) naming the reason: not http(s), http when
// https is required, credentials in the URL, a host that does not resolve, or an address the
// policy refuses.
void checkDestination(const std::string& url, const DestinationPolicy& policy);

// Sends the request. Returns the answer, whatever its status. Throws DeliveryFailure: permanent
// for a refused destination, a malformed URL or a refused header, transient for a failed name
// lookup, a refused or timed-out connection, a TLS failure (certificate not trusted, wrong host
// name), a read timeout, or a TLS client configuration that cannot be used (unreadable CA file,
// client key; transient so that the messages go out once the configuration is fixed). Messages
// name the host and port, never the URL's path or query, the headers' values or the body.
// Thread-safe: each call has its own connection and its own TLS context.
HttpPostResult httpPost(const HttpPostRequest& request, const HttpPostOptions& options);

}  // namespace a6::integrations
