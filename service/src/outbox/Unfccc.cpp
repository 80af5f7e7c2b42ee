#include "a6/service/outbox/Unfccc.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include "a6/core/Error.h"
#include "a6/integrations/Delivery.h"
#include "a6/integrations/HttpPost.h"
#include "a6/integrations/unfccc/Messages.h"
#include "a6/integrations/unfccc/Schemas.h"
#include "a6/integrations/unfccc/XmlSafe.h"
#include "a6/integrations/unfccc/XmlSignature.h"
#include "a6/service/http/RequestJson.h"
#include "a6/service/outbox/Webhooks.h"
#include "a6/service/reports/AefReport.h"
#include "a6/signing/Keys.h"

namespace a6::service {
namespace {

namespace un = a6::integrations::unfccc;
using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::size_t kMaxAnswerBytes = 256 * 1024;

std::string excerpt(const std::string& text, std::size_t max = 200) {
  std::string out;
  for (char c : text.substr(0, max)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  return text.size() > max ? out + "…" : out;
}

// The letter of the commit (or, failing that, on record) that states this version.
std::optional<LetterRecord> letterFor(const EffectContext& ctx, Store& store, const std::string& ref, int version,
                                      bool revocation) {
  auto states = [&](const LetterRecord& l) {
    if (revocation) return l.templateName == "revocation";
    return l.ref == ref && l.authVersion == version &&
           (l.templateName == "letter-of-authorisation" || l.templateName == "letter-of-approval" ||
            l.templateName == "amendment");
  };
  for (const auto& [l, bytes] : ctx.commit.letters) {
    if (states(l)) return l;
  }
  if (revocation) return std::nullopt;
  std::optional<LetterRecord> found;
  for (const auto& l : store.lettersOfRequest(ctx.record.id)) {
    if (states(l)) found = l;
  }
  return found;
}

}  // namespace

std::string unfcccOrderingKey(const std::string& ref) { return "unfccc:" + ref; }

std::string acknowledgementDetail(const un::Acknowledgement& ack) {
  Object::Ptr o = new Object;
  o->set("acknowledgement_id", ack.acknowledgementId);
  o->set("status", std::string(un::toString(ack.status)));
  o->set("sender", ack.sender);
  o->set("created_at", ack.createdAt);
  Array::Ptr messages = new Array;
  for (const auto& m : ack.messages) {
    Object::Ptr mo = new Object;
    mo->set("code", m.code);
    if (m.field) mo->set("field", *m.field);
    mo->set("text", m.text);
    messages->add(mo);
  }
  o->set("messages", messages);
  return canonicalJson(o);
}

// --- composing ---------------------------------------------------------------------------------

UnfcccComposer::UnfcccComposer(const Config& config, Store& store, IdGenerator& ids)
    : config_(config),
      store_(store),
      ids_(ids),
      identity_(std::make_unique<signing::SigningIdentity>(
          signing::SigningIdentity::fromPkcs12File(config.letters.signingKey, config.letters.signingKeyPassphrase))) {}

UnfcccComposer::~UnfcccComposer() = default;

OutboxMessage UnfcccComposer::notification(const std::string& messageType, const EffectContext& ctx) {
  const RequestRecord& r = ctx.record;
  if (!r.authorisationRef) {
    throw Error(ErrorCode::Internal, "request " + r.id + " has no authorisation to report (" + messageType + ")");
  }
  const std::string ref = *r.authorisationRef;
  un::AuthorisationNotice notice;
  notice.messageId = ids_.next("msg");
  notice.sendingParty = r.party;
  notice.createdAt = ctx.now;

  std::optional<AuthorisationVersion> version;
  if (ctx.commit.authorisationVersion && ctx.commit.authorisationVersion->ref == ref) {
    version = ctx.commit.authorisationVersion;
  } else {
    auto versions = store_.authorisationVersions(ref);
    if (!versions.empty()) version = versions.back();
  }
  if (!version) throw Error(ErrorCode::Internal, "authorisation " + ref + " has no version to report");

  const bool revoked = messageType == "authorisation-revoked";
  if (messageType == "authorisation-issued") {
    notice.kind = version->version == 1 ? un::NoticeKind::Issued : un::NoticeKind::Amended;
  } else if (messageType == "authorisation-amended") {
    notice.kind = un::NoticeKind::Amended;
  } else if (revoked) {
    notice.kind = un::NoticeKind::Revoked;
  } else {
    throw Error(ErrorCode::Internal, "unknown UNFCCC message type '" + messageType + "'");
  }
  notice.authorisation = aefAuthorisation(*version);
  notice.activity = aefActivity(*version);
  if (notice.kind == un::NoticeKind::Amended) {
    un::Amendment a;
    a.previousVersion = version->version - 1;
    Poco::JSON::Parser parser;
    auto changes = parser.parse(version->changesJson).extract<Array::Ptr>();
    std::string summary;
    for (std::size_t i = 0; changes && i < changes->size(); ++i) {
      summary += (summary.empty() ? "Changed: " : ", ") + changes->getElement<std::string>(static_cast<unsigned>(i));
    }
    if (!summary.empty()) a.summaryOfChanges = summary;
    notice.amendment = a;
  }
  if (revoked) {
    notice.revocation =
        un::Revocation{ctx.reason.empty() ? "Revoked by the host Party." : ctx.reason, ctx.now.substr(0, 10)};
  }
  auto letter = letterFor(ctx, store_, ref, version->version, revoked);
  if (!letter) {
    throw Error(ErrorCode::Internal, "no signed letter states " + ref + " version " + std::to_string(version->version) +
                                         ": the UNFCCC notification must report one");
  }
  notice.letter.sha256 = letter->sha256;
  notice.letter.address = revoked ? config_.http.publicUrl + "/api/v1/requests/" + r.id + "/letters/" + letter->id
                                  : config_.http.publicUrl + "/api/v1/authorisations/" + ref +
                                        "/letter.pdf?version=" + std::to_string(version->version);

  // Built and validated (buildNotification throws on an invalid message), then signed: only a
  // valid, signed message is ever queued.
  const std::string xml = un::signXml(un::buildNotification(notice), *identity_);

  OutboxMessage m;
  m.id = notice.messageId;
  m.destination = "unfccc";
  m.orderingKey = unfcccOrderingKey(ref);
  m.streamId = r.id;
  m.party = r.party;
  m.ref = ref;
  m.cause = ctx.cause;
  m.contentType = "application/xml";
  m.payload = xml;
  Object::Ptr summary = new Object;
  summary->set("message", "authorisation-notification");
  summary->set("kind", std::string(un::toString(notice.kind)));
  summary->set("ref", ref);
  summary->set("version", version->version);
  summary->set("letter_sha256", letter->sha256);
  m.summaryJson = canonicalJson(summary);
  m.status = "pending";
  m.nextAttemptAt = ctx.now;
  m.createdAt = ctx.now;
  m.updatedAt = ctx.now;
  return m;
}

// --- sending -----------------------------------------------------------------------------------

UnfcccTransport::UnfcccTransport(const Config& config) : config_(config) {}

Delivered UnfcccTransport::deliver(const OutboxMessage& message) {
  using integrations::DeliveryFailure;
  const UnfcccConfig& u = config_.unfccc;
  integrations::HttpPostRequest request;
  request.url = u.url;
  request.contentType = "application/xml; charset=utf-8";
  request.body = message.payload;
  request.headers = {{"X-Message-ID", message.id}, {"Accept", "application/xml"}};
  integrations::HttpPostOptions options;
  options.connectTimeout = u.connectTimeout;
  options.readTimeout = u.readTimeout;
  options.maxResponseBytes = kMaxAnswerBytes;
  options.tls.caFile = u.caFile;
  options.tls.clientCertFile = u.clientCert;
  options.tls.clientKeyFile = u.clientKey;
  options.policy.requireHttps = !u.allowHttp;
  options.policy.allowPrivateAddresses = u.allowPrivateAddresses;

  const integrations::HttpPostResult answer = integrations::httpPost(request, options);
  const int status = answer.status;
  const bool success = status >= 200 && status < 300;
  const bool clientError = status >= 400 && status < 500 && status != 408 && status != 429;
  if (!success && !clientError) {
    throw DeliveryFailure("the UNFCCC endpoint answered " + std::to_string(status) + ": " + excerpt(answer.body), false,
                          status);
  }
  if (answer.truncated) {
    throw DeliveryFailure("the UNFCCC endpoint's answer is longer than " + std::to_string(kMaxAnswerBytes) + " bytes",
                          false, status);
  }
  auto verified = un::verifyXml(answer.body, {u.certificatePem}, kMaxAnswerBytes);
  if (!verified.valid) {
    throw DeliveryFailure("the UNFCCC endpoint answered " + std::to_string(status) +
                              " without a valid acknowledgement signature (" + verified.problem + ")",
                          false, status);
  }
  un::Acknowledgement ack;
  try {
    ack = un::parseAcknowledgement(answer.body, kMaxAnswerBytes);
  } catch (const Error& e) {
    throw DeliveryFailure(std::string("the UNFCCC endpoint's acknowledgement is not valid: ") + e.what(), false,
                          status);
  }
  if (ack.refersToMessageId != message.id) {
    throw DeliveryFailure("the acknowledgement refers to message " + ack.refersToMessageId + ", not " + message.id,
                          false, status);
  }
  if (!success && ack.status != un::AckStatus::Rejected) {
    throw DeliveryFailure("the UNFCCC endpoint answered " + std::to_string(status) + " with a '" +
                              un::toString(ack.status) + "' acknowledgement",
                          false, status);
  }
  Delivered d;
  d.httpStatus = status;
  d.outcome = un::toString(ack.status);
  d.outcomeDetail = acknowledgementDetail(ack);
  d.detail = "acknowledged " + std::string(un::toString(ack.status)) + " by " + ack.sender + " (" +
             ack.acknowledgementId + ")";
  for (const auto& m : ack.messages) d.detail += "; " + m.code + ": " + m.text;
  if (webhooks_ && clock_) {
    d.followUps =
        acknowledgedWebhooks(*webhooks_, message, *d.outcome, *d.outcomeDetail, formatTimestamp(clock_->now()));
  }
  return d;
}

std::vector<OutboxMessage> acknowledgedWebhooks(WebhookComposer& webhooks, const OutboxMessage& message,
                                                const std::string& outcome, const std::string& detailJson,
                                                const std::string& now) {
  Object::Ptr data = new Object;
  data->set("message_id", message.id);
  data->set("outcome", outcome);
  data->set("acknowledgement", Poco::JSON::Parser().parse(detailJson));
  const std::string requestId = message.streamId.value_or("");
  if (!requestId.empty()) data->set("request_id", requestId);
  std::optional<int> version;
  auto summary = Poco::JSON::Parser().parse(message.summaryJson).extract<Object::Ptr>();
  if (summary->has("version")) version = summary->getValue<int>("version");
  if (message.ref) data->set("authorisation_ref", *message.ref);
  if (version) data->set("authorisation_version", *version);
  data->set("links", webhooks.links(requestId, message.ref, version));
  return webhooks.messagesFor("unfccc.acknowledged", data, now, message.streamId, message.ref, message.party,
                              "unfccc:acknowledged");
}

// --- receiving ---------------------------------------------------------------------------------

InboundOutcome receiveUnfccc(const std::string& xml, const Config& config, Store& store, WorkflowService& workflows,
                             const Clock& clock, WebhookComposer* webhooks) {
  const std::size_t limit = config.unfccc.inboundBytes;
  if (xml.size() > limit) {
    throw Error(ErrorCode::TooLarge, "the message is larger than " + std::to_string(limit) + " bytes");
  }
  un::SafeParseOptions options;
  options.maxBytes = limit;
  options.rootNamespaces = {un::schemaNamespace(un::MessageKind::Acknowledgement),
                            un::schemaNamespace(un::MessageKind::ConsistencyFinding)};
  // Safety and namespace first: nothing else is read from a document that fails here.
  un::XmlDocument doc = un::parseXmlSafelyOrThrow(xml, options);
  const std::string ns = un::rootNamespaceOf(doc.get());
  doc.reset();
  if (config.unfccc.certificatePem.empty()) {
    throw Error(ErrorCode::Forbidden, "this deployment has no UNFCCC certificate configured (unfccc.certificate)");
  }
  // The schema next, so that a wrong document is named as such; then the signature, before
  // anything is believed or stored.
  const bool isAck = ns == un::schemaNamespace(un::MessageKind::Acknowledgement);
  un::Acknowledgement ack;
  un::Finding finding;
  if (isAck) {
    ack = un::parseAcknowledgement(xml, limit);
  } else {
    finding = un::parseFinding(xml, limit);
  }
  auto verified = un::verifyXml(xml, {config.unfccc.certificatePem}, limit);
  if (!verified.valid) {
    throw Error(ErrorCode::Unauthenticated,
                "the message's signature does not verify against the configured UNFCCC "
                "certificate: " +
                    verified.problem);
  }
  const std::string now = formatTimestamp(clock.now());
  InboundOutcome out;
  if (isAck) {
    out.kind = "acknowledgement";
    out.messageId = ack.acknowledgementId;
    out.refersTo = ack.refersToMessageId;
    auto existing = store.findOutbox(ack.refersToMessageId);
    if (!existing || existing->destination != "unfccc") {
      out.known = false;
      Poco::Logger::get("a6auth.unfccc")
          .warning("acknowledgement " + ack.acknowledgementId + " refers to unknown message " + ack.refersToMessageId);
      return out;
    }
    const std::string outcome = un::toString(ack.status);
    out.duplicate = existing->outcome == outcome && existing->outcomeDetail == acknowledgementDetail(ack);
    if (!out.duplicate) {
      const std::string detail = acknowledgementDetail(ack);
      std::vector<OutboxMessage> followUps;
      if (webhooks) followUps = acknowledgedWebhooks(*webhooks, *existing, outcome, detail, now);
      store.recordOutcome(existing->id, outcome, detail, now, followUps);
    }
    return out;
  }
  out.kind = "finding";
  out.messageId = finding.messageId;
  FindingRecord f;
  f.messageId = finding.messageId;
  f.findingId = finding.findingId;
  if (finding.action) {
    f.ref = finding.action->authorisationId;
    f.version = finding.action->version;
    out.refersTo = finding.action->authorisationId + " version " + std::to_string(finding.action->version);
  } else {
    f.submissionMessageId = finding.submissionMessageId;
    out.refersTo = finding.submissionMessageId.value_or("");
  }
  f.status = un::toString(finding.status);
  f.severity = un::toString(finding.severity);
  f.code = finding.code;
  f.text = finding.text;
  f.sender = finding.sender;
  f.createdAt = finding.createdAt;
  f.receivedAt = now;
  f.xml = xml;
  out.duplicate = !workflows.recordFinding(f);
  return out;
}

}  // namespace a6::service
