#include "a6/service/letters/LetterService.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <set>

#include "a6/core/Error.h"
#include "a6/service/domain/Validation.h"
#include "a6/service/http/RequestJson.h"
#include "a6/signing/Digest.h"
#include "a6/signing/Keys.h"
#include "a6/signing/Pades.h"
#include "a6/templates/LetterTemplates.h"
#include "a6/templates/Locale.h"

namespace a6::service {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using templates::Value;

// Field names whose values are calendar dates, and those that are quantities in tonnes.
const std::set<std::string> kDateKeys = {"from", "to", "mitigation_from", "mitigation_to", "use_from", "use_to"};
const std::set<std::string> kQuantityKeys = {"requested_quantity", "authorized_quantity"};

// A JSON value as display text for a letter, or nothing when absent.
std::optional<Value> display(const Poco::Dynamic::Var& v, const std::string& key, const std::string& lang) {
  if (v.isEmpty()) return std::nullopt;
  if (v.type() == typeid(Object::Ptr)) {
    Value::Map m;
    for (const auto& [k, child] : *v.extract<Object::Ptr>()) {
      if (auto d = display(child, k, lang)) m[k] = std::move(*d);
    }
    return Value(std::move(m));
  }
  if (v.type() == typeid(Array::Ptr)) {
    auto a = v.extract<Array::Ptr>();
    if (a->size() == 0) return std::nullopt;
    Value::List list;
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (auto d = display(a->get(static_cast<unsigned>(i)), key, lang)) list.push_back(std::move(*d));
    }
    return Value(std::move(list));
  }
  if (v.isString()) {
    std::string s = v.extract<std::string>();
    if (s.empty()) return std::nullopt;
    if (kDateKeys.count(key) && isIsoDate(s)) return Value(templates::formatDate(s, lang));
    return Value(s);
  }
  if (v.isInteger()) {
    long long n = v.convert<long long>();
    if (kQuantityKeys.count(key)) return Value(templates::formatNumber(n, lang));
    return Value(std::to_string(n));
  }
  return Value(v.convert<std::string>());
}

std::string displayText(const Poco::Dynamic::Var& v, const std::string& path, const std::string& lang) {
  std::string key = path.substr(path.rfind('.') + 1);
  auto d = display(v, key, lang);
  if (!d) return "—";
  if (d->isString()) return d->asString();
  if (d->isList()) {
    std::string joined;
    for (const auto& item : d->asList()) {
      if (item.isString()) joined += (joined.empty() ? "" : ", ") + item.asString();
    }
    return joined.empty() ? canonicalJson(v) : joined;
  }
  return canonicalJson(v);
}

std::string abbreviation(const std::string& templateName) {
  if (templateName == "letter-of-no-objection") return "LNO";
  if (templateName == "rejection") return "REJ";
  if (templateName == "letter-of-approval") return "LOA";
  return "LET";
}

bool statesAVersion(const std::string& templateName) {
  return templateName == "letter-of-authorisation" || templateName == "letter-of-approval" ||
         templateName == "amendment";
}

}  // namespace

LetterService::LetterService(const Config& config, Store& store, const Clock& clock, IdGenerator& ids)
    : config_(config), store_(store), clock_(clock), ids_(ids) {
  const LettersConfig& l = config.letters;
  templates_ = std::make_unique<templates::LetterTemplates>(l.templatesDir);
  identity_ = std::make_unique<signing::SigningIdentity>(
      signing::SigningIdentity::fromPkcs12File(l.signingKey, l.signingKeyPassphrase));
  trust_ = std::make_unique<signing::TrustStore>(signing::TrustStore::fromPemFiles(l.trustAnchors));
}

LetterService::~LetterService() = default;

std::pair<LetterRecord, std::string> LetterService::issue(const Input& in) {
  const LettersConfig& l = config_.letters;
  const std::string& lang = l.language;
  if (!templates_->has(in.templateName, lang)) {
    throw Error(ErrorCode::Config,
                "no letter template '" + in.templateName + "' in language " + lang + " in " + l.templatesDir);
  }
  TimePoint now = clock_.now();
  std::string today = formatTimestamp(now).substr(0, 10);

  LetterRecord rec;
  rec.id = ids_.next("let");
  rec.requestId = in.record.id;
  rec.party = in.record.party;
  rec.templateName = in.templateName;
  rec.language = lang;
  rec.ref = in.record.authorisationRef;
  rec.authVersion = in.version ? in.version->version : 0;
  if (rec.ref && statesAVersion(in.templateName) && in.version) {
    rec.reference = *rec.ref + "/" + std::to_string(in.version->version);
  } else if (rec.ref && in.templateName == "revocation") {
    rec.reference = *rec.ref + "/R";
  } else {
    std::string abbr = abbreviation(in.templateName);
    std::string year = today.substr(0, 4);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s-%s-%s-%04lld", rec.party.c_str(), abbr.c_str(), year.c_str(),
                  static_cast<long long>(store_.nextSequence("letter:" + rec.party + ":" + abbr + ":" + year)));
    rec.reference = buf;
  }

  // What the template may say: display-ready text only, absent values left out.
  Value::Map letter{{"reference", rec.reference},
                    {"date", templates::formatDate(today, lang)},
                    {"place", l.ministryCity},
                    {"language", lang},
                    {"verification_url", config_.http.publicUrl + "/verify"},
                    {"qr_payload", config_.http.publicUrl + "/verify?reference=" + rec.reference}};
  Value::List address;
  for (const auto& line : l.ministryAddress) address.emplace_back(line);
  Value::Map ministry{{"name", l.ministryName}, {"city", l.ministryCity}};
  if (!l.ministryDepartment.empty()) ministry["department"] = l.ministryDepartment;
  if (!address.empty()) ministry["address"] = Value(address);
  Signatory who;
  if (auto it = l.signatories.find(in.signerRole); it != l.signatories.end()) who = it->second;
  if (who.name.empty()) who.name = identity_->commonName();
  Value::Map signatory{{"name", who.name}, {"role", in.signerRole}};
  if (!who.title.empty()) signatory["title"] = who.title;

  Value request =
      display(Poco::Dynamic::Var(parseStoredObject(in.record.fieldsJson)), "", lang).value_or(Value(Value::Map{}));
  Value::Map requestMap = request.isMap() ? request.asMap() : Value::Map{};
  requestMap["id"] = in.record.id;

  Value::Map authorisation;
  if (rec.ref) authorisation["ref"] = *rec.ref;
  if (in.version) {
    authorisation["version"] = std::to_string(in.version->version);
    authorisation["date"] = templates::formatDate(in.version->authorisedAt.substr(0, 10), lang);
    if (in.version->version > 1) authorisation["previous_version"] = std::to_string(in.version->version - 1);
  }
  if (!in.reason.empty()) authorisation["reason"] = in.reason;
  if (in.templateName == "revocation") authorisation["effective_from"] = templates::formatDate(today, lang);
  if (in.templateName == "amendment" && !in.previousFieldsJson.empty()) {
    auto before = flattenObject(*parseStoredObject(in.previousFieldsJson));
    auto after = flattenObject(*parseStoredObject(in.record.fieldsJson));
    Value::List changes;
    for (const auto& [path, value] : after) {
      auto it = before.find(path);
      Poco::Dynamic::Var was = it == before.end() ? Poco::Dynamic::Var() : it->second;
      if (canonicalJson(was) == canonicalJson(value)) continue;
      changes.push_back(Value(Value::Map{
          {"field", path}, {"before", displayText(was, path, lang)}, {"after", displayText(value, path, lang)}}));
    }
    if (!changes.empty()) authorisation["changes"] = Value(changes);
  }
  Value::Map context{
      {"letter", Value(letter)},      {"party", Value(Value::Map{{"code", in.record.party}, {"name", l.countryName}})},
      {"ministry", Value(ministry)},  {"signatory", Value(signatory)},
      {"request", Value(requestMap)}, {"authorisation", Value(authorisation)}};

  templates::LayoutOptions layout;
  layout.language = lang;
  layout.letterhead.emblemPath = l.emblem;
  templates::RenderedLetter rendered = templates_->render(in.templateName, lang, Value(context), layout);

  signing::SignatureAppearance appearance;
  if (!rendered.slots.empty()) {
    const auto& slot = rendered.slots.front();
    appearance.page = slot.page;
    appearance.x = slot.x;
    appearance.y = slot.y;
    appearance.width = slot.width;
    appearance.height = slot.height;
  }
  appearance.signerName = who.name;
  appearance.signerTitle = who.title;
  appearance.reason = rec.reference;
  appearance.location = l.ministryCity;
  signing::SignOptions options;
  options.signingTime = now;
  if (!l.tsaUrl.empty()) options.tsaUrl = l.tsaUrl;
  std::string pdf = signing::signPdf(rendered.pdf, *identity_, appearance, options);

  rec.sha256 = signing::sha256Hex(pdf);
  rec.size = static_cast<std::int64_t>(pdf.size());
  rec.signer = identity_->subjectName();
  rec.issuedAt = formatTimestamp(now);
  return {rec, pdf};
}

LetterVerification LetterService::verify(const std::string& pdf) const {
  LetterVerification v;
  signing::VerifyLimits limits;
  limits.maxBytes = config_.letters.verifyUploadBytes;
  v.pdf = signing::verifyPdf(pdf, *trust_, limits);
  if (!v.pdf.isPdf) {
    v.result = "invalid";
    v.reason = v.pdf.problem.empty() ? "the file is not a PDF" : v.pdf.problem;
    return v;
  }
  if (v.pdf.signatures.empty() && !v.pdf.problem.empty() && v.pdf.problem != "no signatures found") {
    // Refused unread (too large, too many signatures, truncated): not a letter we can vouch for.
    v.result = "invalid";
    v.reason = v.pdf.problem;
    return v;
  }
  if (v.pdf.signatures.empty()) {
    v.result = "unknown";
    v.reason = "the PDF carries no signature; it is not a letter issued by this service";
    return v;
  }
  for (std::size_t i = 0; i < v.pdf.signatures.size(); ++i) {
    const auto& s = v.pdf.signatures[i];
    if (!s.intact || !s.chainTrusted) {
      v.result = "invalid";
      v.reason = "signature " + std::to_string(i + 1) + ": " + (s.problem.empty() ? "does not verify" : s.problem);
      return v;
    }
  }
  if (v.pdf.modifiedAfterLastSignature) {
    v.result = "invalid";
    v.reason = "bytes were added after the last signature: the file is not the letter as signed";
    return v;
  }
  v.letter = store_.findLetterBySha256(v.pdf.sha256);
  if (!v.letter) {
    v.result = "unknown";
    v.reason = "the signatures are intact and trusted, but no letter with these exact bytes is on record";
    return v;
  }
  v.result = "valid";
  v.reason = "an unaltered letter on record";
  if (v.letter->ref) {
    if (auto a = store_.findAuthorisation(*v.letter->ref)) {
      v.currentVersion = a->currentVersion;
      if (a->status == "revoked") {
        v.authorisationStatus = "revoked";
      } else if (v.letter->authVersion > 0 && v.letter->authVersion < a->currentVersion) {
        v.authorisationStatus = "superseded by version " + std::to_string(a->currentVersion);
      } else {
        v.authorisationStatus = "active";
      }
    }
  }
  return v;
}

}  // namespace a6::service
