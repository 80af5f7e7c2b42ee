#include "a6/service/reports/AefReport.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <sstream>

#include "a6/core/Error.h"
#include "a6/integrations/unfccc/Messages.h"
#include "a6/service/http/RequestJson.h"
#include "a6/signing/Digest.h"

namespace a6::service {
namespace {

namespace un = a6::integrations::unfccc;

RequestFields fieldsOf(const AuthorisationVersion& v) {
  Poco::JSON::Parser parser;
  std::vector<FieldError> ignored;
  return decodeRequestFields(*parser.parse(v.fieldsJson).extract<Poco::JSON::Object::Ptr>(), ignored);
}

// The letter that states this version, for the "Authorization documentation" column.
std::optional<un::AuthorisationDocumentation> letterOf(Store& store, const Config& config, const AuthorisationRecord& a,
                                                        int version) {
  std::optional<un::AuthorisationDocumentation> doc;
  for (const auto& l : store.lettersOfRequest(a.requestId)) {
    bool states = l.templateName == "letter-of-authorisation" || l.templateName == "letter-of-approval" ||
                  l.templateName == "amendment";
    if (l.ref == a.ref && l.authVersion == version && states) {
      doc = un::AuthorisationDocumentation{
          l.sha256, config.http.publicUrl + "/api/v1/authorisations/" + a.ref + "/letter.pdf?version=" +
                        std::to_string(version)};
    }
  }
  return doc;
}

un::Authorisation toAef(const AuthorisationVersion& v, const RequestFields& f) {
  auto missing = [&](const std::string& what) {
    return Error(ErrorCode::Conflict, "authorisation " + v.ref + " version " + std::to_string(v.version) +
                                          " has no " + what + "; the AEF requires it");
  };
  const AuthorisationTerms& t = f.authorisation;
  un::Authorisation a;
  a.authorisationId = v.ref;
  a.dateOfAuthorisation = v.authorisedAt.substr(0, 10);
  if (!t.cooperativeApproachId) throw missing("cooperative approach ID");
  a.cooperativeApproachId = *t.cooperativeApproachId;
  a.version = v.version;
  a.authorisedQuantity = t.authorizedQuantity;
  a.metric = t.metric.value_or("GHG");
  a.gwpValues = t.gwpValues;
  a.nonGhgMetric = t.nonGhgMetric;
  a.nonGhgMetricUnit = t.nonGhgUnit;
  a.sectors = f.activity.sector;
  a.activityTypes = f.activity.activityType;
  if (!t.purposes) throw missing("purposes for authorisation");
  a.purposes = *t.purposes;
  a.authorisedParties = t.authorizedParties;
  for (const auto& e : t.authorizedEntities) {
    un::AuthorisedEntity ue;
    ue.name = e.name.value_or("");
    ue.countryOfIncorporation = e.country.value_or("");
    ue.identificationNumber = e.identificationNumber;
    ue.cooperativeApproachId = a.cooperativeApproachId;
    ue.dateOfAuthorisation = a.dateOfAuthorisation;
    ue.conditions = e.conditions;
    ue.changeAndRevocationConditions =
        e.changeAndRevocationConditions.value_or("As stated in the terms and conditions of the authorisation.");
    // The same entity with the same content keeps one id across versions; a changed one gets its own.
    ue.entityId = "E-" + signing::sha256Hex(v.ref + "\n" + ue.name + "\n" + ue.countryOfIncorporation + "\n" +
                                            ue.identificationNumber.value_or("") + "\n" + ue.conditions.value_or("") +
                                            "\n" + ue.changeAndRevocationConditions + "\n" + ue.dateOfAuthorisation)
                                .substr(0, 16);
    a.authorisedEntities.push_back(ue);
  }
  a.oimpAuthorisedByTheParty = t.oimpAuthorized;
  if (t.timeframe.mitigationFrom || t.timeframe.mitigationTo || t.timeframe.useFrom || t.timeframe.useTo) {
    un::AuthorisedTimeframe tf;
    if (t.timeframe.mitigationFrom || t.timeframe.mitigationTo) {
      tf.mitigation = un::Period{t.timeframe.mitigationFrom, t.timeframe.mitigationTo};
    }
    if (t.timeframe.useFrom || t.timeframe.useTo) tf.use = un::Period{t.timeframe.useFrom, t.timeframe.useTo};
    a.timeframe = tf;
  }
  a.termsAndConditions = t.termsAndConditions;
  a.firstTransferDefinition = t.firstTransferDefinition;
  a.additionalInformation = t.additionalInformation;
  return a;
}

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string joined(const std::vector<std::string>& items, const std::string& sep = "; ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

}  // namespace

un::Authorisation aefAuthorisation(const AuthorisationVersion& version) { return toAef(version, fieldsOf(version)); }

un::MitigationActivity aefActivity(const AuthorisationVersion& version) {
  const RequestFields f = fieldsOf(version);
  un::MitigationActivity m;
  m.title = f.activity.title.value_or(version.ref);
  m.designDocumentReference = f.activity.designDocumentRef;
  m.standard = f.activity.standard;
  m.methodology = f.activity.methodology;
  if (f.activity.creditingPeriod.from || f.activity.creditingPeriod.to) {
    m.creditingPeriod = un::Period{f.activity.creditingPeriod.from, f.activity.creditingPeriod.to};
  }
  if (f.authorisation.vintages.from && f.authorisation.vintages.to) {
    m.vintageFrom = f.authorisation.vintages.from;
    m.vintageTo = f.authorisation.vintages.to;
  }
  m.underlyingUnitRegistry = f.authorisation.underlyingUnitRegistry;
  return m;
}

std::string aefXml(Store& store, const Config& config, int year, TimePoint now, IdGenerator& ids) {
  un::AnnualSubmission sub;
  sub.messageId = ids.next("aef");
  sub.createdAt = formatTimestamp(now);
  sub.party = config.party;
  sub.reportedYear = year;
  sub.submissionDate = sub.createdAt.substr(0, 10);
  for (const auto& v : store.authorisationVersionsInYear(year)) {
    auto record = store.findAuthorisation(v.ref);
    if (!record || record->party != config.party) continue;
    un::ReportedAuthorisation row;
    row.authorisation = toAef(v, fieldsOf(v));
    row.letter = letterOf(store, config, *record, v.version);
    sub.authorisations.push_back(std::move(row));
  }
  for (const auto& t : store.firstTransfersInYear(year)) {
    auto versions = store.authorisationVersions(t.ref);
    if (versions.empty()) continue;
    RequestFields f = fieldsOf(versions.back());
    un::Action a;
    a.actionId = t.id;
    std::replace(a.actionId.begin(), a.actionId.end(), '_', '-');  // AEF ids: letters, digits, - / .
    a.actionDate = t.transferDate;
    a.actionType = "First transfer";
    a.cooperativeApproachId = f.authorisation.cooperativeApproachId.value_or("");
    a.authorisationId = t.ref;
    a.firstUniqueIdentifier = t.serialFirst;
    a.lastUniqueIdentifier = t.serialLast;
    // The vintage is the last part of an ITMO identifier (CA0001-GHA01-GHA-1000-2024).
    std::string tail = t.serialLast.substr(t.serialLast.rfind('-') + 1);
    try {
      a.vintage = std::stoi(tail);
    } catch (const std::exception&) {
      a.vintage = f.authorisation.vintages.from.value_or(year);
    }
    a.quantity = t.quantity;
    a.transferringParty = config.party;
    sub.actions.push_back(a);
  }
  return un::buildAnnualSubmission(sub);
}

std::string aefCsv(Store& store, const Config& config, int year) {
  std::ostringstream out;
  out << "Party,Authorization ID,Date of authorization,Cooperative approach ID,Version of the authorization,"
         "Authorized quantity,Metric,GWP values,Non-GHG metric,Sector(s),Activity type(s),"
         "Purposes for authorization,Authorized Party(ies),Authorized entity(ies),OIMP authorized by the Party,"
         "Authorized timeframe (mitigation),Authorized timeframe (use),Terms and conditions,"
         "First transfer definition for OIMP,Additional explanatory information,Authorization documentation\r\n";
  for (const auto& v : store.authorisationVersionsInYear(year)) {
    auto record = store.findAuthorisation(v.ref);
    if (!record || record->party != config.party) continue;
    RequestFields f = fieldsOf(v);
    const AuthorisationTerms& t = f.authorisation;
    std::vector<std::string> entities;
    for (const auto& e : t.authorizedEntities) entities.push_back(e.name.value_or("") + " (" + e.country.value_or("") + ")");
    auto period = [](const std::optional<std::string>& a, const std::optional<std::string>& b) {
      return a || b ? a.value_or("") + " to " + b.value_or("") : std::string();
    };
    auto doc = letterOf(store, config, *record, v.version);
    std::vector<std::string> cells = {config.party,
                                      v.ref,
                                      v.authorisedAt.substr(0, 10),
                                      t.cooperativeApproachId.value_or(""),
                                      std::to_string(v.version),
                                      t.authorizedQuantity ? std::to_string(*t.authorizedQuantity) : "",
                                      t.metric.value_or(""),
                                      t.gwpValues.value_or(""),
                                      t.nonGhgMetric ? *t.nonGhgMetric + " (" + t.nonGhgUnit.value_or("") + ")" : "",
                                      joined(f.activity.sector),
                                      joined(f.activity.activityType),
                                      t.purposes.value_or(""),
                                      joined(t.authorizedParties),
                                      joined(entities),
                                      t.oimpAuthorized.value_or(""),
                                      period(t.timeframe.mitigationFrom, t.timeframe.mitigationTo),
                                      period(t.timeframe.useFrom, t.timeframe.useTo),
                                      t.termsAndConditions.value_or(""),
                                      t.firstTransferDefinition.value_or(""),
                                      t.additionalInformation.value_or(""),
                                      doc ? doc->address : ""};
    for (std::size_t i = 0; i < cells.size(); ++i) out << (i ? "," : "") << csvField(cells[i]);
    out << "\r\n";
  }
  return out.str();
}

}  // namespace a6::service
