// Runs every test of every Mustache spec file in shared/testdata/mustache-spec (the core modules
// and the optional inheritance module) against Template, one gtest per spec test, so that each
// failure is listed on its own as <file>_<test name>.
#include "a6/templates/Mustache.h"

#include <gtest/gtest.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace a6::templates {
namespace {

namespace fs = std::filesystem;

// Spec files that do not run, and why; every other *.json in the folder runs, optional ones too.
// Lambdas are code inside the data (the spec writes them as {"__tag__": "code", ...} objects).
// Our Value is plain data (null, bool, number, string, list, map) with no callables, on purpose:
// letters are rendered from request data, never from code, so there is nothing to call.
const std::map<std::string, std::string> kSkippedFiles = {
    {"~lambdas.json", "lambdas need callables in the data; a6 renders plain Value data, which has none"},
    {"lambdas.json", "lambdas need callables in the data; a6 renders plain Value data, which has none"},
};

// The files this folder is expected to hold; their absence means the folder was not copied whole.
const char* const kExpectedFiles[] = {"comments.json", "delimiters.json", "interpolation.json", "inverted.json",
                                      "partials.json", "sections.json",   "inheritance.json"};

struct SpecCase {
  std::string id;  // <file>_<test name>, sanitized, for the gtest name
  std::string file;
  std::string name;
  std::string desc;
  std::string templateText;
  Value data;
  std::map<std::string, std::string> partials;
  std::string expected;
  std::string skip;   // why the case does not run, when it does not
  std::string error;  // why the spec could not be read; such a case fails
};

void PrintTo(const SpecCase& c, std::ostream* os) { *os << (c.file.empty() ? c.id : c.file + ": " + c.name); }

std::optional<fs::path> specDir() {
  fs::path shared = fs::path(A6_SOURCE_DIR) / ".." / "shared";
  if (!fs::exists(shared)) {
    const char* env = std::getenv("A6_SHARED_DIR");
    if (env == nullptr) return std::nullopt;
    shared = env;
  }
  const fs::path dir = (shared / "testdata" / "mustache-spec").lexically_normal();
  if (!fs::is_directory(dir)) return std::nullopt;
  return dir;
}

bool isLambda(const Poco::Dynamic::Var& v) {
  if (v.type() != typeid(Poco::JSON::Object::Ptr)) return false;
  const auto& object = v.extract<Poco::JSON::Object::Ptr>();
  return object->has("__tag__") && object->getValue<std::string>("__tag__") == "code";
}

bool containsLambda(const Poco::Dynamic::Var& v) {
  if (isLambda(v)) return true;
  if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
    for (const auto& [key, child] : *v.extract<Poco::JSON::Object::Ptr>()) {
      if (containsLambda(child)) return true;
    }
  } else if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
    for (const auto& child : *v.extract<Poco::JSON::Array::Ptr>()) {
      if (containsLambda(child)) return true;
    }
  }
  return false;
}

Value toValue(const Poco::Dynamic::Var& v) {
  if (v.isEmpty()) return Value();
  if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
    Value::Map map;
    for (const auto& [key, child] : *v.extract<Poco::JSON::Object::Ptr>()) map.emplace(key, toValue(child));
    return Value(std::move(map));
  }
  if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
    Value::List list;
    for (const auto& child : *v.extract<Poco::JSON::Array::Ptr>()) list.push_back(toValue(child));
    return Value(std::move(list));
  }
  if (v.isBoolean()) return Value(v.convert<bool>());
  if (v.isString()) return Value(v.convert<std::string>());
  if (v.isNumeric()) return Value(v.convert<double>());
  throw std::runtime_error("unsupported JSON value: " + v.toString());
}

std::string sanitize(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out.push_back(std::isalnum(c) ? static_cast<char>(c) : '_');
  return out;
}

SpecCase failing(const std::string& id, const std::string& error) {
  SpecCase c;
  c.id = id;
  c.error = error;
  return c;
}

std::vector<SpecCase> readFile(const fs::path& path) {
  const std::string file = path.filename().string();
  std::vector<SpecCase> cases;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  try {
    const auto root = Poco::JSON::Parser().parse(text.str()).extract<Poco::JSON::Object::Ptr>();
    const auto tests = root->getArray("tests");
    if (tests.isNull()) return {failing(sanitize(path.stem().string()), file + " has no \"tests\" array")};
    for (const auto& entry : *tests) {
      const auto& test = entry.extract<Poco::JSON::Object::Ptr>();
      SpecCase c;
      c.file = file;
      c.name = test->getValue<std::string>("name");
      c.id = sanitize(path.stem().string() + "_" + c.name);
      c.desc = test->optValue<std::string>("desc", "");
      c.templateText = test->getValue<std::string>("template");
      c.expected = test->getValue<std::string>("expected");
      const Poco::Dynamic::Var data = test->get("data");
      if (auto it = kSkippedFiles.find(file); it != kSkippedFiles.end()) {
        c.skip = it->second;
      } else if (containsLambda(data)) {
        c.skip = "the data holds a lambda; a6 renders plain Value data, which has none";
      } else {
        c.data = toValue(data);
      }
      if (const auto partials = test->getObject("partials"); !partials.isNull()) {
        for (const auto& [name, partial] : *partials) c.partials[name] = partial.convert<std::string>();
      }
      cases.push_back(std::move(c));
    }
  } catch (const std::exception& e) {
    return {failing(sanitize(path.stem().string()), "cannot read " + path.string() + ": " + e.what())};
  }
  return cases;
}

std::vector<SpecCase> loadCases() {
  const auto dir = specDir();
  if (!dir) {
    return {failing("SpecFolderMissing", "no mustache-spec folder: looked in " + std::string(A6_SOURCE_DIR) +
                                             "/../shared/testdata/mustache-spec and $A6_SHARED_DIR/testdata/"
                                             "mustache-spec")};
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(*dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) return {failing("SpecFolderEmpty", "no *.json spec files in " + dir->string())};

  std::vector<SpecCase> cases;
  for (const auto& path : files) {
    for (auto& c : readFile(path)) cases.push_back(std::move(c));
  }
  // The spec repeats some names within a file ("Text inside parent"); gtest needs unique ones.
  std::map<std::string, int> seen;
  for (auto& c : cases) {
    if (const int n = ++seen[c.id]; n > 1) c.id += "_" + std::to_string(n);
  }
  return cases;
}

class MustacheSpecTest : public testing::TestWithParam<SpecCase> {};

TEST_P(MustacheSpecTest, RendersAsExpected) {
  const SpecCase& c = GetParam();
  if (!c.error.empty()) FAIL() << c.error;
  if (!c.skip.empty()) GTEST_SKIP() << c.skip;

  const PartialLoader partials = [&c](const std::string& name) -> std::optional<std::string> {
    auto it = c.partials.find(name);
    if (it == c.partials.end()) return std::nullopt;
    return it->second;
  };
  try {
    const Template t = Template::parse(c.templateText, c.file);
    // Twice, so that a second render with cached partials gives the same text.
    EXPECT_EQ(t.render(c.data, partials), c.expected) << c.desc << "\ntemplate: " << c.templateText;
    EXPECT_EQ(t.render(c.data, partials), c.expected) << "second render";
  } catch (const std::exception& e) {
    FAIL() << "threw: " << e.what() << "\n" << c.desc << "\ntemplate: " << c.templateText;
  }
}

INSTANTIATE_TEST_SUITE_P(Spec, MustacheSpecTest, testing::ValuesIn(loadCases()),
                         [](const testing::TestParamInfo<SpecCase>& info) { return info.param.id; });

TEST(MustacheSpecFolderTest, HoldsTheCoreModulesAndInheritance) {
  const auto dir = specDir();
  ASSERT_TRUE(dir.has_value()) << "mustache-spec folder not found";
  for (const char* file : kExpectedFiles) EXPECT_TRUE(fs::exists(*dir / file)) << file;
}

}  // namespace
}  // namespace a6::templates
