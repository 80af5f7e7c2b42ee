// Email end to end: decisions taken over HTTP become outbox messages in their commits, the outbox
// sends them over STARTTLS with authentication to a real SMTP server (aiosmtpd, started by the
// test as its own process), and the test reads the MIME that arrived: subject, recipients,
// language, and the signed letter attached byte for byte as stored.
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "WorkflowFixture.h"
#include "a6/signing/Digest.h"

namespace a6::test {
namespace {

namespace fs = std::filesystem;

class EmailDeliveryTest : public WorkflowFixture {
 protected:
  std::string extraConfig() override {
    std::string letters = makeTestLetterConfig(dir_);
    makeServerCertificate(dir_, "smtp");
    writeFile(dir_.file("smtp.pass"), "mail-secret-42\n");
    smtp_ = std::make_unique<Process>(
        A6_PYTHON3,
        std::vector<std::string>{A6_SMTP_SERVER, "--port-file", dir_.file("smtp.port"), "--out-dir", dir_.file("mail"),
                                 "--cert", dir_.file("smtp.crt"), "--key", dir_.file("smtp.key"), "--user", "a6auth",
                                 "--password", "mail-secret-42"},
        dir_.file("smtp.log"));
    int port = 0;
    for (int i = 0; i < 1000 && port == 0; ++i) {
      if (fs::exists(dir_.file("smtp.port"))) {
        // Written whole and renamed into place by the server.
        std::string text = readFile(dir_.file("smtp.port"));
        if (!text.empty()) port = std::stoi(text);
      }
      if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (port == 0) throw std::runtime_error("the SMTP server did not start: " + readFile(dir_.file("smtp.log")));
    return letters + "smtp.host = 127.0.0.1\nsmtp.port = " + std::to_string(port) +
           "\nsmtp.username = a6auth\nsmtp.password_file = " + dir_.file("smtp.pass") +
           "\nsmtp.ca_file = " + dir_.file("ca.crt") +
           "\nsmtp.from = carbon-markets@example.org\nsmtp.timeout_ms = 5000\n"
           "email.templates_dir = " +
           std::string(A6_SOURCE_DIR) + "/templates/email\nemail.language = " + language() +
           "\nhttp.public_url = https://a6.example.org\n"
           "webhooks.allow_http = true\nwebhooks.allow_private_addresses = true\nwebhooks.disable_after = 2\n";
  }
  virtual std::string language() { return "en"; }

  void TearDown() override {
    WorkflowFixture::TearDown();
    if (smtp_) {
      smtp_->signal(SIGTERM);
      smtp_->wait();
    }
  }

  // The messages received so far, parsed by Python's email package.
  std::vector<Object::Ptr> received() {
    std::vector<std::string> files;
    if (fs::exists(dir_.file("mail"))) {
      for (const auto& e : fs::directory_iterator(dir_.file("mail"))) {
        if (e.path().extension() == ".eml") files.push_back(e.path().string());
      }
    }
    std::sort(files.begin(), files.end());
    std::vector<Object::Ptr> out;
    for (const auto& f : files) {
      const std::string json = dir_.file("parsed.json");
      const std::string cmd = std::string(A6_PYTHON3) + " " + A6_SMTP_SERVER + " --parse '" + f + "' > '" + json + "'";
      if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot parse " + f);
      out.push_back(Poco::JSON::Parser().parse(readFile(json)).extract<Object::Ptr>());
    }
    return out;
  }

  std::vector<Object::Ptr> to(const std::vector<Object::Ptr>& all, const std::string& address) {
    std::vector<Object::Ptr> out;
    for (const auto& m : all) {
      auto list = m->getArray("to");
      if (list->size() == 1 && list->getElement<std::string>(0) == address) out.push_back(m);
    }
    return out;
  }

  std::unique_ptr<Process> smtp_;
};

TEST_F(EmailDeliveryTest, DecisionsReachApplicantAndReviewersWithTheLetterAttached) {
  std::string id = draft();
  expectFire("ada", id, "submit");
  // Nothing is sent before a worker runs, and nothing is pending as an unhandled effect.
  for (const auto& e : store_->effects(id)) EXPECT_NE(e.kind, "email") << e.payloadJson;
  EXPECT_TRUE(received().empty());
  expectFire("rita", id, "accept");
  expectFire("tom", id, "endorse");
  expectFire("tess", id, "endorse");
  expectFire("amina", id, "approve");
  const int sent = deliveries_->worker().runOnce("email");
  EXPECT_GE(sent, 5);
  service::OutboxQuery q;
  q.destination = "email";
  q.status = "pending";
  EXPECT_TRUE(store_->listOutbox(q).empty());

  auto mail = received();
  ASSERT_EQ(static_cast<int>(mail.size()), sent);
  // The applicant: request received, then the decision with the signed letter.
  auto ada = to(mail, "ada@example.org");
  ASSERT_GE(ada.size(), 2u);
  EXPECT_NE(ada.front()->getValue<std::string>("subject").find(id), std::string::npos);
  Object::Ptr decision = ada.back();
  EXPECT_EQ(decision->getValue<std::string>("content_language"), language());
  // The decision in words, not the workflow's event name.
  EXPECT_NE(decision->getValue<std::string>("subject").find("approved"), std::string::npos)
      << decision->getValue<std::string>("subject");
  EXPECT_EQ(decision->getValue<std::string>("from_address"), "carbon-markets@example.org");
  EXPECT_TRUE(decision->getArray("defects")->size() == 0);
  EXPECT_NE(decision->getValue<std::string>("text").find("https://a6.example.org/#/requests/" + id), std::string::npos);
  auto attachments = decision->getArray("attachments");
  ASSERT_EQ(attachments->size(), 1u);
  auto letters = store_->lettersOfRequest(id);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(attachments->getObject(0)->getValue<std::string>("sha256"), letters[0].sha256);
  EXPECT_EQ(attachments->getObject(0)->getValue<std::string>("content_type"), "application/pdf");
  EXPECT_EQ(attachments->getObject(0)->getValue<std::int64_t>("size"), letters[0].size);
  // Reviewers hear when a request reaches their stage: the carbon markets office, the committee
  // (each member alone), the minister.
  EXPECT_FALSE(to(mail, "rita@example.org").empty());
  EXPECT_FALSE(to(mail, "tom@example.org").empty());
  EXPECT_FALSE(to(mail, "theo@example.org").empty());
  EXPECT_FALSE(to(mail, "amina@example.org").empty());
  // Each message went to one person only, and authenticated over TLS.
  for (const auto& m : mail) EXPECT_EQ(m->getArray("to")->size(), 1u);
  const std::string envelope = readFile(dir_.file("mail/1.json"));
  EXPECT_NE(envelope.find("\"tls\": true"), std::string::npos) << envelope;
  EXPECT_NE(envelope.find("\"auth_user\": \"a6auth\""), std::string::npos) << envelope;
}

TEST_F(EmailDeliveryTest, MailServerDownKeepsMessagesUntilItIsBack) {
  std::string id = draft();
  smtp_->signal(SIGTERM);
  smtp_->wait();
  expectFire("ada", id, "submit");
  EXPECT_GE(deliveries_->worker().runOnce("email"), 1);
  service::OutboxQuery q;
  q.destination = "email";
  auto waiting = store_->listOutbox(q);
  ASSERT_FALSE(waiting.empty());
  for (const auto& m : waiting) {
    EXPECT_EQ(m.status, "pending");
    EXPECT_EQ(m.attempts, 1);
    EXPECT_FALSE(m.lastError.value_or("").empty());
    // The reason never carries the password.
    EXPECT_EQ(m.lastError.value_or("").find("mail-secret-42"), std::string::npos);
  }
}

TEST_F(EmailDeliveryTest, DisabledWebhookSubscriptionIsReportedToTheAdministrators) {
  // Nothing listens on port 1 of loopback: every delivery fails to connect.
  auto created = as("admin", "POST", "/api/v1/webhooks",
                    R"({"url": "http://127.0.0.1:1/hook", "event_types": ["request.submitted"]})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string sub = created.json()->getValue<std::string>("id");
  std::string id = draft();
  expectFire("ada", id, "submit");
  EXPECT_EQ(deliveries_->worker().runOnce("webhook"), 1);
  clock_.advance(std::chrono::hours(2));
  EXPECT_EQ(deliveries_->worker().runOnce("webhook"), 1);
  auto view = as("admin", "GET", "/api/v1/webhooks/" + sub).json();
  EXPECT_EQ(view->getValue<std::string>("status"), "disabled");

  deliveries_->worker().runOnce("email");
  auto admin = to(received(), "admin@example.org");
  ASSERT_EQ(admin.size(), 1u);
  EXPECT_NE(admin[0]->getValue<std::string>("subject").find("http://127.0.0.1:1/hook"), std::string::npos)
      << admin[0]->getValue<std::string>("subject");
  // The count of failures (webhooks.disable_after = 2) and where the subscription is on record.
  EXPECT_NE(admin[0]->getValue<std::string>("text").find("deliveries kept failing (2"), std::string::npos)
      << admin[0]->getValue<std::string>("text");
  EXPECT_NE(admin[0]->getValue<std::string>("text").find("/api/v1/webhooks/" + sub), std::string::npos);
}

TEST_F(EmailDeliveryTest, SlaReminderAndEscalationReachTheRightPeople) {
  std::string id = draft();
  expectFire("ada", id, "submit");
  deliveries_->worker().runOnce("email");
  const std::size_t before = received().size();
  // Screening: a reminder after 7 days to the carbon markets office, at 10 days the escalation to
  // the minister (article6-2-standard).
  clock_.advance(std::chrono::hours(24 * 7) + std::chrono::minutes(1));
  EXPECT_EQ(timers_->runOnce(), 1);
  clock_.advance(std::chrono::hours(24 * 3));
  EXPECT_EQ(timers_->runOnce(), 1);
  EXPECT_EQ(deliveries_->worker().runOnce("email"), 2);
  auto mail = received();
  ASSERT_EQ(mail.size(), before + 2);
  auto rita = to(mail, "rita@example.org");
  auto amina = to(mail, "amina@example.org");
  ASSERT_FALSE(rita.empty());
  ASSERT_FALSE(amina.empty());
  EXPECT_NE(rita.back()->getValue<std::string>("text").find(id), std::string::npos);
  EXPECT_NE(amina.back()->getValue<std::string>("text").find(id), std::string::npos);
  EXPECT_NE(rita.back()->getValue<std::string>("subject"), amina.back()->getValue<std::string>("subject"));
}

class FrenchEmailTest : public EmailDeliveryTest {
 protected:
  std::string language() override { return "fr"; }
};

TEST_F(FrenchEmailTest, MessagesAreWrittenInTheConfiguredLanguage) {
  std::string id = draft();
  expectFire("ada", id, "submit");
  EXPECT_GE(deliveries_->worker().runOnce("email"), 1);
  auto ada = to(received(), "ada@example.org");
  ASSERT_EQ(ada.size(), 1u);
  EXPECT_EQ(ada[0]->getValue<std::string>("content_language"), "fr");
  EXPECT_NE(ada[0]->getValue<std::string>("subject").find("reçue"), std::string::npos)
      << ada[0]->getValue<std::string>("subject");
  EXPECT_NE(ada[0]->getValue<std::string>("html").find("lang=\"fr\""), std::string::npos);
}

}  // namespace
}  // namespace a6::test
