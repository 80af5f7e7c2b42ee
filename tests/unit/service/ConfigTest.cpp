#include "a6/service/app/Config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include "a6/core/Error.h"

namespace a6::service {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/a6-config-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    write("jwt.key", "0123456789abcdef0123456789abcdef-secret\n");
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string base() { return "party = GHA\nstore.sqlite.path = db/a6.db\nauth.jwt.secret_file = jwt.key\n"; }
  std::string errorOf(const std::string& text, const std::map<std::string, std::string>& env = {}) {
    try {
      loadConfig(write("c.properties", text), env);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Config);
      return e.what();
    }
    return "";
  }
  std::string dir_;
};

TEST_F(ConfigTest, ReadsValuesResolvesRelativePathsAndKeepsDefaults) {
  Config c = loadConfig(write("c.properties", base() + "http.port = 9090\n"), {});
  EXPECT_EQ(c.party, "GHA");
  EXPECT_EQ(c.http.port, 9090);
  EXPECT_EQ(c.store.sqlitePath, dir_ + "/db/a6.db");
  EXPECT_EQ(c.auth.jwtSecret, "0123456789abcdef0123456789abcdef-secret");
  EXPECT_EQ(c.limits.jsonBodyBytes, 1u << 20);
  EXPECT_EQ(c.http.publicUrl, "http://127.0.0.1:9090");
}

TEST_F(ConfigTest, EnvironmentOverridesFileAndCarriesSecrets) {
  Config c = loadConfig(write("c.properties", base()),
                        {{"A6AUTH_HTTP_PORT", "7000"}, {"A6AUTH_JWT_SECRET", "from-the-environment-0123456789abcdef"}});
  EXPECT_EQ(c.http.port, 7000);
  EXPECT_EQ(c.auth.jwtSecret, "from-the-environment-0123456789abcdef");
}

TEST_F(ConfigTest, BadValuesNameTheFileTheKeyAndTheReason) {
  std::string file = dir_ + "/c.properties";
  EXPECT_EQ(errorOf(base() + "http.prot = 1\n"), file + ": http.prot: unknown setting");
  EXPECT_EQ(errorOf(base() + "http.port = 70000\n"), file + ": http.port: 70000 is outside 0..65535");
  EXPECT_EQ(errorOf(base() + "http.port = 80x\n"), file + ": http.port: '80x' is not a whole number");
  EXPECT_EQ(errorOf("store.sqlite.path = a\nauth.jwt.secret_file = jwt.key\n"), file + ": party: is required");
  EXPECT_EQ(errorOf(base() + "party = GHANA\n"), file + ": party: 'GHANA' is not an ISO 3166 alpha-3 code");
  EXPECT_EQ(errorOf(base() + "log.level = loud\n"), file + ": log.level: 'loud' is not a log level");
  EXPECT_NE(errorOf("party = GHA\nstore.sqlite.path = a\nauth.jwt.secret_file = missing.key\n")
                .find("cannot read secret file"),
            std::string::npos);
  write("short.key", "short");
  EXPECT_NE(errorOf("party = GHA\nstore.sqlite.path = a\nauth.jwt.secret_file = short.key\n").find("at least 32"),
            std::string::npos);
}

TEST_F(ConfigTest, MissingFileIsAClearError) {
  try {
    loadConfig(dir_ + "/nope.properties", {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read the configuration file"), std::string::npos);
  }
}

}  // namespace
}  // namespace a6::service
