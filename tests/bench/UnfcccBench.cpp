// What a UNFCCC notification costs the decision that queues it: build the XML from the record,
// validate it against its schema, sign it (XMLDSig, exclusive C14N) — all inside the decision's
// commit — and, on the receiving side, verify a signed acknowledgement. Figures go in
// docs/PERFORMANCE.md.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

#include "a6/integrations/unfccc/Messages.h"
#include "a6/integrations/unfccc/XmlSignature.h"
#include "a6/signing/Keys.h"

namespace {

using namespace a6;
namespace un = a6::integrations::unfccc;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A throwaway key of the given kind, made once with the openssl CLI: PKCS#12 and PEM forms.
struct BenchKey {
  std::unique_ptr<signing::SigningIdentity> identity;
  std::string keyPem;
  std::string certPem;
};

const BenchKey& key(bool rsa) {
  static std::once_flag once[2];
  static BenchKey keys[2];
  std::call_once(once[rsa ? 1 : 0], [rsa] {
    char tmpl[] = "/tmp/a6-unfccc-bench-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    std::string newkey = rsa ? "rsa:3072" : "ec -pkeyopt ec_paramgen_curve:P-256";
    std::string cmd = "cd " + dir + " && openssl req -x509 -newkey " + newkey +
                      " -nodes -days 2 -subj '/CN=Bench Party' -keyout k.pem -out c.pem 2>/dev/null"
                      " && openssl pkcs12 -export -inkey k.pem -in c.pem -passout pass:bench -out id.p12";
    if (std::system(cmd.c_str()) != 0) std::abort();
    BenchKey& k = keys[rsa ? 1 : 0];
    k.identity =
        std::make_unique<signing::SigningIdentity>(signing::SigningIdentity::fromPkcs12File(dir + "/id.p12", "bench"));
    k.keyPem = slurp(dir + "/k.pem");
    k.certPem = slurp(dir + "/c.pem");
    std::system(("rm -rf " + dir).c_str());
  });
  return keys[rsa ? 1 : 0];
}

const un::AuthorisationNotice& notice() {
  static const un::AuthorisationNotice n = un::parseNotification(
      slurp(std::string(A6_SOURCE_DIR) + "/integrations/unfccc/examples/authorisation-notification.xml"));
  return n;
}

// Build and validate only.
void BM_BuildNotification(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(un::buildNotification(notice()));
}
BENCHMARK(BM_BuildNotification)->Unit(benchmark::kMicrosecond);

// Build, validate and sign: what the decision's commit pays per notification.
void BM_BuildAndSignNotification(benchmark::State& state) {
  const bool rsa = state.range(0) != 0;
  const auto& identity = *key(rsa).identity;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string xml = un::signXml(un::buildNotification(notice()), identity);
    bytes = xml.size();
    benchmark::DoNotOptimize(xml);
  }
  state.SetLabel(std::string(rsa ? "RSA-3072" : "ECDSA P-256") + ", " + std::to_string(bytes) + " bytes");
}
BENCHMARK(BM_BuildAndSignNotification)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// Verify and parse a signed acknowledgement: what every delivery's answer costs.
void BM_VerifyAcknowledgement(benchmark::State& state) {
  const BenchKey& k = key(true);
  un::Acknowledgement ack;
  ack.acknowledgementId = "ack-1";
  ack.refersToMessageId = notice().messageId;
  ack.sender = "UNFCCC CARP";
  ack.createdAt = "2026-11-25T10:00:00Z";
  ack.status = un::AckStatus::Accepted;
  const std::string xml = un::signXml(un::buildAcknowledgement(ack), k.keyPem, k.certPem);
  for (auto _ : state) {
    auto verified = un::verifyXml(xml, {k.certPem});
    if (!verified.valid) state.SkipWithError("the acknowledgement did not verify");
    benchmark::DoNotOptimize(un::parseAcknowledgement(xml));
  }
}
BENCHMARK(BM_VerifyAcknowledgement)->Unit(benchmark::kMicrosecond);

}  // namespace
