#include "a6/service/outbox/Email.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <map>

#include "a6/core/Error.h"
#include "a6/integrations/Delivery.h"
#include "a6/integrations/email/Mail.h"
#include "a6/service/http/RequestJson.h"
#include "a6/templates/EmailTemplates.h"
#include "a6/templates/Locale.h"

namespace a6::service {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using templates::Value;
namespace mail = a6::integrations::email;

std::string text(const Object::Ptr& o, const std::string& path) {
  Object::Ptr at = o;
  std::string rest = path;
  for (auto dot = rest.find('.'); dot != std::string::npos; dot = rest.find('.')) {
    if (!at || !at->has(rest.substr(0, dot)) || !at->isObject(rest.substr(0, dot))) return "";
    at = at->getObject(rest.substr(0, dot));
    rest = rest.substr(dot + 1);
  }
  if (!at || !at->has(rest) || at->isNull(rest)) return "";
  return at->get(rest).toString();
}

// "decision:approve" -> "approve"; "spine:revoked" -> "revoked".
std::string causeName(const std::string& cause) {
  auto colon = cause.find(':');
  return colon == std::string::npos ? cause : cause.substr(colon + 1);
}

// A workflow id as words: "technical_review" -> "technical review".
std::string readable(std::string id) {
  for (char& c : id) {
    if (c == '_' || c == '-') c = ' ';
  }
  return id;
}

// A decision as the email's language says it. The shipped definitions' decisions and the spine's
// own are known; a country's own decision names are shown with spaces for underscores.
std::string decisionLabel(const std::string& name, const std::string& lang) {
  struct Words {
    const char* en;
    const char* fr;
    const char* es;
  };
  static const std::map<std::string, Words> kWords = {
      {"accept", {"accepted for review", "acceptée pour examen", "aceptada para examen"}},
      {"approve", {"approved", "approuvée", "aprobada"}},
      {"confirm", {"confirmed", "confirmée", "confirmada"}},
      {"consent", {"consent given", "consentement donné", "consentimiento otorgado"}},
      {"endorse", {"endorsed", "appuyée", "respaldada"}},
      {"issue_no_objection", {"no objection", "non-objection", "no objeción"}},
      {"object", {"objection raised", "objection formulée", "objeción formulada"}},
      {"reject", {"rejected", "rejetée", "rechazada"}},
      {"request_changes", {"changes requested", "modifications demandées", "cambios solicitados"}},
      {"revoked", {"authorisation revoked", "autorisation révoquée", "autorización revocada"}},
      {"withdrawn", {"withdrawn", "retirée", "retirada"}},
      {"authorised", {"authorised", "autorisée", "autorizada"}},
  };
  auto it = kWords.find(name);
  if (it == kWords.end()) return readable(name);
  return lang == "fr" ? it->second.fr : lang == "es" ? it->second.es : it->second.en;
}

}  // namespace

EmailComposer::EmailComposer(const Config& config, Store& store, IdGenerator& ids)
    : config_(config),
      store_(store),
      ids_(ids),
      templates_(std::make_unique<templates::EmailTemplates>(config.email.templatesDir)) {}

EmailComposer::~EmailComposer() = default;

std::vector<EmailComposer::Recipient> EmailComposer::recipients(const std::string& to, const RequestRecord& record) {
  std::vector<Recipient> out;
  if (to == "applicant") {
    // The person who made the request, and the contact the request names if that is someone else.
    if (auto u = store_.findUser(record.createdBy); u && u->active && !u->email.empty()) {
      out.push_back({u->displayName.empty() ? u->name : u->displayName, u->email});
    }
    Object::Ptr fields = parseStoredObject(record.fieldsJson);
    const std::string contact = text(fields, "applicant.contact_email");
    if (!contact.empty() && (out.empty() || out.front().address != contact) && mail::plausibleAddress(contact)) {
      const std::string name = text(fields, "applicant.contact_name");
      out.push_back({name.empty() ? record.organisation : name, contact});
    }
    return out;
  }
  for (const auto& u : store_.listUsers()) {
    if (!u.active || u.email.empty()) continue;
    if (std::find(u.roles.begin(), u.roles.end(), to) == u.roles.end()) continue;
    out.push_back({u.displayName.empty() ? u.name : u.displayName, u.email});
  }
  return out;
}

OutboxMessage EmailComposer::message(const Recipient& recipient, const std::string& templateName,
                                     const std::string& cause, const std::optional<std::string>& streamId,
                                     const std::optional<std::string>& ref, const std::string& party,
                                     const std::string& now, Value::Map context,
                                     const std::vector<std::pair<std::string, std::string>>& attachments) {
  const std::string lang = config_.email.language;
  context["recipient"] = Value::Map{{"name", recipient.name}};
  context["ministry"] = Value::Map{{"name", config_.letters.ministryName}, {"email", config_.email.fromAddress}};
  context["party"] = Value::Map{{"name", config_.letters.countryName}};
  if (attachments.empty()) {
    if (auto it = context.find("letter"); it != context.end()) context.erase(it);
  }
  templates::RenderedEmail rendered = templates_->render(templateName, lang, Value(context));

  OutboxMessage m;
  m.id = ids_.next("msg");
  m.destination = "email";
  // Each email stands alone: an address that bounces holds back no other message.
  m.orderingKey = m.id;
  m.streamId = streamId;
  m.party = party;
  m.ref = ref;
  m.cause = cause;
  m.contentType = "application/json";
  Object::Ptr payload = new Object;
  Array::Ptr to = new Array;
  to->add(recipient.address);
  payload->set("to", to);
  payload->set("subject", rendered.subject);
  payload->set("text", rendered.text);
  payload->set("html", rendered.html);
  payload->set("language", lang);
  Array::Ptr files = new Array;
  for (const auto& [letterId, filename] : attachments) {
    Object::Ptr f = new Object;
    f->set("letter_id", letterId);
    f->set("filename", filename);
    files->add(f);
  }
  payload->set("attachments", files);
  m.payload = canonicalJson(payload);
  Object::Ptr summary = new Object;
  summary->set("template", templateName);
  summary->set("to", recipient.address);
  summary->set("subject", rendered.subject);
  summary->set("attachments", static_cast<int>(attachments.size()));
  m.summaryJson = canonicalJson(summary);
  m.nextAttemptAt = now;
  m.createdAt = now;
  m.updatedAt = now;
  return m;
}

std::optional<std::vector<OutboxMessage>> EmailComposer::messages(const std::string& to,
                                                                  const std::string& templateName,
                                                                  const EffectContext& ctx) {
  const RequestRecord& r = ctx.record;
  auto people = recipients(to, r);
  if (people.empty()) {
    Poco::Logger::get("a6auth.email")
        .warning("no one with an email address holds '" + to + "' for " + templateName + " about " + r.id +
                 "; the effect stays pending");
    return std::nullopt;
  }
  const std::string lang = config_.email.language;
  Object::Ptr fields = parseStoredObject(r.fieldsJson);
  Value::Map request{{"id", r.id}, {"title", r.title.empty() ? r.id : r.title}, {"organisation", r.organisation}};
  for (const auto& e : store_.events(r.id)) {
    if (e.type == "submitted") request["submitted"] = templates::formatDate(e.at, lang);
  }
  Value::Map context{{"request", request}};
  const std::string portal = config_.http.publicUrl.empty() ? std::string("/") : config_.http.publicUrl + "/";
  context["links"] = Value::Map{{"request", portal + "#/requests/" + r.id}, {"portal", portal}};
  if (!r.stage.empty()) {
    Value::Map stage{{"name", readable(r.stage)}};
    for (const auto& t : ctx.commit.timers) {
      if (t.stage == r.stage && t.kind == "breach") stage["due"] = templates::formatDate(t.dueAt, lang);
    }
    if (stage.find("due") == stage.end()) {
      for (const auto& t : store_.pendingTimers(r.id)) {
        if (t.stage == r.stage && t.kind == "breach") stage["due"] = templates::formatDate(t.dueAt, lang);
      }
    }
    context["stage"] = stage;
  }
  if (ctx.cause.rfind("decision:", 0) == 0 || ctx.cause.rfind("spine:", 0) == 0) {
    Value::Map decision{{"name", decisionLabel(causeName(ctx.cause), lang)},
                        {"actor", ctx.actor},
                        {"date", templates::formatDate(ctx.now, lang)}};
    if (!ctx.reason.empty()) decision["comment"] = ctx.reason;
    context["decision"] = decision;
  }
  std::optional<std::string> ref = r.authorisationRef;
  if (ref) {
    Value::Map authorisation{{"ref", *ref}};
    if (ctx.commit.authorisationVersion) {
      authorisation["version"] = std::to_string(ctx.commit.authorisationVersion->version);
    } else if (auto a = store_.findAuthorisation(*ref)) {
      authorisation["version"] = std::to_string(a->currentVersion);
    }
    context["authorisation"] = authorisation;
  }
  if (ctx.finding) {
    Value::Map finding{{"severity", ctx.finding->severity},
                       {"text", ctx.finding->text},
                       {"received", templates::formatDate(ctx.finding->receivedAt, lang)}};
    if (ctx.finding->code) finding["code"] = *ctx.finding->code;
    context["finding"] = finding;
  }
  // The decision's letters go to the applicant with the decision.
  std::vector<std::pair<std::string, std::string>> attachments;
  if (config_.email.attachLetters && to == "applicant") {
    for (const auto& [letter, bytes] : ctx.commit.letters) {
      std::string name = letter.reference;
      for (char& c : name) {
        if (c == '/' || c == '\\') c = '-';
      }
      attachments.emplace_back(letter.id, name + ".pdf");
    }
    if (!attachments.empty()) context["letter"] = Value::Map{{"attached", true}};
  }
  std::vector<OutboxMessage> out;
  for (const auto& person : people) {
    out.push_back(message(person, templateName, ctx.cause, r.id, ref, r.party, ctx.now, context, attachments));
  }
  return out;
}

std::vector<OutboxMessage> EmailComposer::webhookDisabled(const std::string& subscriptionId, const std::string& url,
                                                          const std::string& lastError, int failures,
                                                          const std::string& now) {
  std::vector<OutboxMessage> out;
  const std::string portal = config_.http.publicUrl.empty() ? std::string("/") : config_.http.publicUrl + "/";
  Value::Map context;
  context["webhook"] = Value::Map{{"url", url},
                                  {"last_error", lastError},
                                  {"failures", std::to_string(failures)},
                                  {"disabled_at", templates::formatDate(now, config_.email.language)}};
  context["links"] = Value::Map{{"portal", portal}, {"webhooks", portal + "api/v1/webhooks/" + subscriptionId}};
  for (const auto& u : store_.listUsers()) {
    if (!u.active || u.email.empty()) continue;
    if (std::find(u.roles.begin(), u.roles.end(), "admin") == u.roles.end()) continue;
    out.push_back(message({u.displayName.empty() ? u.name : u.displayName, u.email}, "webhook-disabled",
                          "webhook_disabled", std::nullopt, std::nullopt, config_.party, now, context, {}));
  }
  return out;
}

// --- sending -----------------------------------------------------------------------------------

EmailTransport::EmailTransport(const Config& config, Store& store, const Clock& clock)
    : config_(config), store_(store), clock_(clock) {}

Delivered EmailTransport::deliver(const OutboxMessage& message) {
  const EmailConfig& e = config_.email;
  mail::SmtpSettings settings;
  settings.host = e.smtpHost;
  settings.port = e.smtpPort;
  settings.security = e.startTls ? mail::SmtpSettings::Security::StartTls : mail::SmtpSettings::Security::None;
  settings.username = e.username;
  settings.password = e.password;
  settings.caFile = e.caFile;
  settings.fromAddress = e.fromAddress;
  settings.fromName = e.fromName;
  settings.timeout = e.timeout;

  Object::Ptr p = parseStoredObject(message.payload);
  mail::MailMessage m;
  Array::Ptr to = p->getArray("to");
  for (std::size_t i = 0; to && i < to->size(); ++i)
    m.to.push_back(to->getElement<std::string>(static_cast<unsigned>(i)));
  m.subject = p->getValue<std::string>("subject");
  m.textBody = p->getValue<std::string>("text");
  m.htmlBody = p->getValue<std::string>("html");
  m.language = p->getValue<std::string>("language");
  m.messageId = "<" + message.id + "@a6auth>";
  Array::Ptr files = p->getArray("attachments");
  for (std::size_t i = 0; files && i < files->size(); ++i) {
    Object::Ptr f = files->getObject(static_cast<unsigned>(i));
    const std::string letterId = f->getValue<std::string>("letter_id");
    auto bytes = store_.letterBytes(letterId);
    if (!bytes) throw integrations::DeliveryFailure("letter " + letterId + " to attach is not on record", true);
    m.attachments.push_back({f->getValue<std::string>("filename"), "application/pdf", std::move(*bytes)});
  }
  mail::sendMail(settings, m, clock_.now());
  Delivered d;
  d.detail = "accepted by " + e.smtpHost + ":" + std::to_string(e.smtpPort) + " for " + std::to_string(m.to.size()) +
             " recipient(s)";
  d.outcome = "sent";
  return d;
}

}  // namespace a6::service
