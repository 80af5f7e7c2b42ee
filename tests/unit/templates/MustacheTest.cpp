// What the spec files do not cover: syntax errors with their file and line, names(), a letter
// built from a parent frame with blocks and a partial, Unicode, number forms, truthiness choices,
// partial caching across renders and the recursion guard.
#include "a6/templates/Mustache.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "a6/core/Error.h"

namespace a6::templates {
namespace {

PartialLoader loaderOf(std::map<std::string, std::string> partials) {
  return [partials = std::move(partials)](const std::string& name) -> std::optional<std::string> {
    auto it = partials.find(name);
    if (it == partials.end()) return std::nullopt;
    return it->second;
  };
}

// Parses `text` as "letter.mustache" and checks the SourceError it must raise.
void expectSyntaxError(const std::string& text, int line, const std::string& reasonPart) {
  SCOPED_TRACE(text);
  try {
    Template::parse(text, "letter.mustache");
    ADD_FAILURE() << "parsed without error";
  } catch (const SourceError& e) {
    EXPECT_EQ(e.code(), ErrorCode::Definition);
    EXPECT_EQ(e.file(), "letter.mustache");
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_NE(e.reason().find(reasonPart), std::string::npos) << e.reason();
    EXPECT_NE(std::string(e.what()).find("letter.mustache:" + std::to_string(line) + ": "), std::string::npos)
        << e.what();
  }
}

TEST(MustacheTest, UnclosedSectionIsReportedAtItsOpeningLine) {
  expectSyntaxError("Dear {{name}},\n{{#items}}\n- {{.}}\n", 2, "unclosed section '#items'");
  expectSyntaxError("{{#a}}\n{{^b}}\n{{/b}}\n", 1, "unclosed section '#a'");
  expectSyntaxError("x\n{{<frame}}\n{{$body}}text{{/body}}\n", 2, "unclosed section '<frame'");
  expectSyntaxError("{{$body}}\ntext\n", 1, "unclosed section '$body'");
}

TEST(MustacheTest, MismatchedCloseIsReportedAtTheClosingTag) {
  expectSyntaxError("{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}\n", 3, "'/a' does not match '#b' opened on line 2");
  expectSyntaxError("text\n\n{{/a}}", 3, "closing tag '/a' without an open section");
}

TEST(MustacheTest, UnclosedTagIsReportedAtItsLine) {
  expectSyntaxError("line one\nHello {{name\nand more", 2, "unclosed tag");
  expectSyntaxError("{{{raw}}", 1, "unclosed tag");
  expectSyntaxError("a\nb\n{{! a comment that never ends", 3, "unclosed tag");
}

TEST(MustacheTest, BadSetDelimiterIsReported) {
  expectSyntaxError("a\n\n{{=<% =}}", 3, "bad set-delimiter");
  expectSyntaxError("{{=<% %> [ =}}", 1, "bad set-delimiter");
  expectSyntaxError("{{=<= =>=}}", 1, "bad set-delimiter");
  expectSyntaxError("{{==}}", 1, "bad set-delimiter");
}

TEST(MustacheTest, LinesStayRightAfterMultiLineCommentsAndDelimiterChanges) {
  expectSyntaxError("{{!\n  two\n  lines\n}}\n{{#open}}\n", 5, "unclosed section");
  expectSyntaxError("{{=<% %>=}}\n<%#a%>\n{{/a}}\n", 2, "unclosed section '#a'");
}

TEST(MustacheTest, BadNamesAreRefused) {
  expectSyntaxError("{{}}", 1, "empty tag name");
  expectSyntaxError("\n{{first name}}", 2, "contains blanks");
  expectSyntaxError("{{a..b}}", 1, "bad dotted name");
}

TEST(MustacheTest, ErrorsInPartialsNameThePartial) {
  const Template t = Template::parse("Hello\n{{>footer}}", "letter.mustache");
  try {
    t.render(Value::Map{}, loaderOf({{"footer", "ok\n{{#x}}\n"}}));
    ADD_FAILURE() << "rendered without error";
  } catch (const SourceError& e) {
    EXPECT_EQ(e.file(), "footer");
    EXPECT_EQ(e.line(), 2);
  }
}

TEST(MustacheTest, NamesListsVariablesAndSectionsOnceInOrder) {
  const Template t = Template::parse(
      "{{title}} {{#applicant}}{{applicant.organisation}}{{/applicant}}\n"
      "{{^rejected}}ok{{/rejected}} {{{raw}}} {{& amp }} {{>footer}} {{! not a name }}\n"
      "{{#vintages}}{{.}}{{/vintages}} {{title}}\n"
      "{{<frame}}{{$body}}{{activity.host_country}}{{/body}}{{/frame}}\n"
      "{{$closing}}{{signatory.name}}{{/closing}}");
  EXPECT_EQ(t.names(), (std::vector<std::string>{"title", "applicant", "applicant.organisation", "rejected", "raw",
                                                 "amp", "vintages", "activity.host_country", "signatory.name"}));
}

// Built apart: GCC 12 warns (falsely) about maybe-uninitialized variants for maps nested in lists.
Value vintage(int year, double quantity) { return Value::Map{{"year", year}, {"quantity", quantity}}; }

Value node(const std::string& name, Value::List kids) { return Value::Map{{"name", name}, {"kids", std::move(kids)}}; }

// A letter as the letters module writes them: a frame (parent) with blocks and a signature
// partial, and a letter that fills some of the blocks; indentation in the source is the author's.
TEST(MustacheTest, RendersALetterFromAParentFrameWithBlocks) {
  const std::string frame =
      "{{$letterhead}}Ministry of Environment{{/letterhead}}\n"
      "Ref: {{reference}}\n"
      "\n"
      "{{$salutation}}Dear Sir or Madam,{{/salutation}}\n"
      "\n"
      "{{$body}}\n"
      "(no content)\n"
      "{{/body}}\n"
      "\n"
      "{{$closing}}Yours faithfully,{{/closing}}\n"
      "{{>signature}}\n";
  const std::string signature = "{{#signatory}}\n  {{name}}\n  {{title}}\n{{/signatory}}\n";
  const std::string letter =
      "{{<frame}}\n"
      "  {{$salutation}}Dear {{applicant.contact_name}},{{/salutation}}\n"
      "  {{$body}}\n"
      "    We authorise the activity \"{{activity.title}}\" in {{activity.host_country}}\n"
      "    for the transfer of:\n"
      "    {{#vintages}}\n"
      "      - {{year}}: {{quantity}} t CO2e\n"
      "    {{/vintages}}\n"
      "    {{^vintages}}\n"
      "      no quantities.\n"
      "    {{/vintages}}\n"
      "  {{/body}}\n"
      "{{/frame}}\n";
  const Value data = Value::Map{
      {"reference", "A6-2025-001"},
      {"applicant", Value::Map{{"contact_name", "Ms Côté"}}},
      {"activity", Value::Map{{"title", "Clean cookstoves & biogas"}, {"host_country", "Ghana"}}},
      {"vintages", Value::List{vintage(2025, 1000), vintage(2026, 1250.5)}},
      {"signatory", Value::Map{{"name", "A. Mensah"}, {"title", "Director"}}},
  };
  const PartialLoader partials = loaderOf({{"frame", frame}, {"signature", signature}});

  const Template t = Template::parse(letter, "authorisation.mustache");
  EXPECT_EQ(t.render(data, partials),
            "Ministry of Environment\n"
            "Ref: A6-2025-001\n"
            "\n"
            "Dear Ms Côté,\n"
            "\n"
            "We authorise the activity \"Clean cookstoves &amp; biogas\" in Ghana\n"
            "for the transfer of:\n"
            "  - 2025: 1000 t CO2e\n"
            "  - 2026: 1250.5 t CO2e\n"
            "\n"
            "Yours faithfully,\n"
            "  A. Mensah\n"
            "  Director\n");

  // The frame alone renders its defaults, like a partial.
  EXPECT_EQ(Template::parse("{{>frame}}").render(Value::Map{{"reference", "X"}}, partials),
            "Ministry of Environment\nRef: X\n\nDear Sir or Madam,\n\n(no content)\n\nYours faithfully,\n");
}

// Block reindentation beyond the spec's cases, from the discussion that led to it (mustache/spec
// #130, #131): an argument's own indentation is dropped, the parent's block position decides.
TEST(MustacheTest, ArgumentsTakeTheIndentationOfTheBlockTheyReplace) {
  const PartialLoader parent = loaderOf({{"parent", "I say,\n  {{$block}}\n  Hi there!\n  {{/block}}"}});
  EXPECT_EQ(renderMustache("{{<parent}}\n        {{$block}}\n        Hello\n        {{/block}}\n{{/parent}}",
                           Value::Map{}, parent),
            "I say,\n  Hello\n");
  // Inline parent tag: the argument lands where the tag is, without its source indentation.
  EXPECT_EQ(renderMustache("* a\n* {{<p}}{{$block}}\n          {{! a comment line }}\n          c{{/block}}{{/p}}\n* d",
                           Value::Map{}, loaderOf({{"p", "{{$block}}x{{/block}}"}})),
            "* a\n* c\n* d");
  // Not overridden, a block on one line renders as plain text would.
  EXPECT_EQ(renderMustache("Hi\n  {{$b}}x{{/b}}\n", Value::Map{}), "Hi\n  x\n");
}

TEST(MustacheTest, UnicodePassesThroughUntouched) {
  const Value data = Value::Map{{"name", "Ørsted & Søn «Lomé» 日本語 🙂"}};
  EXPECT_EQ(renderMustache("Côte d’Ivoire — {{name}} — ∑ 🙂\n", data),
            "Côte d’Ivoire — Ørsted &amp; Søn «Lomé» 日本語 🙂 — ∑ 🙂\n");
  EXPECT_EQ(renderMustache("{{{name}}}", data), "Ørsted & Søn «Lomé» 日本語 🙂");
  // Multi-byte delimiters work too: everything is bytes to the parser.
  EXPECT_EQ(renderMustache("{{=« »=}}«name» «{name}»", data),
            "Ørsted &amp; Søn «Lomé» 日本語 🙂 Ørsted & Søn «Lomé» 日本語 🙂");
}

TEST(MustacheTest, NumbersRenderWithoutNeedlessDigits) {
  const Value data = Value::Map{{"n", 85},
                                {"d", 1.21},
                                {"neg", -3},
                                {"big", 100000},
                                {"half", 0.5},
                                {"long", 12345678901234LL},
                                {"third", 1.0 / 3.0},
                                {"small", 0.000125},
                                {"zero", -0.0}};
  EXPECT_EQ(renderMustache("{{n}} {{d}} {{neg}} {{big}} {{half}} {{long}} {{third}} {{small}} {{zero}}", data),
            "85 1.21 -3 100000 0.5 12345678901234 0.3333333333333333 0.000125 0");
}

TEST(MustacheTest, TruthinessFollowsTheSpecsJavaScriptReading) {
  const Value data =
      Value::Map{{"empty", ""}, {"zero", 0}, {"map", Value::Map{}}, {"list", Value::List{}}, {"text", "x"}, {"one", 1}};
  EXPECT_EQ(renderMustache("{{#empty}}E{{/empty}}{{#zero}}Z{{/zero}}{{#list}}L{{/list}}", data), "");
  EXPECT_EQ(renderMustache("{{#map}}M{{/map}}{{#text}}T{{/text}}{{#one}}O{{/one}}", data), "MTO");
  EXPECT_EQ(renderMustache("{{^empty}}e{{/empty}}{{^zero}}z{{/zero}}{{^map}}m{{/map}}", data), "ez");
}

TEST(MustacheTest, ListsAndMapsInterpolateAsNothing) {
  const Value data = Value::Map{{"list", Value::List{1, 2}}, {"map", Value::Map{{"a", 1}}}, {"yes", true}};
  EXPECT_EQ(renderMustache("[{{list}}][{{map}}][{{yes}}]", data), "[][][true]");
}

TEST(MustacheTest, UnknownPartialsAndParentsRenderAsNothing) {
  EXPECT_EQ(renderMustache("a{{>missing}}b{{<gone}}{{$x}}y{{/x}}{{/gone}}c", Value::Map{}), "abc");
  EXPECT_EQ(renderMustache("a{{>p}}b", Value::Map{}, loaderOf({})), "ab");
}

TEST(MustacheTest, ParsesOnceAndRendersMany) {
  int loads = 0;
  std::string footer = "-- {{sender}}\n";
  const PartialLoader partials = [&](const std::string& name) -> std::optional<std::string> {
    ++loads;
    if (name != "footer") return std::nullopt;
    return footer;
  };
  const Template t = Template::parse("Dear {{name}}\n{{>footer}}\n{{>footer}}", "bulk");
  EXPECT_EQ(t.render(Value::Map{{"name", "A"}, {"sender", "S"}}, partials), "Dear A\n-- S\n-- S\n");
  EXPECT_EQ(t.render(Value::Map{{"name", "B"}, {"sender", "S"}}, partials), "Dear B\n-- S\n-- S\n");
  EXPECT_EQ(loads, 2);  // once per render, however often the partial appears

  footer = "-- {{sender}} (changed)\n";  // a new text is parsed anew, not served from the cache
  EXPECT_EQ(t.render(Value::Map{{"name", "C"}, {"sender", "S"}}, partials), "Dear C\n-- S (changed)\n-- S (changed)\n");
}

TEST(MustacheTest, RendersFromSeveralThreadsAtOnce) {
  const Template t = Template::parse("{{<frame}}{{$body}}#{{n}}{{/body}}{{/frame}}");
  const PartialLoader partials = loaderOf({{"frame", "[{{$body}}{{/body}}]"}});
  std::vector<std::string> results(8);
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 200; ++k) results[static_cast<std::size_t>(i)] = t.render(Value::Map{{"n", i}}, partials);
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(results[static_cast<std::size_t>(i)], "[#" + std::to_string(i) + "]");
}

TEST(MustacheTest, EndlessRecursionStopsWithAnError) {
  EXPECT_THROW(renderMustache("{{>self}}", Value::Map{}, loaderOf({{"self", "x{{>self}}"}})), Error);
  // Recursion bounded by the data is fine.
  const Value tree = node("a", {node("b", {})});
  EXPECT_EQ(renderMustache("{{>node}}", tree, loaderOf({{"node", "{{name}}({{#kids}}{{>node}}{{/kids}})"}})), "a(b())");
}

TEST(MustacheTest, IndentedPartialsIndentTemplateLinesButNotValues) {
  const Value data = Value::Map{{"address", "1 Main St\nAccra"}};
  EXPECT_EQ(renderMustache("To:\n    {{>addr}}\nEnd\n", data, loaderOf({{"addr", "{{address}}\nGhana\n"}})),
            "To:\n    1 Main St\nAccra\n    Ghana\nEnd\n");
}

}  // namespace
}  // namespace a6::templates
