// The annual information export: every version authorised in the year, entities and first
// transfers, valid against the annual-submission schema by xmllint; CSV with one row per version;
// the CLI gives the same XML content.
#include "ServerFixture.h"

namespace a6::test {
namespace {

class AefReportTest : public ServerFixture {
 protected:
  void fire(const std::string& user, const std::string& id, const std::string& event) {
    std::string tag = as("ada", "GET", "/api/v1/requests/" + id).header("ETag");
    HttpResult r = as(user, "POST", "/api/v1/requests/" + id + "/events", R"({"event": ")" + event + R"("})",
                      {{"If-Match", tag}});
    ASSERT_EQ(r.status, 200) << user << " " << event << ": " << r.body;
  }
  std::string run(const std::string& command) {
    std::string out = dir_.file("cmd.out");
    int rc = std::system((command + " > '" + out + "' 2>&1").c_str());
    return std::to_string(WEXITSTATUS(rc)) + "\n" + readFile(out);
  }
};

TEST_F(AefReportTest, ExportsEveryVersionOfTheYearValidAgainstTheSchema) {
  std::string id = createSample()->getValue<std::string>("id");
  ASSERT_EQ(as("ada", "PATCH", "/api/v1/requests/" + id, R"({"authorisation": {"authorized_quantity": 1500000}})",
               {{"If-Match", "\"1\""}})
                .status,
            200);
  fire("ada", id, "submit");
  fire("rita", id, "accept");
  fire("tom", id, "endorse");
  fire("tess", id, "endorse");
  fire("amina", id, "approve");
  std::string ref = as("ada", "GET", "/api/v1/requests/" + id).json()->getValue<std::string>("authorisation_ref");
  ASSERT_EQ(as("ada", "POST", "/api/v1/authorisations/" + ref + "/amendments",
               R"({"changes": {"authorisation": {"authorized_quantity": 1200000}}})")
                .status,
            201);
  fire("rita", id, "accept");
  fire("amina", id, "approve");
  std::string year = formatTimestamp(clock_.now()).substr(0, 4);
  ASSERT_EQ(as("reg", "POST", "/api/v1/authorisations/" + ref + "/first-transfers",
               R"({"quantity": 5000, "serial_first": "CA0042-GHA01-GHA-1-2025",
                   "serial_last": "CA0042-GHA01-GHA-5000-2025", "date": ")" +
                   year + R"(-03-01"})")
                .status,
            201);

  HttpResult xml = as("audrey", "GET", "/api/v1/reports/aef?year=" + year);
  ASSERT_EQ(xml.status, 200) << xml.body;
  EXPECT_NE(xml.header("Content-Type").find("application/xml"), std::string::npos);
  std::string file = dir_.file("aef.xml");
  writeFile(file, xml.body);
  std::string lint = run("xmllint --noout --schema '" + std::string(A6_SOURCE_DIR) +
                         "/integrations/unfccc/schemas/annual-submission.xsd' '" + file + "'");
  EXPECT_EQ(lint.substr(0, 2), "0\n") << lint;
  EXPECT_NE(xml.body.find(ref), std::string::npos);
  EXPECT_NE(xml.body.find("CA0042-GHA01-GHA-5000-2025"), std::string::npos);
  EXPECT_NE(xml.body.find("1200000"), std::string::npos);
  EXPECT_NE(xml.body.find("1500000"), std::string::npos);  // version 1 stays in the report

  HttpResult csv = as("amina", "GET", "/api/v1/reports/aef?year=" + year + "&format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 3);  // header and two versions
  EXPECT_NE(csv.body.find(ref + ",") , std::string::npos);

  std::string cli = run("'" + a6authPath() + "' report aef --year " + year + " --config '" +
                        dir_.file("a6auth.properties") + "'");
  EXPECT_EQ(cli.substr(0, 2), "0\n") << cli;
  EXPECT_NE(cli.find(ref), std::string::npos);

  // An empty year is a valid, empty submission; bad parameters and applicants are refused.
  HttpResult empty = as("audrey", "GET", "/api/v1/reports/aef?year=2022");
  ASSERT_EQ(empty.status, 200);
  writeFile(file, empty.body);
  EXPECT_EQ(run("xmllint --noout --schema '" + std::string(A6_SOURCE_DIR) +
                "/integrations/unfccc/schemas/annual-submission.xsd' '" + file + "'")
                .substr(0, 2),
            "0\n");
  EXPECT_EQ(as("audrey", "GET", "/api/v1/reports/aef").status, 422);
  EXPECT_EQ(as("audrey", "GET", "/api/v1/reports/aef?year=2026&format=pdf").status, 422);
  EXPECT_EQ(as("ada", "GET", "/api/v1/reports/aef?year=2026").status, 403);
}

}  // namespace
}  // namespace a6::test
