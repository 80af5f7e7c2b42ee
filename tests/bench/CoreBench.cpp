// Micro-benchmarks of the work every write does: hashing an event, encoding and validating a
// request, and committing to SQLite with synchronous=FULL. Figures go in docs/PERFORMANCE.md.
#include <Poco/JSON/Parser.h>
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "a6/core/Clock.h"
#include "a6/service/audit/Chain.h"
#include "a6/service/domain/Validation.h"
#include "a6/service/http/RequestJson.h"
#include "a6/service/store/SqliteStore.h"

namespace {

using namespace a6;
using namespace a6::service;

std::string sampleJson() {
  std::ifstream in(std::string(A6_SOURCE_DIR) + "/tests/data/request-valid.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RequestFields sampleFields() {
  Poco::JSON::Parser parser;
  std::vector<FieldError> errors;
  return decodeRequestFields(*parser.parse(sampleJson()).extract<Poco::JSON::Object::Ptr>(), errors);
}

void BM_EventHash(benchmark::State& state) {
  StoredEvent e;
  e.streamId = "req_01M8A2XM0Q10CJ4K8AFWAX5TZE";
  e.seq = 7;
  e.party = "GHA";
  e.type = "edited";
  e.actor = "ada";
  e.at = "2026-11-25T19:29:02.127Z";
  e.payloadJson = std::string(static_cast<std::size_t>(state.range(0)), 'x');
  e.prevHash = kGenesisHash;
  for (auto _ : state) benchmark::DoNotOptimize(eventHash(e));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EventHash)->Arg(256)->Arg(4096)->Arg(65536);

void BM_DecodeAndValidate(benchmark::State& state) {
  std::string text = sampleJson();
  auto lists = defaultControlledLists();
  for (auto _ : state) {
    Poco::JSON::Parser parser;
    std::vector<FieldError> errors;
    RequestFields f = decodeRequestFields(*parser.parse(text).extract<Poco::JSON::Object::Ptr>(), errors);
    benchmark::DoNotOptimize(validateRequest(f, lists, Completeness::Submission));
  }
}
BENCHMARK(BM_DecodeAndValidate);

void BM_EncodeCanonical(benchmark::State& state) {
  RequestFields f = sampleFields();
  for (auto _ : state) benchmark::DoNotOptimize(canonicalJson(encodeRequestFields(f)));
}
BENCHMARK(BM_EncodeCanonical);

// One new request per iteration: an event and a read-model row in one fsync'd transaction.
void BM_SqliteCommitNewRequest(benchmark::State& state) {
  char tmpl[] = "/tmp/a6-bench-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  {
    SqliteStore store(dir + "/bench.db");
    store.migrate();
    std::string fields = canonicalJson(encodeRequestFields(sampleFields()));
    long long n = 0;
    for (auto _ : state) {
      Commit c;
      c.streamId = "req_" + std::to_string(++n);
      c.party = "GHA";
      c.events.push_back({"created", "ada", "2026-11-25T19:29:02.127Z", fields});
      RequestRecord r;
      r.id = c.streamId;
      r.party = "GHA";
      r.organisation = "Volta Cookstoves Ltd";
      r.state = "draft";
      r.version = 1;
      r.fieldsJson = fields;
      r.createdAt = r.updatedAt = "2026-11-25T19:29:02.127Z";
      r.createdBy = "ada";
      c.request = r;
      store.commit(c);
    }
  }
  std::system(("rm -rf " + dir).c_str());
}
BENCHMARK(BM_SqliteCommitNewRequest)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
