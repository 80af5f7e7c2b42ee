// a6auth as operators run it: the real executable, its configuration checks, its commands,
// graceful shutdown on SIGTERM, and a kill -9 in the middle of a stream of writes.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "TestSupport.h"

namespace a6::test {
namespace {

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = writeTestConfig(dir_);
    for (auto [name, role, org] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"ada", "applicant", "Volta Cookstoves Ltd"}, {"audrey", "auditor", "Audit Office"}}) {
      RunResult r = runA6auth({"user", "add", name, "--role", role, "--org", org, "--config", config_});
      ASSERT_EQ(r.exitCode, 0) << r.err;
    }
  }
  std::string token(const std::string& user) {
    RunResult r = runA6auth({"token", "issue", user, "--config", config_});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return Poco::trim(r.out);
  }

  TempDir dir_;
  std::string config_;
};

TEST_F(ProcessTest, CommandsRefuseBadArgumentsAndConfigurationClearly) {
  RunResult role = runA6auth({"user", "add", "x", "--role", "king", "--org", "O", "--config", config_});
  EXPECT_EQ(role.exitCode, 2);
  EXPECT_NE(role.err.find("unknown role 'king'"), std::string::npos) << role.err;

  RunResult dup = runA6auth({"user", "add", "ada", "--role", "applicant", "--org", "O", "--config", config_});
  EXPECT_EQ(dup.exitCode, 1);
  EXPECT_NE(dup.err.find("exists already"), std::string::npos) << dup.err;

  std::string bad = dir_.file("bad.properties");
  writeFile(bad, readFile(config_) + "http.prot = 8080\n");
  RunResult typo = runA6auth({"serve", "--config", bad});
  EXPECT_EQ(typo.exitCode, 2);
  EXPECT_NE(typo.err.find(bad + ": http.prot: unknown setting"), std::string::npos) << typo.err;

  std::string badPort = dir_.file("port.properties");
  writeFile(badPort, readFile(config_) + "http.port = eighty\n");
  RunResult port = runA6auth({"serve", "--config", badPort});
  EXPECT_EQ(port.exitCode, 2);
  EXPECT_NE(port.err.find("http.port: 'eighty' is not a whole number"), std::string::npos) << port.err;

  RunResult none = runA6auth({"audit", "verify"});
  EXPECT_EQ(none.exitCode, 2);
  EXPECT_NE(none.err.find("--config"), std::string::npos);

  RunResult unknown = runA6auth({"frobnicate"});
  EXPECT_EQ(unknown.exitCode, 2);
}

TEST_F(ProcessTest, TokenFromTheCliWorksAgainstTheServerAndSigtermStopsCleanly) {
  ServerProcess server(dir_, config_);
  HttpResult me = server.client().as(token("ada"), "GET", "/api/v1/me");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_NE(me.body.find("\"Volta Cookstoves Ltd\""), std::string::npos);
  server.process().signal(SIGTERM);
  EXPECT_EQ(server.process().wait(), 0) << server.log();
  EXPECT_NE(server.log().find("\"msg\":\"stopped\""), std::string::npos) << server.log();
}

TEST_F(ProcessTest, SigtermLetsARequestInFlightFinish) {
  ServerProcess server(dir_, config_);
  std::string t = token("ada");
  std::string id = server.client()
                       .as(t, "POST", "/api/v1/requests", R"({"activity": {"title": "t"}})")
                       .json()
                       ->getValue<std::string>("id");
  // Send the headers and half of an upload, stop the server, then send the rest.
  std::string pdf = "%PDF-1.4\n" + std::string(100000, 'p');
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(server.port()));
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req("POST", "/api/v1/requests/" + id + "/attachments?name=late.pdf",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Authorization", "Bearer " + t);
  req.setContentType("application/pdf");
  req.setContentLength64(static_cast<Poco::Int64>(pdf.size()));
  std::ostream& out = session.sendRequest(req);
  out.write(pdf.data(), 50000);
  out.flush();
  // Wait until the server counts the request as in flight, so the signal surely comes mid-request.
  HttpClient probe = server.client();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (probe.send("GET", "/metrics").body.find("a6auth_http_requests_in_flight 2") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the upload never reached the server";
  }
  server.process().signal(SIGTERM);
  out.write(pdf.data() + 50000, static_cast<std::streamsize>(pdf.size() - 50000));
  out.flush();
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  std::string body;
  Poco::StreamCopier::copyToString(in, body);
  EXPECT_EQ(resp.getStatus(), 201) << body;
  EXPECT_EQ(server.process().wait(), 0) << server.log();
  // The acknowledged upload is on record after the stop.
  ServerProcess again(dir_, config_);
  HttpResult r = again.client().as(t, "GET", "/api/v1/requests/" + id);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("late.pdf"), std::string::npos);
}

TEST_F(ProcessTest, KillNineDuringWritesLosesNoAcknowledgedWriteAndTheChainVerifies) {
  auto server = std::make_unique<ServerProcess>(dir_, config_);
  std::string t = token("ada");
  std::mutex mutex;
  std::vector<std::pair<std::string, int>> acknowledged;  // (id, version)
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  int port = server->port();
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      HttpClient c("127.0.0.1", port);
      for (int i = 0; !stop && i < 10000; ++i) {
        try {
          HttpResult r =
              c.as(t, "POST", "/api/v1/requests",
                   R"({"activity": {"title": "writer )" + std::to_string(w) + " #" + std::to_string(i) + R"("}})");
          if (r.status != 201) continue;
          std::string id = r.json()->getValue<std::string>("id");
          HttpResult p = c.as(t, "PATCH", "/api/v1/requests/" + id, R"({"activity": {"region": "North"}})",
                              {{"If-Match", "\"1\""}});
          std::lock_guard lock(mutex);
          acknowledged.emplace_back(id, p.status == 200 ? 2 : 1);
        } catch (const std::exception&) {
          return;  // the server is gone
        }
      }
    });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex);
      if (acknowledged.size() >= 60) break;
    }
    std::this_thread::yield();
  }
  server->process().signal(SIGKILL);
  EXPECT_EQ(server->process().wait(), 128 + SIGKILL);
  stop = true;
  for (auto& th : writers) th.join();
  ASSERT_GE(acknowledged.size(), 60u);

  ServerProcess restarted(dir_, config_);
  HttpClient c = restarted.client();
  for (const auto& [id, version] : acknowledged) {
    HttpResult r = c.as(t, "GET", "/api/v1/requests/" + id);
    ASSERT_EQ(r.status, 200) << id;
    EXPECT_GE(r.json()->getValue<int>("version"), version) << id;
  }
  RunResult audit = runA6auth({"audit", "verify", "--config", config_});
  EXPECT_EQ(audit.exitCode, 0) << audit.out << audit.err;
  EXPECT_NE(audit.out.find("audit: OK"), std::string::npos);
}

TEST_F(ProcessTest, AuditVerifyNamesTheFirstBrokenLinkOfAHandEditedEvent) {
  std::string id;
  {
    ServerProcess server(dir_, config_);
    std::string t = token("ada");
    id = server.client()
             .as(t, "POST", "/api/v1/requests", R"({"activity": {"title": "Original"}})")
             .json()
             ->getValue<std::string>("id");
    for (int v = 1; v <= 3; ++v) {
      ASSERT_EQ(
          server.client()
              .as(t, "PATCH", "/api/v1/requests/" + id, R"({"activity": {"region": "R)" + std::to_string(v) + R"("}})",
                  {{"If-Match", "\"" + std::to_string(v) + "\""}})
              .status,
          200);
    }
    server.process().signal(SIGTERM);
    ASSERT_EQ(server.process().wait(), 0);
  }
  RunResult clean = runA6auth({"audit", "verify", "--config", config_});
  ASSERT_EQ(clean.exitCode, 0) << clean.out << clean.err;

  // Someone with access to the database file rewrites history.
  Poco::Data::SQLite::Connector::registerConnector();
  {
    Poco::Data::Session db("SQLite", dir_.file("a6auth.db"));
    std::string stream = id;
    db << "UPDATE events SET payload = replace(payload, 'R2', 'R9') WHERE stream_id = ? AND seq = 3",
        Poco::Data::Keywords::use(stream), Poco::Data::Keywords::now;
  }
  RunResult broken = runA6auth({"audit", "verify", "--config", config_});
  EXPECT_EQ(broken.exitCode, 1) << broken.out;
  EXPECT_NE(broken.out.find("stream " + id + " event 3"), std::string::npos) << broken.out;
  EXPECT_NE(broken.out.find("was changed"), std::string::npos) << broken.out;
}

TEST_F(ProcessTest, WorkflowMigrateCommandMovesARunningRequestAndReports) {
  TempDir defs;
  std::string v1 = readFile(std::string(A6_SOURCE_DIR) + "/workflows/definitions/article6-2-standard.xml");
  writeFile(defs.file("v1.xml"), v1);
  std::string config = dir_.file("wf.properties");
  writeFile(config, readFile(config_) + "workflows.dir = " + defs.path() + "\n");
  std::string id;
  {
    ServerProcess server(dir_, config);
    HttpClient c = server.client();
    std::string t = token("ada");
    id = c.as(t, "POST", "/api/v1/requests", dataFile("request-valid.json")).json()->getValue<std::string>("id");
    HttpResult submit = c.as(t, "POST", "/api/v1/requests/" + id + "/events", R"({"event": "submit"})",
                             {{"If-Match", "\"1\""}});
    ASSERT_EQ(submit.status, 200) << submit.body;
    server.process().signal(SIGTERM);
    ASSERT_EQ(server.process().wait(), 0);
  }
  std::string v2 = v1;
  v2.replace(v2.find("version=\"1\""), 11, "version=\"2\"");
  writeFile(defs.file("v2.xml"), v2);
  RunResult dry = runA6auth({"workflow", "migrate", "article6-2-standard", "--to", "2", "--dry-run", "--config", config});
  ASSERT_EQ(dry.exitCode, 0) << dry.err;
  EXPECT_NE(dry.out.find("1 moved, 0 kept on their version (dry run: nothing written)"), std::string::npos) << dry.out;
  RunResult real = runA6auth({"workflow", "migrate", "article6-2-standard", "--to", "2", "--config", config});
  ASSERT_EQ(real.exitCode, 0) << real.err;
  EXPECT_NE(real.out.find("moved   " + id), std::string::npos) << real.out;
  RunResult list = runA6auth({"workflow", "list", "--config", config});
  EXPECT_NE(list.out.find("article6-2-standard\tv2"), std::string::npos) << list.out;
  RunResult audit = runA6auth({"audit", "verify", "--config", config});
  EXPECT_EQ(audit.exitCode, 0) << audit.out;
  // Changing a registered version's content is refused at start.
  writeFile(defs.file("v2.xml"), v2 + "<!-- edited -->\n");
  RunResult changed = runA6auth({"serve", "--config", config});
  EXPECT_EQ(changed.exitCode, 2);
  EXPECT_NE(changed.err.find("publish the change as version 3"), std::string::npos) << changed.err;
}

}  // namespace
}  // namespace a6::test
