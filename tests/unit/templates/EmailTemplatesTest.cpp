// The email templates: the shipped folder loads and has every template the service sends, in every
// language; values are raw in text and escaped in HTML; subjects are one line; broken templates
// are refused at load with their file and line.
#include "a6/templates/EmailTemplates.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "TestSupport.h"
#include "a6/core/Error.h"
#include "a6/templates/Locale.h"

namespace a6::templates {
namespace {

namespace fs = std::filesystem;

const std::string kShipped = std::string(A6_SOURCE_DIR) + "/templates/email";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A full context as the service would build it, with values that need escaping in HTML.
Value fullContext() {
  Value::Map m;
  auto group = [](std::initializer_list<std::pair<const std::string, Value>> members) {
    return Value(Value::Map(members));
  };
  m["recipient"] = group({{"name", "Amélie Durand & <Partners>"}});
  m["ministry"] = group({{"name", "Ministère de l'Environnement"}, {"email", "article6@env.example.org"}});
  m["party"] = group({{"name", "République du Test"}});
  m["request"] = group({{"id", "req_01J9Z"},
                        {"title", "Cuiseurs solaires <Nord> & \"Sud\""},
                        {"organisation", "R&D Énergie"},
                        {"submitted", "25 novembre 2026"}});
  m["stage"] = group({{"name", "Examen technique"}, {"role", "Comité technique"}, {"due", "5 décembre 2026"}});
  m["decision"] = group({{"name", "Autorisée"},
                         {"comment", "Conditions: a < b & c > d\nSecond line"},
                         {"actor", "Mme la Ministre"},
                         {"date", "1er décembre 2026"}});
  m["authorisation"] = group({{"ref", "A6-TST-2026-0001"}, {"version", "2"}});
  m["letter"] = group({{"attached", true}});
  m["partner"] = group({{"name", "Kingdom of Example"}});
  m["objection"] = group({{"due", "31 décembre 2026"}});
  m["finding"] = group({{"code", "CF-12"},
                        {"severity", "majeure"},
                        {"text", "Quantity 1 < 2 & vintage mismatch"},
                        {"received", "2 décembre 2026"}});
  m["webhook"] = group({{"url", "https://hooks.example.org/a6?x=1&y=2"},
                        {"last_error", "HTTP 503 <Service Unavailable>"},
                        {"failures", "10"},
                        {"disabled_at", "3 décembre 2026"}});
  m["links"] = group({{"request", "https://a6.example.org/requests/req_01J9Z?tab=history&x=1"},
                      {"portal", "https://a6.example.org/"},
                      {"webhooks", "https://a6.example.org/admin/webhooks"}});
  return Value(std::move(m));
}

TEST(EmailTemplatesTest, ShippedFolderLoadsWithEveryRequiredTemplateInEveryLanguage) {
  EmailTemplates templates(kShipped);
  const std::vector<std::string> names = templates.names();
  for (const std::string& name : requiredEmailTemplates()) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    for (const std::string& lang : supportedLanguages()) EXPECT_TRUE(templates.has(name, lang)) << name << "." << lang;
  }
  EXPECT_FALSE(templates.has("decision", "de"));
  EXPECT_FALSE(templates.has("no-such-template", "en"));
}

TEST(EmailTemplatesTest, EveryEmailTemplateNamedByAShippedWorkflowExists) {
  EmailTemplates templates(kShipped);
  const std::regex email(R"re(<email\s+to="[^"]*"\s+template="([^"]+)")re");
  int found = 0;
  for (const auto& e : fs::directory_iterator(std::string(A6_SOURCE_DIR) + "/workflows/definitions")) {
    if (e.path().extension() != ".xml") continue;
    const std::string xml = slurp(e.path());
    for (auto it = std::sregex_iterator(xml.begin(), xml.end(), email); it != std::sregex_iterator(); ++it) {
      ++found;
      for (const std::string& lang : supportedLanguages()) {
        EXPECT_TRUE(templates.has((*it)[1], lang)) << e.path() << " names " << (*it)[1] << " (" << lang << ")";
      }
    }
  }
  EXPECT_GT(found, 0);
}

TEST(EmailTemplatesTest, EveryTemplateAndLanguageRendersWithAFullContext) {
  EmailTemplates templates(kShipped);
  const Value context = fullContext();
  for (const std::string& name : templates.names()) {
    for (const std::string& lang : supportedLanguages()) {
      SCOPED_TRACE(name + "." + lang);
      const RenderedEmail mail = templates.render(name, lang, context);
      EXPECT_FALSE(mail.subject.empty());
      EXPECT_EQ(mail.subject.find('\n'), std::string::npos);
      EXPECT_EQ(mail.subject.find('\r'), std::string::npos);
      EXPECT_EQ(mail.subject.find("{{"), std::string::npos);
      EXPECT_EQ(mail.text.find("{{"), std::string::npos);
      EXPECT_EQ(mail.html.find("{{"), std::string::npos);

      // Greeting with the recipient's name, the ministry, and a link.
      EXPECT_NE(mail.text.find("Amélie Durand & <Partners>"), std::string::npos);
      EXPECT_NE(mail.html.find("Amélie Durand &amp; &lt;Partners&gt;"), std::string::npos);
      EXPECT_NE(mail.text.find("Ministère de l'Environnement"), std::string::npos);
      EXPECT_NE(mail.html.find("Ministère de l&#39;Environnement"), std::string::npos);
      EXPECT_TRUE(mail.text.find("https://a6.example.org/") != std::string::npos);
      EXPECT_TRUE(mail.html.find("href=\"https://a6.example.org/") != std::string::npos);

      // Text: no HTML anywhere, values as they are.
      EXPECT_EQ(mail.text.find("&amp;"), std::string::npos);
      EXPECT_EQ(mail.text.find("&lt;"), std::string::npos);
      EXPECT_EQ(mail.text.find("&#39;"), std::string::npos);
      EXPECT_EQ(mail.text.find("<p>"), std::string::npos);
      EXPECT_EQ(mail.subject.find("&amp;"), std::string::npos);
      EXPECT_EQ(mail.subject.find("&lt;"), std::string::npos);

      // HTML: the language declared, values escaped (no raw '<' from a value).
      EXPECT_NE(mail.html.find("<html lang=\"" + lang + "\">"), std::string::npos);
      EXPECT_EQ(mail.html.find("<Partners>"), std::string::npos);
      EXPECT_EQ(mail.html.find("<Nord>"), std::string::npos);
      EXPECT_EQ(mail.html.find("<Service Unavailable>"), std::string::npos);
      EXPECT_EQ(mail.html.find("<img"), std::string::npos);
      EXPECT_EQ(mail.html.find("<link"), std::string::npos);
    }
  }
}

TEST(EmailTemplatesTest, DecisionMentionsTheAuthorisationAndTheLetterOnlyWhenThereAreAny) {
  EmailTemplates templates(kShipped);
  Value::Map withLetter = fullContext().asMap();
  RenderedEmail full = templates.render("decision", "fr", Value(withLetter));
  EXPECT_NE(full.text.find("A6-TST-2026-0001"), std::string::npos);
  EXPECT_NE(full.text.find("version 2"), std::string::npos);
  EXPECT_NE(full.text.find("lettre signée est jointe"), std::string::npos);
  EXPECT_NE(full.text.find("Conditions: a < b & c > d\nSecond line"), std::string::npos);
  EXPECT_NE(full.html.find("Conditions: a &lt; b &amp; c &gt; d"), std::string::npos);
  EXPECT_EQ(full.subject, "Décision sur votre demande req_01J9Z\u00a0: Autorisée");

  Value::Map rejected = withLetter;
  rejected.erase("authorisation");
  rejected["letter"] = Value(Value::Map{{"attached", false}});
  RenderedEmail none = templates.render("decision", "es", Value(rejected));
  EXPECT_EQ(none.text.find("A6-TST"), std::string::npos);
  EXPECT_EQ(none.text.find("carta firmada"), std::string::npos);
  EXPECT_NE(full.text.find("Bonjour Amélie"), std::string::npos);
  EXPECT_NE(none.text.find("Estimado/a Amélie"), std::string::npos);
}

TEST(EmailTemplatesTest, SubjectIsOneLineEvenWhenAValueHasLineBreaks) {
  EmailTemplates templates(kShipped);
  Value::Map m = fullContext().asMap();
  Value::Map request = m["request"].asMap();
  request["title"] = Value("First line\r\nBcc: victim@example.org\n\tthird");
  m["request"] = Value(request);
  const RenderedEmail mail = templates.render("request-received", "en", Value(m));
  EXPECT_EQ(mail.subject, "Request req_01J9Z received: First line Bcc: victim@example.org third");
}

TEST(EmailTemplatesTest, RendersWithAnEmptyContextAndRefusesUnknownTemplates) {
  EmailTemplates templates(kShipped);
  const RenderedEmail mail = templates.render("stage-assigned", "en", Value(Value::Map{}));
  EXPECT_NE(mail.text.find("Dear Sir or Madam,"), std::string::npos);
  try {
    templates.render("stage-assigned", "de", Value(Value::Map{}));
    FAIL() << "expected NotFound";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NotFound);
  }
}

TEST(EmailTemplatesTest, SampleContextHasEveryName) {
  const Value sample = sampleEmailContext("x");
  for (const std::string& name : emailContextNames()) {
    const size_t dot = name.find('.');
    const Value* group = sample.find(name.substr(0, dot));
    ASSERT_NE(group, nullptr) << name;
    const Value* value = group->find(name.substr(dot + 1));
    ASSERT_NE(value, nullptr) << name;
    EXPECT_EQ(value->isBool(), emailContextFlags().count(name) > 0) << name;
  }
}

// A folder with one valid template (all parts, all languages) to break one file at a time.
class BadEmailTemplatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.file("partials"));
    for (const std::string& lang : supportedLanguages()) {
      write("hello." + lang + ".subject", "Hello {{{recipient.name}}}\n");
      write("hello." + lang + ".txt", "Dear {{{recipient.name}}},\n\n{{{links.request}}}\n");
      write("hello." + lang + ".html", "<html lang=\"" + lang + "\"><p>Dear {{recipient.name}}</p></html>\n");
    }
  }
  void write(const std::string& name, const std::string& text) { a6::test::writeFile(dir_.file(name), text); }

  // Loads the folder and returns the SourceError it must raise.
  SourceError refused() {
    try {
      EmailTemplates templates(dir_.path());
    } catch (const SourceError& e) {
      return e;
    }
    ADD_FAILURE() << "the folder was accepted";
    return SourceError(ErrorCode::Definition, "", -1, "");
  }

  a6::test::TempDir dir_;
};

TEST_F(BadEmailTemplatesTest, TheBaseFolderLoads) {
  EmailTemplates templates(dir_.path());
  EXPECT_EQ(templates.names(), std::vector<std::string>{"hello"});
  EXPECT_EQ(templates.render("hello", "en", fullContext()).subject, "Hello Amélie Durand & <Partners>");
}

TEST_F(BadEmailTemplatesTest, SyntaxErrorIsRefusedWithFileAndLine) {
  write("hello.fr.txt", "Bonjour,\n\n{{#request.id}}\nvotre demande\n");
  const SourceError e = refused();
  EXPECT_EQ(e.code(), ErrorCode::Definition);
  EXPECT_NE(e.file().find("hello.fr.txt"), std::string::npos) << e.what();
  EXPECT_GT(e.line(), 0) << e.what();
}

TEST_F(BadEmailTemplatesTest, UnknownNameIsRefusedWithFileAndLine) {
  write("hello.es.html", "<html lang=\"es\">\n<p>Hola</p>\n<p>{{request.secret}}</p>\n</html>\n");
  const SourceError e = refused();
  EXPECT_NE(e.file().find("hello.es.html"), std::string::npos) << e.what();
  EXPECT_EQ(e.line(), 3) << e.what();
  EXPECT_NE(e.reason().find("request.secret"), std::string::npos);
}

TEST_F(BadEmailTemplatesTest, EscapingVariableInTextIsRefused) {
  write("hello.en.txt", "Dear {{{recipient.name}}},\n\nRequest {{request.id}}\n");
  const SourceError e = refused();
  EXPECT_NE(e.file().find("hello.en.txt"), std::string::npos);
  EXPECT_EQ(e.line(), 3);
  EXPECT_NE(e.reason().find("{{{request.id}}}"), std::string::npos) << e.what();
}

TEST_F(BadEmailTemplatesTest, MultiLineSubjectIsRefused) {
  write("hello.en.subject", "Hello\nBcc: someone@example.org\n");
  const SourceError e = refused();
  EXPECT_NE(e.file().find("hello.en.subject"), std::string::npos);
  EXPECT_EQ(e.line(), 2);
}

TEST_F(BadEmailTemplatesTest, MissingLanguageOrPartIsRefused) {
  fs::remove(dir_.file("hello.es.html"));
  const SourceError e = refused();
  EXPECT_NE(e.file().find("hello.es.html"), std::string::npos) << e.what();
}

TEST_F(BadEmailTemplatesTest, UnsupportedLanguageAndBadFileNamesAreRefused) {
  write("hello.de.txt", "Hallo\n");
  EXPECT_NE(refused().reason().find("'de'"), std::string::npos);
  fs::remove(dir_.file("hello.de.txt"));
  write("hello.en.htm", "x");
  EXPECT_NE(refused().file().find("hello.en.htm"), std::string::npos);
}

TEST_F(BadEmailTemplatesTest, MissingPartialAndWrongKindOfPartialAreRefused) {
  write("hello.en.txt", "Dear {{{recipient.name}}},\n{{> text-footer}}\n");
  SourceError e = refused();
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(e.reason().find("text-footer"), std::string::npos);

  write("partials/html-footer.mustache", "<p>{{ministry.name}}</p>\n");
  write("hello.en.txt", "Dear {{{recipient.name}}},\n{{> html-footer}}\n");
  e = refused();
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(e.reason().find("text-*"), std::string::npos) << e.what();
}

TEST_F(BadEmailTemplatesTest, PartialsAreCheckedToo) {
  write("partials/text-footer.mustache", "--\n{{ministry.name}}\n");
  const SourceError e = refused();
  EXPECT_NE(e.file().find("text-footer.mustache"), std::string::npos);
  EXPECT_EQ(e.line(), 2);
}

TEST_F(BadEmailTemplatesTest, HtmlWithoutItsLanguageIsRefused) {
  write("hello.fr.html", "<html lang=\"en\"><p>Bonjour {{recipient.name}}</p></html>\n");
  EXPECT_NE(refused().file().find("hello.fr.html"), std::string::npos);
}

}  // namespace
}  // namespace a6::templates
