// A real a6auth HTTP server on a real loopback port, with SQLite on disk in a fresh folder and
// the users every test needs. Tests talk to it over HTTP only.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "TestSupport.h"
#include "a6/core/Clock.h"
#include "a6/core/IdGenerator.h"
#include "a6/service/app/Config.h"
#include "a6/service/app/Users.h"
#include "a6/service/http/Server.h"
#include "a6/service/store/SqliteStore.h"

namespace a6::test {

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = std::make_unique<service::Config>(service::loadConfig(writeTestConfig(dir_, extraConfig()), {}));
    store_ = std::make_unique<service::SqliteStore>(config_->store.sqlitePath);
    store_->migrate();
    addUser("ada", {"applicant"}, "Volta Cookstoves Ltd");
    addUser("kofi", {"applicant"}, "Other Carbon Co");
    addUser("rita", {"reviewer"}, "Ministry");
    addUser("amina", {"approver"}, "Ministry");
    addUser("audrey", {"auditor"}, "Audit Office");
    addUser("admin", {"admin"}, "Ministry");
    addUser("reg", {"registry"}, "National Registry");
    server_ = std::make_unique<service::HttpServer>(*config_, *store_, clock_, ids_);
    server_->start();
    client_ = std::make_unique<HttpClient>("127.0.0.1", server_->port());
  }

  void TearDown() override {
    if (server_) server_->stop(std::chrono::seconds(5));
  }

  virtual std::string extraConfig() { return ""; }

  void addUser(const std::string& name, std::vector<std::string> roles, const std::string& org) {
    service::User u;
    u.name = name;
    u.roles = std::move(roles);
    u.organisation = org;
    service::addUser(*store_, "GHA", u, "test", clock_);
  }

  std::string token(const std::string& user) { return server_->tokens().issue(user); }

  HttpResult as(const std::string& user, const std::string& method, const std::string& path,
                const std::string& body = "", std::map<std::string, std::string> headers = {}) {
    return client_->as(token(user), method, path, body, std::move(headers));
  }

  // Creates the sample request as ada; returns its JSON.
  Poco::JSON::Object::Ptr createSample() {
    HttpResult r = as("ada", "POST", "/api/v1/requests", dataFile("request-valid.json"));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }

  std::int64_t eventCount() {
    std::int64_t n = 0;
    store_->forEachEvent([&](const service::StoredEvent&) { ++n; });
    return n;
  }

  TempDir dir_;
  SystemClock clock_;
  UlidGenerator ids_{clock_};
  std::unique_ptr<service::Config> config_;
  std::unique_ptr<service::SqliteStore> store_;
  std::unique_ptr<service::HttpServer> server_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace a6::test
