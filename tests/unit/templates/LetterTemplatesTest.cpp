// The shipped letter templates (6 letters x en, fr, es) and the checks made when they load.
// Letters are checked by their extracted text: every authorisation field that is set appears,
// country details come from the context only, values are escaped. A preview PNG of each
// template's first page is left in the build tree (letter-previews/) for a person to look at.
#include "a6/templates/LetterTemplates.h"

#include <fstream>

#include <gtest/gtest.h>

#include "PdfCheck.h"
#include "a6/core/Error.h"
#include "a6/templates/Locale.h"

namespace a6::templates {
namespace {

using a6::test::haveTool;
using a6::test::normalise;
using a6::test::pdfText;
using a6::test::run;

const std::string kLettersDir = std::string(A6_SOURCE_DIR) + "/templates/letters";
const std::vector<std::string> kNames = {
    "amendment", "letter-of-approval", "letter-of-authorisation", "letter-of-no-objection", "rejection", "revocation"};

// A context as the service builds it: display-ready strings, dates and numbers in the language.
Value fullContext(const std::string& lang) {
  const auto date = [&](const char* iso) { return Value(formatDate(iso, lang)); };
  const auto number = [&](long long n) { return Value(formatNumber(n, lang)); };
  Value::Map entity{{"name", "Klima Invest AG"},
                    {"country", "Switzerland"},
                    {"identification_number", "CHE-123.456.789"},
                    {"conditions", "Transfers only to accounts in the Swiss national registry."},
                    {"change_and_revocation_conditions", "Revocable upon breach of the bilateral agreement."}};
  Value::Map second{
      {"name", "Société Générale de Carbone SA"}, {"country", "France"}, {"identification_number", "RCS 552 120 222"}};
  Value::Map authorisation{
      {"cooperative_approach_id", "CA0042"},
      {"requested_quantity", number(1800000)},
      {"authorized_quantity", number(1500000)},
      {"metric", "GHG"},
      {"gwp_values", "IPCC AR5 (100-year)"},
      {"purposes", "NDC and OIMP"},
      {"oimp_authorized", "CORSIA"},
      {"first_transfer_definition", "Issuance"},
      {"authorized_parties", Value::List{"Switzerland", "Sweden"}},
      {"authorized_entities", Value::List{Value(entity), Value(second)}},
      {"timeframe", Value::Map{{"mitigation_from", date("2025-01-01")},
                               {"mitigation_to", date("2030-12-31")},
                               {"use_from", date("2026-01-01")},
                               {"use_to", date("2035-12-31")}}},
      {"vintages", Value::Map{{"from", "2025"}, {"to", "2030"}}},
      {"underlying_unit_registry", "Gold Standard"},
      {"terms_and_conditions", "The activity keeps its Gold Standard certification for the whole crediting period."},
      {"additional_information", "Five per cent of the proceeds go to the Adaptation Fund."}};
  Value::Map activity{
      {"title", "Volta Region Improved Cookstoves"},
      {"description", "Distribution of 120,000 efficient cookstoves to households of the Volta Region."},
      {"host_country", "Ghana"},
      {"region", "Volta"},
      {"sector", Value::List{"Energy"}},
      {"activity_type", Value::List{"Cookstoves", "Energy efficiency"}},
      {"standard", "Gold Standard"},
      {"methodology", "GS TPDDTEC v4.0"},
      {"design_document_ref", "GS11234 PDD v2.1"},
      {"crediting_period", Value::Map{{"from", date("2025-01-01")}, {"to", date("2034-12-31")}}}};
  Value::Map request{{"id", "req_01HZX3K9"},
                     {"applicant", Value::Map{{"organisation", "Volta Cookstoves Ltd"},
                                              {"contact_name", "Ama Mensah"},
                                              {"contact_email", "ama@volta.example"}}},
                     {"activity", activity},
                     {"authorisation", authorisation}};
  Value::Map record{
      {"ref", "GHA-A6-2026-0042"},
      {"version", "2"},
      {"previous_version", "1"},
      {"date", date("2026-11-25")},
      {"changes",
       Value::List{
           Value(Value::Map{{"field", "Authorised quantity"}, {"before", number(1200000)}, {"after", number(1500000)}}),
           Value(Value::Map{{"field", "Vintages"}, {"before", "2025–2028"}, {"after", "2025–2030"}})}},
      {"reason", "The 2026 monitoring report shows larger emission reductions than planned."},
      {"effective_from", date("2026-12-01")}};
  return Value(Value::Map{
      {"letter",
       Value::Map{{"reference", "MESTI/A6/2026/0042"},
                  {"date", date("2026-11-25")},
                  {"place", "Accra"},
                  {"language", lang},
                  {"verification_url", "https://a6auth.example.gov.gh/verify/GHA-A6-2026-0042"},
                  {"qr_payload", "https://a6auth.example.gov.gh/verify/GHA-A6-2026-0042?sha256=3f1a9c0e5b7d2a4f"}}},
      {"party", Value::Map{{"code", "GHA"}, {"name", "the Republic of Ghana"}}},
      {"ministry", Value::Map{{"name", "Ministry of Environment, Science and Technology"},
                              {"department", "Carbon Markets Office"},
                              {"address", Value::List{"Independence Avenue, P.O. Box M232", "Accra, Ghana"}},
                              {"city", "Accra"}}},
      {"signatory", Value::Map{{"name", "Kwame Asante"}, {"title", "Minister of Environment"}, {"role", "minister"}}},
      {"request", request},
      {"authorisation", record}});
}

// Only what every letter has: no optional field at all.
Value minimalContext() {
  return Value(Value::Map{{"letter", Value::Map{{"reference", "REF-1"}, {"date", "1 March 2026"}}},
                          {"party", Value::Map{{"name", "the Party"}}},
                          {"ministry", Value::Map{{"name", "The Ministry"}}},
                          {"signatory", Value::Map{{"name", "The Signatory"}}},
                          {"request", Value::Map{{"id", "req_1"}, {"activity", Value::Map{{"title", "An activity"}}}}},
                          {"authorisation", Value::Map{{"ref", "AUTH-1"}, {"version", "1"}}}});
}

// Every string under a value, for "everything that is set is shown".
void leaves(const Value& v, std::vector<std::string>& out) {
  if (v.isString()) out.push_back(v.asString());
  if (v.isList()) {
    for (const Value& item : v.asList()) leaves(item, out);
  }
  if (v.isMap()) {
    for (const auto& [key, item] : v.asMap()) leaves(item, out);
  }
}

const Value& at(const Value& v, const std::string& dotted) {
  const Value* node = &v;
  size_t start = 0;
  for (;;) {
    const size_t dot = dotted.find('.', start);
    node = node->find(dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (node == nullptr) throw std::runtime_error("no " + dotted);
    if (dot == std::string::npos) return *node;
    start = dot + 1;
  }
}

class LetterTemplatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!haveTool("pdftotext") || !haveTool("qpdf")) GTEST_SKIP() << "poppler-utils and qpdf are needed";
    dir_ = a6::test::outputDir("letter-previews");
    options_.letterhead.emblemPath = a6::test::writeFile(dir_ / "emblem.png", a6::test::makeEmblemPng());
  }

  // Renders, checks the structure, keeps the PDF, returns the normalised text.
  std::string renderText(const LetterTemplates& t, const std::string& name, const std::string& lang, const Value& ctx,
                         const std::string& suffix, RenderedLetter* out = nullptr) {
    const RenderedLetter letter = t.render(name, lang, ctx, options_);
    const std::string path = a6::test::writeFile(dir_ / (name + "." + lang + suffix + ".pdf"), letter.pdf);
    const auto check = run("qpdf --check '" + path + "'");
    EXPECT_EQ(check.status, 0) << path << "\n" << check.output;
    EXPECT_EQ(letter.slots.size(), 1u) << path;
    if (out != nullptr) *out = letter;
    return pdfText(path);
  }

  std::filesystem::path dir_;
  LayoutOptions options_;
};

TEST_F(LetterTemplatesTest, ShipsSixLettersInThreeLanguages) {
  const LetterTemplates t(kLettersDir);
  EXPECT_EQ(t.names(), kNames);
  for (const auto& name : kNames) {
    for (const char* lang : {"en", "fr", "es"}) EXPECT_TRUE(t.has(name, lang)) << name << "." << lang;
  }
  EXPECT_FALSE(t.has("letter-of-authorisation", "de"));
  EXPECT_FALSE(t.has("letter-of-intent", "en"));
  try {
    t.render("letter-of-intent", "en", fullContext("en"), options_);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NotFound);
  }
}

TEST_F(LetterTemplatesTest, EveryTemplateRendersWithAFullAndAMinimalContext) {
  const LetterTemplates t(kLettersDir);
  for (const auto& name : kNames) {
    for (const char* lang : {"en", "fr", "es"}) {
      SCOPED_TRACE(name + "." + lang);
      const Value full = fullContext(lang);
      const std::string text = renderText(t, name, lang, full, "");
      for (const char* expected :
           {"MESTI/A6/2026/0042", "Ministry of Environment, Science and Technology", "Carbon Markets Office",
            "Independence Avenue, P.O. Box M232", "Kwame Asante", "Minister of Environment"}) {
        EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
      }
      EXPECT_NE(a6::test::squeeze(text).find("https://a6auth.example.gov.gh/verify/GHA-A6-2026-0042"),
                std::string::npos);
      EXPECT_NE(text.find(formatDate("2026-11-25", lang)), std::string::npos);
      EXPECT_NE(text.find(pageOf(1, 1, lang).substr(0, 5)), std::string::npos) << text;  // the footer

      const std::string minimal = renderText(t, name, lang, minimalContext(), ".minimal");
      EXPECT_NE(minimal.find("REF-1"), std::string::npos) << minimal;
      EXPECT_NE(minimal.find("The Signatory"), std::string::npos) << minimal;
      EXPECT_EQ(minimal.find("Ghana"), std::string::npos) << minimal;  // nothing of a country but the context

      // The first page as an image, for a person to look at.
      if (haveTool("pdftoppm")) {
        const auto pdf = dir_ / (name + "." + lang + ".pdf");
        const auto png = dir_ / (name + "." + lang);
        ASSERT_EQ(run("pdftoppm -png -r 60 -singlefile '" + pdf.string() + "' '" + png.string() + "'").status, 0);
        EXPECT_GT(std::filesystem::file_size(png.string() + ".png"), 5000u);
      }
    }
  }
}

TEST_F(LetterTemplatesTest, LetterOfAuthorisationShowsEveryFieldThatIsSet) {
  const LetterTemplates t(kLettersDir);
  for (const char* lang : {"en", "fr", "es"}) {
    SCOPED_TRACE(lang);
    const Value ctx = fullContext(lang);
    RenderedLetter letter;
    const std::string text = renderText(t, "letter-of-authorisation", lang, ctx, ".fields", &letter);
    std::vector<std::string> values;
    leaves(at(ctx, "request.authorisation"), values);
    leaves(at(ctx, "request.activity"), values);
    for (const char* key : {"authorisation.ref", "authorisation.version", "authorisation.date", "request.id",
                            "request.applicant.organisation", "request.applicant.contact_email", "party.name"}) {
      values.push_back(at(ctx, key).asString());
    }
    for (const std::string& value : values)
      EXPECT_NE(text.find(normalise(value)), std::string::npos) << value << "\n" << text;
    EXPECT_LT(letter.pdf.size(), 60u * 1024) << letter.pages << " pages";
  }
  // The legal basis, in each language.
  EXPECT_NE(renderText(t, "letter-of-authorisation", "en", fullContext("en"), "").find("Article 6, paragraph 2"),
            std::string::npos);
  EXPECT_NE(renderText(t, "letter-of-authorisation", "fr", fullContext("fr"), "").find("décision 2/CMA.3"),
            std::string::npos);
  EXPECT_NE(renderText(t, "letter-of-authorisation", "es", fullContext("es"), "").find("ajustes correspondientes"),
            std::string::npos);
}

TEST_F(LetterTemplatesTest, UnsetFieldsLeaveNoTrace) {
  const LetterTemplates t(kLettersDir);
  const std::string text = renderText(t, "letter-of-authorisation", "en", minimalContext(), ".unset");
  for (const char* absent : {"Vintages", "Authorised quantity", "Authorised entities", "Additional information",
                             "Cooperative approach", "Global warming"}) {
    EXPECT_EQ(text.find(absent), std::string::npos) << absent;
  }
  EXPECT_NE(text.find("any Party (none is named)"), std::string::npos) << text;
}

TEST_F(LetterTemplatesTest, AmendmentRevocationAndRejectionSayWhatTheyMust) {
  const LetterTemplates t(kLettersDir);
  const std::string amendment = renderText(t, "amendment", "en", fullContext("en"), ".check");
  for (const char* expected : {"version 2", "replacing version 1", "It replaces version 1", "What changes",
                               "Authorised quantity 1,200,000 1,500,000", "Vintages 2025–2028 2025–2030",
                               "larger emission reductions", "takes effect on 1 December 2026"}) {
    EXPECT_NE(amendment.find(expected), std::string::npos) << expected << "\n" << amendment;
  }
  const std::string revocation = renderText(t, "revocation", "fr", fullContext("fr"), ".check");
  for (const char* expected : {"je révoque par la présente l’autorisation GHA-A6-2026-0042",
                               "prend effet le 1er décembre 2026", "larger emission reductions", "Klima Invest AG"}) {
    EXPECT_NE(revocation.find(expected), std::string::npos) << expected << "\n" << revocation;
  }
  const std::string rejection = renderText(t, "rejection", "es", fullContext("es"), ".check");
  for (const char* expected :
       {"solicitud req_01HZX3K9", "he decidido no conceder la solicitud", "larger emission reductions"}) {
    EXPECT_NE(rejection.find(expected), std::string::npos) << expected << "\n" << rejection;
  }
}

TEST_F(LetterTemplatesTest, ValuesAreEscapedForXml) {
  const LetterTemplates t(kLettersDir);
  Value ctx = minimalContext();
  Value::Map root = ctx.asMap();
  root["request"] = Value(Value::Map{{"id", "req_1"},
                                     {"applicant", Value::Map{{"organisation", "Smith & Sons <Carbon> \"Q\" 'Ltd'"}}},
                                     {"activity", Value::Map{{"title", "A </p><blink> title"}}}});
  const std::string text = renderText(t, "letter-of-no-objection", "en", Value(root), ".escaping");
  EXPECT_NE(text.find("Smith & Sons <Carbon> \"Q\" 'Ltd'"), std::string::npos) << text;
  EXPECT_NE(text.find("A </p><blink> title"), std::string::npos) << text;
}

TEST_F(LetterTemplatesTest, CountryDetailsComeOnlyFromTheContext) {
  const LetterTemplates t(kLettersDir);
  Value::Map root = fullContext("en").asMap();
  root["ministry"] = Value(Value::Map{{"name", "Ministerio del Ambiente del Perú"}, {"city", "Lima"}});
  root["signatory"] = Value(Value::Map{{"name", "Rosa Quispe"}, {"title", "Viceministra"}});
  const std::string text = renderText(t, "letter-of-authorisation", "en", Value(root), ".peru");
  EXPECT_NE(text.find("Ministerio del Ambiente del Perú"), std::string::npos);
  EXPECT_NE(text.find("Rosa Quispe"), std::string::npos);
  EXPECT_EQ(text.find("Carbon Markets Office"), std::string::npos);
  // No template hard-codes a ministry, country or signatory.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kLettersDir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    const std::string body((std::istreambuf_iterator<char>(in)), {});
    for (const char* country : {"Ghana", "Accra", "Niger", "Peru", "Switzerland"}) {
      EXPECT_EQ(body.find(country), std::string::npos) << entry.path() << " mentions " << country;
    }
  }
}

TEST(LetterContextNamesTest, ListsTheServiceContext) {
  const auto& names = letterContextNames();
  for (const char* name :
       {"letter.reference", "letter.qr_payload", "ministry.address", "request.activity.crediting_period.to",
        "request.authorisation.authorized_entities.change_and_revocation_conditions",
        "request.authorisation.timeframe.use_to", "authorisation.changes.after", "authorisation.effective_from"}) {
    EXPECT_TRUE(names.count(name)) << name;
  }
  EXPECT_FALSE(names.count("letter.emblem"));
  for (const auto& list : letterContextLists()) EXPECT_TRUE(names.count(list)) << list;
  const Value sample = sampleLetterContext("x");
  EXPECT_EQ(at(sample, "request.authorisation.vintages.from").asString(), "x");
  EXPECT_TRUE(at(sample, "authorisation.changes").isList());
}

// --- templates that must be refused at load -----------------------------------------------------------

class BadTemplatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        a6::test::outputDir("letter-templates-bad") / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "partials");
  }
  std::string write(const std::string& relative, const std::string& text) {
    return a6::test::writeFile(dir_ / relative, text);
  }
  SourceError loadError() {
    try {
      LetterTemplates t(dir_.string());
    } catch (const SourceError& e) {
      return e;
    }
    ADD_FAILURE() << "the templates in " << dir_ << " loaded";
    return SourceError(ErrorCode::Internal, "", 0, "");
  }
  std::filesystem::path dir_;
};

TEST_F(BadTemplatesTest, MustacheSyntaxErrorGivesFileAndLine) {
  const std::string file =
      write("letter.en.xml", "<letter>\n<p>{{letter.reference}}</p>\n<p>{{#letter.date}}open</p>\n</letter>\n");
  const SourceError e = loadError();
  EXPECT_EQ(e.code(), ErrorCode::Definition);
  EXPECT_EQ(e.file(), file);
  EXPECT_GE(e.line(), 3);
  EXPECT_FALSE(e.reason().empty());
}

TEST_F(BadTemplatesTest, UnknownNameGivesFileAndLine) {
  const std::string file =
      write("letter.en.xml", "<letter>\n<p>{{letter.reference}}</p>\n\n<p>{{letter.nonsense}}</p>\n</letter>\n");
  const SourceError e = loadError();
  EXPECT_EQ(e.file(), file);
  EXPECT_EQ(e.line(), 4);
  EXPECT_NE(e.reason().find("'letter.nonsense'"), std::string::npos) << e.reason();
}

TEST_F(BadTemplatesTest, ItemNamesAreOnlyKnownInsideTheirListSection) {
  write("ok.en.xml",
        "<letter><table widths=\"50 "
        "50\">{{#authorisation.changes}}<row><cell>{{field}}</cell><cell>{{after}}</cell></row>"
        "{{/authorisation.changes}}</table><list>{{#ministry.address}}<item>{{.}}</item>{{/ministry.address}}</list></"
        "letter>");
  EXPECT_NO_THROW(LetterTemplates(dir_.string()));
  const std::string file = write("bad.en.xml", "<letter>\n<p>{{field}}</p></letter>");
  const SourceError e = loadError();
  EXPECT_EQ(e.file(), file);
  EXPECT_EQ(e.line(), 2);
}

TEST_F(BadTemplatesTest, PartialsAreCheckedAndMustExist) {
  write("partials/frame.en.mustache", "<letter>\n{{$body}}{{/body}}\n{{ministry.nmae}}\n</letter>");
  write("letter.en.xml", "{{<frame.en}}{{$body}}<p>x</p>{{/body}}{{/frame.en}}");
  SourceError e = loadError();
  EXPECT_NE(e.file().find("frame.en.mustache"), std::string::npos) << e.file();
  EXPECT_EQ(e.line(), 3);

  std::filesystem::remove(dir_ / "partials/frame.en.mustache");
  e = loadError();
  EXPECT_NE(e.file().find("letter.en.xml"), std::string::npos);
  EXPECT_NE(e.reason().find("frame.en"), std::string::npos) << e.reason();
}

TEST_F(BadTemplatesTest, LayoutErrorsAreFoundAtLoad) {
  write("letter.en.xml", "<letter>\n{{#letter.title}}<blink/>{{/letter.title}}\n</letter>");
  const SourceError e = loadError();
  EXPECT_NE(e.file().find("letter.en.xml"), std::string::npos);
  EXPECT_NE(e.file().find("rendered"), std::string::npos) << e.file();
  EXPECT_NE(e.reason().find("<blink>"), std::string::npos) << e.reason();
}

TEST_F(BadTemplatesTest, RawValuesThatBreakTheXmlAreFoundAtLoad) {
  // {{{x}}} inserts unescaped text; the sample data carries "<" and "&" to catch it.
  write("letter.en.xml", "<letter><p>{{{letter.reference}}}</p></letter>");
  EXPECT_EQ(loadError().code(), ErrorCode::Definition);
}

TEST_F(BadTemplatesTest, FileNamesNeedALanguage) {
  write("letter.xml", "<letter/>");
  EXPECT_NE(loadError().reason().find("<name>.<lang>.xml"), std::string::npos);
  std::filesystem::remove(dir_ / "letter.xml");
  write("letter.de.xml", "<letter/>");
  EXPECT_NE(loadError().reason().find("'de'"), std::string::npos);
}

TEST(LetterTemplatesDirTest, MissingFolderIsAConfigError) {
  try {
    LetterTemplates t("/nonexistent/letters");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Config);
  }
}

}  // namespace
}  // namespace a6::templates
