// Tests of the request JSON codec, RFC 7396 merge patch and canonical JSON, all fed with real
// JSON text through Poco's parser, as the HTTP layer will.
#include "a6/service/http/RequestJson.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSONString.h>

namespace a6::service {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using PathCode = std::pair<std::string, std::string>;

Object::Ptr parse(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Object::Ptr>();
}

RequestFields decode(const std::string& text, std::vector<a6::FieldError>& errors) {
  return decodeRequestFields(*parse(text), errors);
}

std::vector<PathCode> decodeErrors(const std::string& text) {
  std::vector<a6::FieldError> errors;
  decode(text, errors);
  std::vector<PathCode> out;
  for (const auto& e : errors) out.emplace_back(e.path, e.code);
  return out;
}

RequestFields fullRequest() {
  RequestFields r;
  r.applicant = {"Volta Cookstoves Ltd", "Ama Mensah", "ama@volta-cookstoves.example"};
  Activity& a = r.activity;
  a.title = "Improved cookstoves — Volta région";
  a.description = "Line one\nLine two with \"quotes\" and a tab\t.";
  a.hostCountry = "GHA";
  a.region = "Volta";
  a.sector = {"Energy", "Waste"};
  a.activityType = {"Cookstoves"};
  a.standard = "GS";
  a.methodology = "TPDDTEC v3.1";
  a.designDocumentRef = "GS11234";
  a.creditingPeriod = {"2025-01-01", "2034-12-31"};
  AuthorisationTerms& t = r.authorisation;
  t.cooperativeApproachId = "CA0042";
  t.requestedQuantity = 2'000'000;
  t.authorizedQuantity = 1'500'000;
  t.metric = "GHG";
  t.gwpValues = "AR5";
  t.nonGhgMetric = "unused here";
  t.nonGhgUnit = "MWh";
  t.purposes = "NDC and OIMP";
  t.oimpAuthorized = "CORSIA";
  t.firstTransferDefinition = "Issuance";
  t.authorizedParties = {"CHE", "JPN"};
  t.authorizedEntities = {{"Klik Foundation", "CHE", "CHE-123.456.789", "Swiss registry only.", "For fraud only."},
                          {"Nordic Carbon AS", "NOR", std::nullopt, std::nullopt, std::nullopt}};
  t.timeframe = {"2025-01-01", "2030-12-31", "2026-01-01", std::nullopt};
  t.vintages = {2025, 2030};
  t.underlyingUnitRegistry = "GS";
  t.termsAndConditions = "Corresponding adjustments apply.";
  t.additionalInformation = "None.";
  return r;
}

std::string stringify(const Object::Ptr& object) {
  std::ostringstream out;
  object->stringify(out);
  return out.str();
}

// ---- codec ----------------------------------------------------------------------------------

TEST(RequestJsonTest, RoundTripOfFullRequestKeepsEveryField) {
  const RequestFields original = fullRequest();
  std::vector<a6::FieldError> errors;
  EXPECT_EQ(decodeRequestFields(*encodeRequestFields(original), errors), original);
  EXPECT_TRUE(errors.empty());
}

TEST(RequestJsonTest, RoundTripThroughJsonTextKeepsEveryField) {
  const RequestFields original = fullRequest();
  std::vector<a6::FieldError> errors;
  EXPECT_EQ(decode(stringify(encodeRequestFields(original)), errors), original);
  EXPECT_TRUE(errors.empty());
}

TEST(RequestJsonTest, EncodeWritesEveryKeyWithNullsAndEmptyLists) {
  EXPECT_EQ(canonicalJson(encodeRequestFields(RequestFields{})),
            R"({"activity":{"activity_type":[],"crediting_period":{"from":null,"to":null},)"
            R"("description":null,"design_document_ref":null,"host_country":null,"methodology":null,)"
            R"("region":null,"sector":[],"standard":null,"title":null},)"
            R"("applicant":{"contact_email":null,"contact_name":null,"organisation":null},)"
            R"("authorisation":{"additional_information":null,"authorized_entities":[],)"
            R"("authorized_parties":[],"authorized_quantity":null,"cooperative_approach_id":null,)"
            R"("first_transfer_definition":null,"gwp_values":null,"metric":null,)"
            R"("non_ghg_metric":null,"non_ghg_unit":null,"oimp_authorized":null,"purposes":null,)"
            R"("requested_quantity":null,"terms_and_conditions":null,)"
            R"("timeframe":{"mitigation_from":null,"mitigation_to":null,"use_from":null,"use_to":null},)"
            R"("underlying_unit_registry":null,"vintages":{"from":null,"to":null}}})");
}

TEST(RequestJsonTest, EncodeWritesQuantitiesAndVintagesAsIntegers) {
  const Object::Ptr json = encodeRequestFields(fullRequest());
  const Object::Ptr terms = json->getObject("authorisation");
  EXPECT_EQ(canonicalJson(terms->get("requested_quantity")), "2000000");
  EXPECT_EQ(canonicalJson(terms->get("vintages")), R"({"from":2025,"to":2030})");
}

TEST(RequestJsonTest, DecodesTheDesignDocumentShape) {
  std::vector<a6::FieldError> errors;
  const RequestFields r = decode(R"({
    "applicant": {"organisation": "Volta Cookstoves Ltd", "contact_name": "Ama",
                  "contact_email": "ama@volta.example"},
    "activity": {"title": "Cookstoves", "host_country": "GHA", "sector": ["Energy"],
                 "activity_type": ["Cookstoves"],
                 "crediting_period": {"from": "2025-01-01", "to": "2034-12-31"}},
    "authorisation": {"cooperative_approach_id": "CA0042", "authorized_quantity": 1500000,
      "requested_quantity": 2000000, "metric": "GHG", "gwp_values": "AR5",
      "non_ghg_metric": null, "purposes": "NDC and OIMP", "oimp_authorized": "CORSIA",
      "first_transfer_definition": "Issuance", "authorized_parties": ["CHE"],
      "authorized_entities": [{"name": "Klik", "country": "CHE"}],
      "timeframe": {"mitigation_from": "2025-01-01", "mitigation_to": "2030-12-31",
                    "use_from": null, "use_to": null},
      "vintages": {"from": 2025, "to": 2030}, "underlying_unit_registry": "GS"}})",
                                 errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(r.applicant.contactEmail, "ama@volta.example");
  EXPECT_EQ(r.activity.sector, std::vector<std::string>{"Energy"});
  EXPECT_EQ(r.activity.creditingPeriod.to, "2034-12-31");
  EXPECT_EQ(r.authorisation.authorizedQuantity, 1'500'000);
  EXPECT_EQ(r.authorisation.requestedQuantity, 2'000'000);
  EXPECT_EQ(r.authorisation.nonGhgMetric, std::nullopt);
  ASSERT_EQ(r.authorisation.authorizedEntities.size(), 1u);
  EXPECT_EQ(r.authorisation.authorizedEntities[0].country, "CHE");
  EXPECT_EQ(r.authorisation.timeframe.useFrom, std::nullopt);
  EXPECT_EQ(r.authorisation.vintages.to, 2030);
}

TEST(RequestJsonTest, UnknownTopLevelFieldIsRejected) {
  EXPECT_EQ(decodeErrors(R"({"colour": "red", "applicant": {}})"),
            (std::vector<PathCode>{{"colour", "unknown_field"}}));
}

TEST(RequestJsonTest, ResourceFieldsAreUnknownToTheDecoder) {
  EXPECT_EQ(decodeErrors(R"({"id": "req_1", "state": "draft", "version": 3})"),
            (std::vector<PathCode>{{"id", "unknown_field"}, {"state", "unknown_field"}, {"version", "unknown_field"}}));
}

TEST(RequestJsonTest, UnknownNestedFieldIsRejectedWithItsPath) {
  EXPECT_EQ(decodeErrors(R"({"activity": {"title": "x", "colour": "red"}})"),
            (std::vector<PathCode>{{"activity.colour", "unknown_field"}}));
  EXPECT_EQ(decodeErrors(R"({"authorisation": {"authorized_entities": [{}, {"nmae": "x"}],
                                               "vintages": {"form": 2025}}})"),
            (std::vector<PathCode>{{"authorisation.authorized_entities[1].nmae", "unknown_field"},
                                   {"authorisation.vintages.form", "unknown_field"}}));
}

TEST(RequestJsonTest, StringForQuantityIsATypeError) {
  std::vector<a6::FieldError> errors;
  decode(R"({"authorisation": {"requested_quantity": "1000"}})", errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "authorisation.requested_quantity");
  EXPECT_EQ(errors[0].code, "type");
  EXPECT_NE(errors[0].message.find("whole number of tonnes"), std::string::npos);
  EXPECT_NE(errors[0].message.find("integer"), std::string::npos);
}

TEST(RequestJsonTest, WrongJsonTypesAreTypeErrorsNamingTheExpectedType) {
  std::vector<a6::FieldError> errors;
  decode(R"({"applicant": [], "activity": {"title": {"en": "x"}, "sector": 5,
             "activity_type": ["Cookstoves", 3], "crediting_period": "2025"},
             "authorisation": {"authorized_entities": ["Klik"], "metric": true}})",
         errors);
  const std::vector<a6::FieldError> expected = {
      {"activity.activity_type[1]", "type", "must be a string."},
      {"activity.crediting_period", "type", "must be an object."},
      {"activity.sector", "type", "must be a list (JSON array) of strings."},
      {"activity.title", "type", "must be a string."},
      {"applicant", "type", "must be an object."},
      {"authorisation.authorized_entities[0]", "type", "must be an object."},
      {"authorisation.metric", "type", "must be a string."},
  };
  EXPECT_EQ(errors, expected);
}

TEST(RequestJsonTest, FractionalOrExponentQuantityIsATypeError) {
  for (const char* number : {"1500.5", "1500.0", "1.5e6"}) {
    std::vector<a6::FieldError> errors;
    const RequestFields r =
        decode(std::string(R"({"authorisation": {"authorized_quantity": )") + number + "}}", errors);
    ASSERT_EQ(errors.size(), 1u) << number;
    EXPECT_EQ(errors[0].path, "authorisation.authorized_quantity");
    EXPECT_EQ(errors[0].code, "type");
    EXPECT_NE(errors[0].message.find("must be a whole number of tonnes"), std::string::npos);
    EXPECT_EQ(r.authorisation.authorizedQuantity, std::nullopt);
  }
}

TEST(RequestJsonTest, IntegerBeyondInt64IsATypeError) {
  EXPECT_EQ(decodeErrors(R"({"authorisation": {"requested_quantity": 9223372036854775808}})"),
            (std::vector<PathCode>{{"authorisation.requested_quantity", "type"}}));
  std::vector<a6::FieldError> errors;
  const RequestFields r = decode(R"({"authorisation": {"requested_quantity": 9223372036854775807}})", errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(r.authorisation.requestedQuantity, std::numeric_limits<std::int64_t>::max());
}

TEST(RequestJsonTest, BooleanForIntegerIsATypeError) {
  EXPECT_EQ(decodeErrors(R"({"authorisation": {"requested_quantity": true}})"),
            (std::vector<PathCode>{{"authorisation.requested_quantity", "type"}}));
}

TEST(RequestJsonTest, VintageMustBeAnIntegerThatFitsAYear) {
  EXPECT_EQ(decodeErrors(R"({"authorisation": {"vintages": {"from": 2025.5, "to": "2030"}}})"),
            (std::vector<PathCode>{{"authorisation.vintages.from", "type"}, {"authorisation.vintages.to", "type"}}));
  EXPECT_EQ(decodeErrors(R"({"authorisation": {"vintages": {"from": 5000000000}}})"),
            (std::vector<PathCode>{{"authorisation.vintages.from", "range"}}));
}

TEST(RequestJsonTest, NullMeansAbsent) {
  std::vector<a6::FieldError> errors;
  const RequestFields r = decode(R"({"applicant": null,
      "activity": {"title": null, "sector": null, "crediting_period": null},
      "authorisation": {"requested_quantity": null, "authorized_entities": null,
                        "vintages": {"from": null, "to": 2030}}})",
                                 errors);
  EXPECT_TRUE(errors.empty());
  RequestFields expected;
  expected.authorisation.vintages.to = 2030;
  EXPECT_EQ(r, expected);
}

TEST(RequestJsonTest, GoodFieldsAreKeptBesideBadOnes) {
  std::vector<a6::FieldError> errors;
  const RequestFields r =
      decode(R"({"activity": {"title": "Cookstoves", "region": 7, "sector": ["Energy", null]}})", errors);
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_EQ(r.activity.title, "Cookstoves");
  EXPECT_EQ(r.activity.sector, std::vector<std::string>{"Energy"});
}

// ---- merge patch ----------------------------------------------------------------------------

// Applies `patch` to `target` (both JSON text) and returns the result in canonical form.
std::string merged(const std::string& target, const std::string& patch) {
  return canonicalJson(applyMergePatch(*parse(target), *parse(patch)));
}

std::string canonical(const std::string& text) { return canonicalJson(parse(text)); }

TEST(RequestJsonTest, MergePatchFollowsRfc7396AppendixA) {
  // RFC 7396's examples; those whose target or patch is not an object sit one level down,
  // under "x", since a request body is always an object.
  struct Case {
    const char* target;
    const char* patch;
    const char* result;
  };
  const std::vector<Case> cases = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"({"x":["a","b"]})", R"({"x":["c","d"]})", R"({"x":["c","d"]})"},
      {R"({"x":{"a":"b"}})", R"({"x":["c"]})", R"({"x":["c"]})"},
      {R"({"x":{"a":"foo"}})", R"({"x":null})", R"({})"},
      {R"({"x":{"a":"foo"}})", R"({"x":"bar"})", R"({"x":"bar"})"},
      {R"({"e":null})", R"({"a":1})", R"({"a":1,"e":null})"},
      {R"({"x":[1,2]})", R"({"x":{"a":"b","c":null}})", R"({"x":{"a":"b"}})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(merged(c.target, c.patch), canonical(c.result)) << c.target << " + " << c.patch;
  }
}

TEST(RequestJsonTest, MergePatchLeavesItsInputsUnchanged) {
  const Object::Ptr target = parse(R"({"a":{"b":[1,2]},"c":"d"})");
  const Object::Ptr patch = parse(R"({"a":{"e":{"f":1}},"c":null})");
  const std::string targetBefore = canonicalJson(target);
  const std::string patchBefore = canonicalJson(patch);

  const Object::Ptr result = applyMergePatch(*target, *patch);
  EXPECT_EQ(canonicalJson(result), R"({"a":{"b":[1,2],"e":{"f":1}}})");
  // The result is a copy: changing it must not reach into either input.
  result->getObject("a")->getArray("b")->add(3);
  result->getObject("a")->getObject("e")->set("f", 2);
  EXPECT_EQ(canonicalJson(target), targetBefore);
  EXPECT_EQ(canonicalJson(patch), patchBefore);
}

TEST(RequestJsonTest, MergePatchOnAnEncodedRequestEditsOneFieldAndClearsAnother) {
  const RequestFields original = fullRequest();
  const Object::Ptr patched =
      applyMergePatch(*encodeRequestFields(original), *parse(R"({"activity": {"title": "New title", "region": null},
                 "authorisation": {"authorized_parties": ["JPN"]}})"));
  std::vector<a6::FieldError> errors;
  const RequestFields r = decodeRequestFields(*patched, errors);
  EXPECT_TRUE(errors.empty());
  RequestFields expected = original;
  expected.activity.title = "New title";
  expected.activity.region.reset();
  expected.authorisation.authorizedParties = {"JPN"};
  EXPECT_EQ(r, expected);
}

// ---- canonical JSON -------------------------------------------------------------------------

TEST(RequestJsonTest, CanonicalJsonSortsKeysAtEveryLevelWithoutWhitespace) {
  EXPECT_EQ(canonical(R"({ "b": 1, "a": { "d": true, "c": null }, "aa": [ 3, {"z":1,"y":2} ] })"),
            R"({"a":{"c":null,"d":true},"aa":[3,{"y":2,"z":1}],"b":1})");
}

TEST(RequestJsonTest, CanonicalJsonSortsKeysByByteOrder) {
  Object::Ptr o = new Object;
  o->set("é", 4);
  o->set("z", 3);
  o->set("a", 2);
  o->set("B", 1);
  EXPECT_EQ(canonicalJson(o), "{\"B\":1,\"a\":2,\"z\":3,\"\xC3\xA9\":4}");
}

TEST(RequestJsonTest, CanonicalJsonKeepsUtf8Raw) {
  EXPECT_EQ(canonical(R"({"name":"é"})"), "{\"name\":\"\xC3\xA9\"}");
  EXPECT_EQ(canonical(R"({"name":"\u00e9 \u20ac"})"), "{\"name\":\"\xC3\xA9 \xE2\x82\xAC\"}");
}

TEST(RequestJsonTest, CanonicalJsonEscapesOnlyWhatJsonRequires) {
  Object::Ptr o = new Object;
  o->set("s", std::string("q\"b\\s/n\nt\tr\rb\bf\fc\x01\x1f"
                          "end"));
  EXPECT_EQ(canonicalJson(o), R"({"s":"q\"b\\s/n\nt\tr\rb\bf\fc\u0001\u001fend"})");
}

TEST(RequestJsonTest, CanonicalJsonIsIdenticalWhateverTheInsertionOrder) {
  Object::Ptr first = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  first->set("title", "Cookstoves");
  first->set("quantity", 1500);
  first->set("parties", Array::Ptr(new Array));
  Object::Ptr second = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  second->set("parties", Array::Ptr(new Array));
  second->set("quantity", 1500);
  second->set("title", "Cookstoves");
  EXPECT_EQ(canonicalJson(first), canonicalJson(second));
  EXPECT_EQ(canonicalJson(first), R"({"parties":[],"quantity":1500,"title":"Cookstoves"})");
  EXPECT_EQ(canonical(R"({"b":{"y":1,"x":2},"a":0})"), canonical(R"({"a":0,"b":{"x":2,"y":1}})"));
}

TEST(RequestJsonTest, CanonicalJsonWritesIntegersAsIntegersAndDoublesShortest) {
  EXPECT_EQ(canonical(R"({"i":42,"n":-7,"big":9223372036854775807,"u":18446744073709551615})"),
            R"({"big":9223372036854775807,"i":42,"n":-7,"u":18446744073709551615})");
  EXPECT_EQ(canonical(R"({"a":0.1,"b":1.5,"c":1e21,"d":-2.5e-7,"e":100.0})"),
            R"({"a":0.1,"b":1.5,"c":1e+21,"d":-2.5e-07,"e":100})");
  EXPECT_EQ(canonicalJson(Var(-0.0)), "0");
  EXPECT_EQ(canonicalJson(Var(0.1 + 0.2)), "0.30000000000000004");
}

TEST(RequestJsonTest, CanonicalJsonIsStableThroughParsing) {
  const std::string once = canonicalJson(encodeRequestFields(fullRequest()));
  EXPECT_EQ(canonical(once), once);
}

TEST(RequestJsonTest, CanonicalJsonRefusesValuesWithoutAJsonForm) {
  EXPECT_THROW(canonicalJson(Var(std::numeric_limits<double>::quiet_NaN())), a6::Error);
  EXPECT_THROW(canonicalJson(Var(std::numeric_limits<double>::infinity())), a6::Error);
}

}  // namespace
}  // namespace a6::service
