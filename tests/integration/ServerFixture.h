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
#include "a6/service/letters/LetterService.h"
#include "a6/service/outbox/Deliveries.h"
#include "a6/service/store/SqliteStore.h"
#include "a6/service/workflow/TimerWorker.h"
#include "a6/service/workflow/WorkflowService.h"

namespace a6::test {

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = std::make_unique<service::Config>(service::loadConfig(
        writeTestConfig(dir_, "workflows.dir = " + std::string(A6_SOURCE_DIR) + "/workflows/definitions\n" +
                                  extraConfig()),
        {}));
    start();
    addUser("ada", {"applicant"}, "Volta Cookstoves Ltd");
    addUser("kofi", {"applicant"}, "Other Carbon Co");
    addUser("rita", {"reviewer", "cmo-officer", "technical-committee", "dna-officer"}, "Ministry");
    addUser("tom", {"reviewer", "technical-committee"}, "Ministry");
    addUser("tess", {"reviewer", "technical-committee"}, "Ministry");
    addUser("theo", {"reviewer", "technical-committee"}, "Ministry");
    addUser("amina", {"approver", "minister", "dna-director"}, "Ministry");
    addUser("pat", {"reviewer", "partner-liaison"}, "Partner Party");
    addUser("audrey", {"auditor"}, "Audit Office");
    addUser("admin", {"admin"}, "Ministry");
    addUser("reg", {"registry"}, "National Registry");
  }

  void TearDown() override { stop(); }

  // Opens the store, registers the shipped workflows and starts the server (as a6auth serve does).
  void start() {
    store_ = std::make_unique<service::SqliteStore>(config_->store.sqlitePath);
    store_->migrate();
    workflows_ = std::make_unique<service::WorkflowService>(
        *store_, clock_, ids_, service::WorkflowSettings{"GHA", "article6-2-standard", true});
    workflows_->registerDirectory(config_->workflows.dir, "system");
    if (!config_->letters.templatesDir.empty()) {
      letters_ = std::make_unique<service::LetterService>(*config_, *store_, clock_, ids_);
      workflows_->setLetterIssuer(letters_.get());
    }
    // The composer and transports of the configured destinations; the worker threads are not
    // started: tests run deliveries on their own thread with deliveries_->worker().runOnce().
    deliveries_ = std::make_unique<service::Deliveries>(*config_, *store_, clock_, ids_, *workflows_);
    timers_ = std::make_unique<service::TimerWorker>(*workflows_, std::chrono::milliseconds(10));
    server_ = std::make_unique<service::HttpServer>(*config_, *store_, clock_, ids_, *workflows_, letters_.get());
    server_->setWebhooks(deliveries_->composer().webhooks());
    server_->start();
    client_ = std::make_unique<HttpClient>("127.0.0.1", server_->port());
  }

  // Everything down, as at a process exit; the database file stays.
  void stop() {
    if (server_) server_->stop(std::chrono::seconds(5));
    server_.reset();
    timers_.reset();
    deliveries_.reset();
    workflows_.reset();
    letters_.reset();
    store_.reset();
  }

  // Letters are issued with a test PKI unless a test says otherwise.
  virtual std::string extraConfig() { return makeTestLetterConfig(dir_); }

  void addUser(const std::string& name, std::vector<std::string> roles, const std::string& org,
               const std::string& email = "") {
    service::User u;
    u.name = name;
    u.roles = std::move(roles);
    u.organisation = org;
    u.email = email.empty() ? name + "@example.org" : email;
    service::addUser(*store_, "GHA", u, "test", clock_, workflows_->declaredRoles());
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
  ManualClock clock_{SystemClock().now()};
  UlidGenerator ids_{clock_};
  std::unique_ptr<service::Config> config_;
  std::unique_ptr<service::SqliteStore> store_;
  std::unique_ptr<service::LetterService> letters_;
  std::unique_ptr<service::WorkflowService> workflows_;
  std::unique_ptr<service::Deliveries> deliveries_;
  std::unique_ptr<service::TimerWorker> timers_;
  std::unique_ptr<service::HttpServer> server_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace a6::test
