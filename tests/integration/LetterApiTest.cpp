// Signed letters end to end: issued in the commit of the decision, served with their hash,
// checked by independent tools (pdfsig, qpdf, pdftotext), and verified by the API and the CLI
// against their signatures and the record (active, superseded, revoked; modified; unknown).
#include <Poco/JSON/Array.h>

#include "ServerFixture.h"
#include "a6/signing/Digest.h"
#include "a6/signing/Keys.h"
#include "a6/signing/Pades.h"

namespace a6::test {
namespace {

class LetterApiTest : public ServerFixture {
 protected:
  std::string draft() {
    std::string id = createSample()->getValue<std::string>("id");
    EXPECT_EQ(as("ada", "PATCH", "/api/v1/requests/" + id, R"({"authorisation": {"authorized_quantity": 1500000}})",
                 {{"If-Match", "\"1\""}})
                  .status,
              200);
    return id;
  }
  void fire(const std::string& user, const std::string& id, const std::string& event, const std::string& comment = "") {
    std::string tag = as("ada", "GET", "/api/v1/requests/" + id).header("ETag");
    std::string body = R"({"event": ")" + event + R"(", "comment": ")" + comment + R"("})";
    HttpResult r = as(user, "POST", "/api/v1/requests/" + id + "/events", body, {{"If-Match", tag}});
    ASSERT_EQ(r.status, 200) << user << " " << event << ": " << r.body;
  }
  std::string authorise(const std::string& id) {
    fire("ada", id, "submit");
    fire("rita", id, "accept");
    fire("tom", id, "endorse");
    fire("tess", id, "endorse");
    fire("amina", id, "approve");
    return as("ada", "GET", "/api/v1/requests/" + id).json()->getValue<std::string>("authorisation_ref");
  }
  HttpResult verify(const std::string& pdf) {
    return client_->send("POST", "/api/v1/verify", pdf, {{"Content-Type", "application/pdf"}});
  }
  std::string run(const std::string& command) {
    std::string out = dir_.file("cmd.out");
    int rc = std::system((command + " > '" + out + "' 2>&1").c_str());
    return std::to_string(WEXITSTATUS(rc)) + "\n" + readFile(out);
  }
};

TEST_F(LetterApiTest, AuthorisationIssuesASignedLetterThatIndependentToolsAccept) {
  std::string id = draft();
  std::string ref = authorise(id);
  HttpResult letter = as("ada", "GET", "/api/v1/authorisations/" + ref + "/letter.pdf");
  ASSERT_EQ(letter.status, 200) << letter.body;
  EXPECT_EQ(letter.header("Content-Type"), "application/pdf");
  EXPECT_EQ(letter.header("X-Content-SHA256"), signing::sha256Hex(letter.body));
  EXPECT_LT(letter.body.size(), 200u * 1024);

  // The record keeps the hash, and the letter was issued in the commit of the approval.
  auto a = as("ada", "GET", "/api/v1/authorisations/" + ref).json();
  auto letters = a->getArray("letters");
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ(letters->getObject(0)->getValue<std::string>("sha256"), signing::sha256Hex(letter.body));
  auto history = as("ada", "GET", "/api/v1/requests/" + id + "/history").json()->getArray("items");
  bool issued = false;
  for (std::size_t i = 0; i < history->size(); ++i) {
    auto e = history->getObject(static_cast<unsigned>(i));
    if (e->getValue<std::string>("type") == "letter_issued") issued = true;
  }
  EXPECT_TRUE(issued);

  std::string file = dir_.file("letter.pdf");
  writeFile(file, letter.body);
  std::string pdfsig = run("pdfsig '" + file + "'");
  EXPECT_NE(pdfsig.find("Signature Validation: Signature is Valid."), std::string::npos) << pdfsig;
  EXPECT_NE(pdfsig.find("ETSI.CAdES.detached"), std::string::npos) << pdfsig;
  std::string qpdf = run("qpdf --check '" + file + "'");
  EXPECT_EQ(qpdf.substr(0, 2), "0\n") << qpdf;
  std::string text = run("pdftotext -layout '" + file + "' -");
  for (const char* expected : {"CA0042", "Volta Cookstoves Ltd", "Ophelia Mensah", "Ministry of Environment", "Issuance"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " not in\n" << text;
  }
  EXPECT_NE(text.find(ref), std::string::npos) << text;
}

TEST_F(LetterApiTest, VerificationTellsValidModifiedAndUnknownApart) {
  std::string id = draft();
  std::string ref = authorise(id);
  std::string pdf = as("ada", "GET", "/api/v1/authorisations/" + ref + "/letter.pdf").body;

  HttpResult ok = verify(pdf);
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto o = ok.json();
  EXPECT_EQ(o->getValue<std::string>("result"), "valid");
  EXPECT_EQ(o->getValue<std::string>("authorisation_status"), "active");
  EXPECT_EQ(o->getObject("letter")->getValue<std::string>("authorisation_ref"), ref);
  EXPECT_TRUE(o->getArray("signatures")->getObject(0)->getValue<bool>("trusted"));

  // One byte changed inside the signed range.
  std::string changed = pdf;
  std::size_t at = changed.find("CA0042");
  if (at == std::string::npos) at = changed.size() / 3;
  changed[at + 2] = changed[at + 2] == '7' ? '8' : '7';
  HttpResult bad = verify(changed);
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(bad.json()->getValue<std::string>("result"), "invalid");

  // An incremental update appended after signing.
  std::string appended = pdf + "\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n";
  HttpResult added = verify(appended);
  EXPECT_EQ(added.status, 422) << added.body;
  EXPECT_TRUE(added.json()->getValue<bool>("modified_after_last_signature"));
  std::string file = dir_.file("appended.pdf");
  writeFile(file, appended);
  std::string pdfsig = run("pdfsig '" + file + "'");
  EXPECT_EQ(pdfsig.find("Signature Validation: Signature is Valid.\n  Signed Ranges"), std::string::npos);
  EXPECT_TRUE(pdfsig.find("not total document signed") != std::string::npos ||
              pdfsig.find("The signature does not cover the entire document") != std::string::npos ||
              pdfsig.find("Total document signed") == std::string::npos)
      << pdfsig;

  // Not a PDF, and an empty body.
  EXPECT_EQ(verify("hello, I am not a letter").status, 422);
  EXPECT_EQ(verify(dataFile("sample-pdd.pdf")).status, 404);  // a PDF without signatures is not ours
  EXPECT_EQ(verify("%PDF-1.7\n").status, 422);                 // truncated

  // Validly signed by the same key, but never issued by the service: unknown.
  auto identity = signing::SigningIdentity::fromPkcs12File(dir_.file("signer.p12"), "test-passphrase");
  std::string minimal = dataFile("sample-pdd.pdf");
  signing::SignatureAppearance appearance;
  appearance.x = 300;
  appearance.y = 100;
  appearance.width = 200;
  appearance.height = 60;
  signing::SignOptions options;
  options.signingTime = clock_.now();
  std::string forged = signing::signPdf(minimal, identity, appearance, options);
  HttpResult unknown = verify(forged);
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(unknown.json()->getValue<std::string>("result"), "unknown");

  // Verification is public, size-limited, and takes only PDFs.
  EXPECT_EQ(client_->send("POST", "/api/v1/verify", pdf, {{"Content-Type", "text/plain"}}).status, 415);
}

TEST_F(LetterApiTest, AmendedAndRevokedAuthorisationsShowOnTheirOlderLetters) {
  std::string id = draft();
  std::string ref = authorise(id);
  std::string v1 = as("ada", "GET", "/api/v1/authorisations/" + ref + "/letter.pdf").body;
  ASSERT_EQ(as("ada", "POST", "/api/v1/authorisations/" + ref + "/amendments",
               R"({"changes": {"authorisation": {"authorized_quantity": 1200000}}})")
                .status,
            201);
  fire("rita", id, "accept");
  fire("amina", id, "approve");
  HttpResult v2 = as("ada", "GET", "/api/v1/authorisations/" + ref + "/letter.pdf?version=2");
  ASSERT_EQ(v2.status, 200);
  EXPECT_EQ(as("ada", "GET", "/api/v1/authorisations/" + ref + "/letter.pdf?version=1").body, v1);
  EXPECT_NE(v2.body, v1);
  std::string file = dir_.file("amendment.pdf");
  writeFile(file, v2.body);
  std::string text = run("pdftotext -layout '" + file + "' -");
  EXPECT_NE(text.find("1,200,000"), std::string::npos) << text;

  auto old = verify(v1).json();
  EXPECT_EQ(old->getValue<std::string>("result"), "valid");
  EXPECT_EQ(old->getValue<std::string>("authorisation_status"), "superseded by version 2");

  ASSERT_EQ(as("amina", "POST", "/api/v1/authorisations/" + ref + "/revocation",
               R"({"reason": "The entity lost its accreditation"})")
                .status,
            200);
  EXPECT_EQ(verify(v2.body).json()->getValue<std::string>("authorisation_status"), "revoked");
  auto letters = as("ada", "GET", "/api/v1/requests/" + id + "/letters").json()->getArray("items");
  std::vector<std::string> templates;
  for (std::size_t i = 0; i < letters->size(); ++i) {
    templates.push_back(letters->getObject(static_cast<unsigned>(i))->getValue<std::string>("template"));
  }
  EXPECT_EQ(templates, (std::vector<std::string>{"letter-of-authorisation", "amendment", "revocation"}));
}

TEST_F(LetterApiTest, TheVerifyCommandAgreesWithTheApiAndTheKeyPassphraseIsChecked) {
  std::string id = draft();
  std::string ref = authorise(id);
  std::string file = dir_.file("cli.pdf");
  writeFile(file, as("ada", "GET", "/api/v1/authorisations/" + ref + "/letter.pdf").body);
  std::string config = dir_.file("a6auth.properties");
  std::string valid = run("'" + a6authPath() + "' verify '" + file + "' --config '" + config + "'");
  EXPECT_EQ(valid.substr(0, 2), "0\n") << valid;
  EXPECT_NE(valid.find("valid: an unaltered letter on record"), std::string::npos) << valid;
  EXPECT_NE(valid.find("authorisation " + ref + ": active"), std::string::npos) << valid;
  std::string body = readFile(file);
  body[body.size() / 2] ^= 1;
  writeFile(file, body);
  EXPECT_EQ(run("'" + a6authPath() + "' verify '" + file + "' --config '" + config + "'").substr(0, 2), "1\n");

  writeFile(dir_.file("signer.pass"), "not the passphrase");
  std::string start = run("'" + a6authPath() + "' serve --config '" + config + "'");
  EXPECT_EQ(start.substr(0, 2), "2\n") << start;
  EXPECT_NE(start.find("signer.p12"), std::string::npos) << start;
}

TEST_F(LetterApiTest, NoObjectionLetterComesBeforeAnyAuthorisation) {
  std::string id = draft();
  std::string tag = as("ada", "GET", "/api/v1/requests/" + id).header("ETag");
  ASSERT_EQ(as("ada", "POST", "/api/v1/requests/" + id + "/events",
               R"({"event": "submit", "data": {"workflow": "no-objection-then-authorisation"}})", {{"If-Match", tag}})
                .status,
            200);
  fire("rita", id, "issue_no_objection", "No objection to the idea note");
  auto letters = as("ada", "GET", "/api/v1/requests/" + id + "/letters").json()->getArray("items");
  ASSERT_EQ(letters->size(), 1u);
  auto l = letters->getObject(0);
  EXPECT_EQ(l->getValue<std::string>("template"), "letter-of-no-objection");
  EXPECT_EQ(l->getValue<std::string>("reference").find("GHA-LNO-"), 0u);
  HttpResult pdf = as("ada", "GET", l->getValue<std::string>("href"));
  ASSERT_EQ(pdf.status, 200);
  auto v = verify(pdf.body).json();
  EXPECT_EQ(v->getValue<std::string>("result"), "valid");
  EXPECT_TRUE(v->isNull("authorisation_status"));
  EXPECT_EQ(as("kofi", "GET", l->getValue<std::string>("href")).status, 404);
}

}  // namespace
}  // namespace a6::test
