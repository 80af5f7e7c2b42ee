// Email for the outbox: a message built as MIME (multipart/mixed holding a multipart/alternative of
// UTF-8 text and HTML, then base64 attachments) and sent over SMTP with STARTTLS, the server's
// certificate and host name verified, and AUTH PLAIN or LOGIN when a user name is configured.
// Failures are a6::integrations::DeliveryFailure, permanent or transient as the SMTP reply says.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "a6/core/Clock.h"
#include "a6/integrations/Delivery.h"

namespace a6::integrations::email {

struct SmtpSettings {
  std::string host;
  int port = 587;
  // StartTls: the session must be upgraded with STARTTLS before anything else is sent; a server
  // that does not offer it is a (permanent) failure. None: plain text, for tests and development
  // only, and it has to be chosen explicitly; credentials are never sent without TLS.
  enum class Security { StartTls, None } security = Security::StartTls;
  std::string username;  // empty: no AUTH
  std::string password;
  std::string caFile;                        // PEM bundle to trust; empty: the system's CA store
  std::string fromAddress;                   // the envelope sender and the From: address
  std::string fromName;                      // the From: display name (any UTF-8)
  std::string heloName;                      // the EHLO argument; empty: this machine's node name
  std::chrono::milliseconds timeout{30000};  // connect, and each read or write on the connection
};

struct MailAttachment {
  std::string filename;     // UTF-8; no control characters, no '/' or '\'
  std::string contentType;  // type/subtype, e.g. application/pdf
  std::string bytes;
};

struct MailMessage {
  std::vector<std::string> to;  // addr-spec only ("a@example.org"), at least one
  std::string subject;          // UTF-8, one line
  std::string textBody;         // UTF-8, required
  std::string htmlBody;         // UTF-8; empty: a text-only message
  std::vector<MailAttachment> attachments;
  // A stable id such as "<eff_01J...@a6auth>", the same on every retry, sent as Message-ID so that
  // a receiver can drop duplicates. Empty: a random one is made (then retries differ).
  std::string messageId;
  std::string language;  // Content-Language, e.g. "fr"; empty: none
};

// True for an addr-spec this module will send to: a dot-atom local part (ASCII letters, digits and
// !#$%&'*+-/=?^_`{|}~, at most 64 characters, no leading, trailing or double dot), '@', and a
// domain of at least two dot-separated labels of letters, digits and hyphens (no leading or
// trailing hyphen, at most 63 characters each, 253 in all). Quoted local parts, address literals
// and internationalised addresses are refused: they are not needed and are where parsers differ.
bool plausibleAddress(const std::string& address);

// The Date header's form of a time (RFC 5322, UTC): "Tue, 25 Nov 2026 10:00:00 +0000".
std::string formatMailDate(TimePoint time);

// The message as sent after DATA (CRLF line ends; lines of at most 78 characters wherever a header
// can be folded, i.e. except an address longer than that; no dot-stuffing yet): Date, From, To, Subject, Message-ID,
// MIME-Version, Content-Language, Auto-Submitted, then the body. Subject and From display name are RFC 2047 encoded
// words (UTF-8, base64) when they are not plain ASCII; bodies are quoted-printable, attachments base64 in lines of 76.
// Throws a6::Error(Invalid) for CR, LF or another control character in any header value (header injection), an address
// that is not plausibleAddress(), no recipient, an empty text body, or a malformed Message-ID, language, content type
// or file name.
std::string buildMime(const SmtpSettings& settings, const MailMessage& message, const std::string& date);

// Builds the message (Date: now) and sends it in one SMTP session: EHLO, STARTTLS (certificate
// verified against caFile or the system's CAs, host name checked, TLS 1.2 or newer), EHLO again,
// AUTH PLAIN (or LOGIN when PLAIN is not offered) when a user name is set, MAIL FROM, RCPT TO for
// every recipient, DATA. All recipients or none: one refused recipient fails the whole message
// before DATA. Throws DeliveryFailure: permanent for a message buildMime refuses, settings that
// cannot work (no STARTTLS offered, no usable AUTH mechanism, credentials without TLS) and 5xx
// replies (550 unknown recipient, 535 bad credentials); transient for 4xx replies, a failed name
// lookup or connection, a timeout, a TLS failure (untrusted certificate, wrong host name) and a
// connection closed mid-session. The reason names the step and quotes the server's reply, never
// the password. Thread-safe: each call has its own connection.
void sendMail(const SmtpSettings& settings, const MailMessage& message);
void sendMail(const SmtpSettings& settings, const MailMessage& message, TimePoint now);

// What the outbox worker holds, so that its tests can fake sending.
class MailTransport {
 public:
  virtual ~MailTransport() = default;
  // Throws DeliveryFailure as sendMail does.
  virtual void send(const MailMessage& message) = 0;
};

class SmtpTransport final : public MailTransport {
 public:
  SmtpTransport(SmtpSettings settings, const Clock& clock) : settings_(std::move(settings)), clock_(clock) {}
  void send(const MailMessage& message) override { sendMail(settings_, message, clock_.now()); }

 private:
  SmtpSettings settings_;
  const Clock& clock_;
};

}  // namespace a6::integrations::email
