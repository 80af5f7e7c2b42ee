// Safe parsing of inbound XML: every hostile shape is refused quickly, in bounded memory, with a
// clear problem, and without reading any file it names (a secret in a temp file never shows up).
#include "a6/integrations/unfccc/XmlSafe.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "a6/core/Error.h"
#include "a6/integrations/unfccc/Messages.h"
#include "a6/integrations/unfccc/Schemas.h"

namespace a6::integrations::unfccc {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kQuickly = std::chrono::seconds(1);
constexpr long kBoundedMemoryKb = 64 * 1024;  // far below what any expansion would need

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

long peakRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// A temp directory with a file holding a random secret, removed afterwards.
class SecretFile {
 public:
  SecretFile() {
    std::string pattern = (fs::temp_directory_path() / "a6-xmlsafe-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    std::random_device random;
    secret_ = "A6-SECRET-" + std::to_string(random()) + std::to_string(random());
    path_ = dir_ / "secret.txt";
    std::ofstream(path_) << secret_;
    std::ofstream(dir_ / "evil.dtd") << "<!ENTITY leak \"" << secret_ << "\">";
  }
  ~SecretFile() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const std::string& secret() const { return secret_; }
  std::string url() const { return "file://" + path_.string(); }
  std::string dtdUrl() const { return "file://" + (dir_ / "evil.dtd").string(); }

 private:
  fs::path dir_;
  fs::path path_;
  std::string secret_;
};

// Parses, checks the time it took and that it was refused with `kind`; returns the problem.
XmlProblem refused(const std::string& xml, XmlProblemKind kind, const SafeParseOptions& options = {}) {
  auto start = Clock::now();
  SafeParseResult result = parseXmlSafely(xml, options);
  auto took = Clock::now() - start;
  EXPECT_FALSE(result) << "accepted: " << xml.substr(0, 200);
  EXPECT_EQ(result.document, nullptr);
  EXPECT_EQ(result.problem.kind, kind) << toString(result.problem.kind) << ": " << result.problem.message;
  EXPECT_FALSE(result.problem.message.empty());
  EXPECT_LT(took, kQuickly);
  return result.problem;
}

std::string billionLaughs() {
  std::string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n";
  xml += " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n";
  for (int i = 2; i <= 9; ++i) {
    xml += " <!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) xml += "&lol" + std::to_string(i - 1) + ";";
    xml += "\">\n";
  }
  xml += "]>\n<lolz>&lol9;</lolz>\n";
  return xml;
}

TEST(XmlSafeTest, AcceptsAPlainDocumentWithPredefinedEntitiesAndCharacterReferences) {
  SafeParseResult result = parseXmlSafely(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r xmlns=\"urn:x\"><a>&lt;&amp;&#65;&#x42;</a><![CDATA[x]]></r>");
  ASSERT_TRUE(result) << result.problem.message;
  EXPECT_EQ(result.problem.kind, XmlProblemKind::None);
  EXPECT_EQ(rootNameOf(result.document.get()), "r");
  EXPECT_EQ(rootNamespaceOf(result.document.get()), "urn:x");
}

TEST(XmlSafeTest, BillionLaughsIsRefusedAtTheDoctypeInBoundedMemory) {
  long before = peakRssKb();
  XmlProblem p = refused(billionLaughs(), XmlProblemKind::Forbidden);
  EXPECT_TRUE(contains(p.message, "DOCTYPE")) << p.message;
  EXPECT_EQ(p.line, 2);
  EXPECT_LT(peakRssKb() - before, kBoundedMemoryKb);
}

TEST(XmlSafeTest, QuadraticBlowupIsRefused) {
  std::string xml = "<!DOCTYPE r [<!ENTITY a \"" + std::string(50000, 'a') + "\">]><r>";
  for (int i = 0; i < 5000; ++i) xml += "&a;";
  xml += "</r>";
  long before = peakRssKb();
  refused(xml, XmlProblemKind::Forbidden);
  EXPECT_LT(peakRssKb() - before, kBoundedMemoryKb);
}

TEST(XmlSafeTest, ExternalEntityToALocalFileIsRefusedUnread) {
  SecretFile secret;
  std::string xml =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM \"" + secret.url() + "\">]>\n<r>&xxe;</r>";
  XmlProblem p = refused(xml, XmlProblemKind::Forbidden);
  EXPECT_FALSE(contains(p.message, secret.secret()));
  EXPECT_FALSE(contains(p.message, "secret.txt"));  // not even the path is echoed

  // The same through the message parser and the throwing form: the error text stays clean.
  for (auto parse : {+[](const std::string& x) { parseAcknowledgement(x); },
                     +[](const std::string& x) { parseXmlSafelyOrThrow(x); }}) {
    try {
      parse(xml);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Malformed);
      EXPECT_FALSE(contains(e.what(), secret.secret()));
      for (const auto& f : e.fieldErrors()) EXPECT_FALSE(contains(f.message, secret.secret()));
    }
  }
  auto problems = validate(MessageKind::Acknowledgement, xml);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_FALSE(contains(problems[0].message, secret.secret()));
}

TEST(XmlSafeTest, ExternalEntityInAnAttributeIsRefused) {
  SecretFile secret;
  std::string xml = "<!DOCTYPE r [<!ENTITY xxe SYSTEM \"" + secret.url() + "\">]><r a=\"&xxe;\"/>";
  XmlProblem p = refused(xml, XmlProblemKind::Forbidden);
  EXPECT_FALSE(contains(p.message, secret.secret()));
}

TEST(XmlSafeTest, ExternalDtdIsRefusedUnread) {
  SecretFile secret;
  XmlProblem p = refused("<!DOCTYPE r SYSTEM \"" + secret.dtdUrl() + "\"><r>&leak;</r>", XmlProblemKind::Forbidden);
  EXPECT_FALSE(contains(p.message, secret.secret()));
  p = refused("<!DOCTYPE r PUBLIC \"-//A//B//EN\" \"http://127.0.0.1:9/evil.dtd\"><r/>", XmlProblemKind::Forbidden);
  EXPECT_TRUE(contains(p.message, "DOCTYPE")) << p.message;
}

TEST(XmlSafeTest, ParameterEntitiesAndEvenAHarmlessDoctypeAreRefused) {
  SecretFile secret;
  refused("<!DOCTYPE r [<!ENTITY % p SYSTEM \"" + secret.dtdUrl() + "\"> %p;]><r>&leak;</r>",
          XmlProblemKind::Forbidden);
  refused("<!DOCTYPE r><r/>", XmlProblemKind::Forbidden);
}

TEST(XmlSafeTest, AnUndeclaredEntityReferenceIsRefusedByName) {
  XmlProblem p = refused("<r>\n<a>&nbsp;</a></r>", XmlProblemKind::Forbidden);
  EXPECT_EQ(p.message, "entity reference &nbsp; is not allowed");
  EXPECT_EQ(p.line, 2);
}

TEST(XmlSafeTest, OversizeIsRefusedBeforeParsing) {
  std::string big = "<r>" + std::string(kDefaultMaxXmlBytes, 'x') + "</r>";
  XmlProblem p = refused(big, XmlProblemKind::TooLarge);
  EXPECT_TRUE(contains(p.message, "at most 1048576")) << p.message;
  SafeParseOptions small;
  small.maxBytes = 10;
  refused("<r>12345678</r>", XmlProblemKind::TooLarge, small);
  try {
    parseXmlSafelyOrThrow(big);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::TooLarge);
  }
}

TEST(XmlSafeTest, TooDeepIsRefusedAtTheLimit) {
  SafeParseOptions options;
  options.maxDepth = 10;
  auto nested = [](int depth) {
    std::string xml;
    for (int i = 0; i < depth; ++i) xml += "<a>";
    for (int i = 0; i < depth; ++i) xml += "</a>";
    return xml;
  };
  EXPECT_TRUE(parseXmlSafely(nested(10), options));
  XmlProblem p = refused(nested(11), XmlProblemKind::TooDeep, options);
  EXPECT_TRUE(contains(p.message, "deeper than 10")) << p.message;
  // A megabyte of opening tags stops at the default limit at once.
  std::string flood;
  while (flood.size() < kDefaultMaxXmlBytes - 3) flood += "<a>";
  long before = peakRssKb();
  refused(flood, XmlProblemKind::TooDeep);
  EXPECT_LT(peakRssKb() - before, kBoundedMemoryKb);
}

TEST(XmlSafeTest, MalformedInputIsAClearProblemWithALine) {
  XmlProblem p = refused("<r>\n<a>\n</r>", XmlProblemKind::Malformed);
  EXPECT_TRUE(contains(p.message, "malformed XML")) << p.message;
  EXPECT_EQ(p.line, 3);
  refused("", XmlProblemKind::Malformed);
  refused("   \n", XmlProblemKind::Malformed);
  refused("not xml at all", XmlProblemKind::Malformed);
  refused("<r>\xff\xfe</r>", XmlProblemKind::Malformed);
  refused("<r/><second/>", XmlProblemKind::Malformed);
  try {
    parseXmlSafelyOrThrow("<r>\n<a>\n</r>");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Malformed);
    EXPECT_TRUE(contains(e.what(), "line 3: malformed XML")) << e.what();
  }
}

TEST(XmlSafeTest, WrongNamespaceIsRefusedWhenNamespacesAreRequired) {
  SafeParseOptions options;
  options.rootNamespaces = {schemaNamespace(MessageKind::Acknowledgement),
                            schemaNamespace(MessageKind::ConsistencyFinding)};
  XmlProblem p = refused("<Acknowledgement xmlns=\"urn:evil\"/>", XmlProblemKind::WrongNamespace, options);
  EXPECT_TRUE(contains(p.message, "namespace urn:evil")) << p.message;
  EXPECT_TRUE(contains(p.message, "urn:a6auth:unfccc:acknowledgement:1")) << p.message;
  p = refused("<Acknowledgement/>", XmlProblemKind::WrongNamespace, options);
  EXPECT_TRUE(contains(p.message, "no namespace")) << p.message;
  EXPECT_TRUE(parseXmlSafely("<a:Acknowledgement xmlns:a=\"urn:a6auth:unfccc:acknowledgement:1\"/>", options));
  try {
    parseXmlSafelyOrThrow("<x xmlns=\"urn:evil\"/>", options);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
  }
}

TEST(XmlSafeTest, ProblemKindsHaveStableNames) {
  EXPECT_STREQ(toString(XmlProblemKind::TooLarge), "too_large");
  EXPECT_STREQ(toString(XmlProblemKind::Forbidden), "forbidden");
  EXPECT_STREQ(toString(XmlProblemKind::TooDeep), "too_deep");
  EXPECT_STREQ(toString(XmlProblemKind::Malformed), "malformed");
  EXPECT_STREQ(toString(XmlProblemKind::WrongNamespace), "wrong_namespace");
}

}  // namespace
}  // namespace a6::integrations::unfccc
