// Letters: download the signed letters of a request or an authorisation, and verify a presented
// PDF (public) against its signatures and the letters on record.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>

#include "a6/core/Error.h"
#include "a6/service/http/RequestJson.h"
#include "a6/service/letters/LetterService.h"
#include "http/Routes.h"

namespace a6::service {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr letterJson(const LetterRecord& l) {
  Object::Ptr o = new Object;
  o->set("id", l.id);
  o->set("reference", l.reference);
  o->set("template", l.templateName);
  o->set("language", l.language);
  o->set("authorisation_ref", l.ref ? Poco::Dynamic::Var(*l.ref) : Poco::Dynamic::Var());
  o->set("authorisation_version", l.authVersion);
  o->set("sha256", l.sha256);
  o->set("size", l.size);
  o->set("signer", l.signer);
  o->set("issued_at", l.issuedAt);
  o->set("href", "/api/v1/requests/" + l.requestId + "/letters/" + l.id);
  return o;
}

Response pdfResponse(Services& s, const LetterRecord& l) {
  auto bytes = s.store.letterBytes(l.id);
  if (!bytes) throw Error(ErrorCode::NotFound, "no letter " + l.id);
  Response r;
  r.contentType = "application/pdf";
  r.body = std::move(*bytes);
  std::string file = l.reference;
  std::replace(file.begin(), file.end(), '/', '_');
  r.headers.emplace_back("Content-Disposition", "inline; filename=\"" + file + ".pdf\"");
  r.headers.emplace_back("X-Content-SHA256", l.sha256);
  r.headers.emplace_back("X-Letter-Reference", l.reference);
  return r;
}

bool statesVersion(const std::string& t) {
  return t == "letter-of-authorisation" || t == "letter-of-approval" || t == "amendment";
}

Response listLetters(Services& s, Exchange& ex) {
  RequestRecord r = loadVisible(s, ex.who(), ex.params.at("id"));
  Array::Ptr items = new Array;
  for (const auto& l : s.store.lettersOfRequest(r.id)) items->add(letterJson(l));
  Object::Ptr out = new Object;
  out->set("items", items);
  return Response::json(200, canonicalJson(out));
}

Response getLetter(Services& s, Exchange& ex) {
  RequestRecord r = loadVisible(s, ex.who(), ex.params.at("id"));
  auto l = s.store.findLetter(ex.params.at("letter"));
  if (!l || l->requestId != r.id) throw Error(ErrorCode::NotFound, "no letter " + ex.params.at("letter"));
  return pdfResponse(s, *l);
}

Response authorisationLetter(Services& s, Exchange& ex) {
  const std::string& ref = ex.params.at("ref");
  auto a = s.store.findAuthorisation(ref);
  if (!a || a->party != s.config.party) throw Error(ErrorCode::NotFound, "no authorisation " + ref);
  const Principal& p = ex.who();
  if (!p.hasRole("registry")) loadVisible(s, p, a->requestId);
  int version = a->currentVersion;
  if (auto v = ex.query("version")) {
    bool digits = !v->empty() && v->size() < 6 && std::all_of(v->begin(), v->end(), ::isdigit);
    if (!digits || std::stoi(*v) < 1) {
      throw Error(ErrorCode::Invalid, "version must be a number from 1", {{"version", "range", "a version from 1"}});
    }
    version = std::stoi(*v);
  }
  std::optional<LetterRecord> found;
  for (const auto& l : s.store.lettersOfRequest(a->requestId)) {
    if (l.ref == ref && l.authVersion == version && statesVersion(l.templateName)) found = l;
  }
  if (!found) throw Error(ErrorCode::NotFound, "no letter for " + ref + " version " + std::to_string(version));
  return pdfResponse(s, *found);
}

Response verify(Services& s, Exchange& ex) {
  if (!s.letters) throw Error(ErrorCode::NotFound, "letters are not issued by this deployment");
  std::string type =
      Poco::toLower(Poco::trim(ex.header("Content-Type").substr(0, ex.header("Content-Type").find(';'))));
  if (type != "application/pdf" && type != "application/octet-stream") {
    throw Error(ErrorCode::UnsupportedMediaType, "send the PDF as application/pdf");
  }
  LetterVerification v = s.letters->verify(ex.body());
  Object::Ptr o = new Object;
  o->set("result", v.result);
  o->set("reason", v.reason);
  o->set("sha256", v.pdf.sha256);
  o->set("modified_after_last_signature", v.pdf.modifiedAfterLastSignature);
  Array::Ptr sigs = new Array;
  for (const auto& sig : v.pdf.signatures) {
    Object::Ptr so = new Object;
    so->set("intact", sig.intact);
    so->set("trusted", sig.chainTrusted);
    so->set("covers_whole_file", sig.coversWholeFile);
    so->set("signer", sig.signerName);
    so->set("signer_certificate_sha256", sig.signerCertificateSha256);
    so->set("signing_time", sig.signingTime);
    so->set("timestamp_time", sig.timestampTime ? Poco::Dynamic::Var(*sig.timestampTime) : Poco::Dynamic::Var());
    so->set("sub_filter", sig.subFilter);
    so->set("problem", sig.problem.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(sig.problem));
    sigs->add(so);
  }
  o->set("signatures", sigs);
  if (v.letter) {
    Object::Ptr l = new Object;
    l->set("reference", v.letter->reference);
    l->set("template", v.letter->templateName);
    l->set("issued_at", v.letter->issuedAt);
    l->set("authorisation_ref", v.letter->ref ? Poco::Dynamic::Var(*v.letter->ref) : Poco::Dynamic::Var());
    l->set("authorisation_version", v.letter->authVersion);
    o->set("letter", l);
  } else {
    o->set("letter", Poco::Dynamic::Var());
  }
  o->set("authorisation_status",
         v.authorisationStatus.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(v.authorisationStatus));
  int status = v.result == "valid" ? 200 : v.result == "invalid" ? 422 : 404;
  return Response::json(status, canonicalJson(o));
}

}  // namespace

void registerLetterRoutes(Router& router, Services& s) {
  router.add({"GET", "/api/v1/requests/{id}/letters", true, 0, [&s](Exchange& ex) { return listLetters(s, ex); }, {}});
  router.add(
      {"GET", "/api/v1/requests/{id}/letters/{letter}", true, 0, [&s](Exchange& ex) { return getLetter(s, ex); }, {}});
  router.add({"GET",
              "/api/v1/authorisations/{ref}/letter.pdf",
              true,
              0,
              [&s](Exchange& ex) { return authorisationLetter(s, ex); },
              {}});
  router.add({"POST",
              "/api/v1/verify",
              false,
              s.config.letters.verifyUploadBytes,
              [&s](Exchange& ex) { return verify(s, ex); },
              {}});
}

}  // namespace a6::service
