// Signed letters per second: render a letter template and sign it (PAdES B-B), the work done in
// the commit of an approval. Figures go in docs/PERFORMANCE.md.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <memory>
#include <mutex>
#include <string>

#include "a6/core/Clock.h"
#include "a6/signing/Keys.h"
#include "a6/signing/Pades.h"
#include "a6/templates/LetterTemplates.h"

namespace {

using namespace a6;

// A throwaway EC P-256 key made once with the openssl CLI.
const signing::SigningIdentity& identity() {
  static std::once_flag once;
  static std::unique_ptr<signing::SigningIdentity> id;
  std::call_once(once, [] {
    char tmpl[] = "/tmp/a6-letter-bench-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    std::string cmd = "cd " + dir +
                      " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                      "-subj '/CN=Bench Minister' -keyout k.pem -out c.pem 2>/dev/null"
                      " && openssl pkcs12 -export -inkey k.pem -in c.pem -passout pass:bench -out id.p12";
    if (std::system(cmd.c_str()) != 0) std::abort();
    id = std::make_unique<signing::SigningIdentity>(signing::SigningIdentity::fromPkcs12File(dir + "/id.p12", "bench"));
    std::system(("rm -rf " + dir).c_str());
  });
  return *id;
}

const templates::LetterTemplates& letters() {
  static templates::LetterTemplates t(std::string(A6_SOURCE_DIR) + "/templates/letters");
  return t;
}

void signedLetter(benchmark::State& state, const std::string& name, const std::string& sample) {
  const auto& id = identity();
  const auto& t = letters();
  templates::Value context = templates::sampleLetterContext(sample);
  templates::LayoutOptions layout;
  std::size_t bytes = 0;
  for (auto _ : state) {
    templates::RenderedLetter r = t.render(name, "en", context, layout);
    signing::SignatureAppearance a;
    if (!r.slots.empty()) {
      a.page = r.slots.front().page;
      a.x = r.slots.front().x;
      a.y = r.slots.front().y;
      a.width = r.slots.front().width;
      a.height = r.slots.front().height;
    }
    a.signerName = "Bench Minister";
    signing::SignOptions o;
    o.signingTime = SystemClock().now();
    std::string pdf = signing::signPdf(r.pdf, id, a, o);
    bytes = pdf.size();
    benchmark::DoNotOptimize(pdf);
  }
  state.counters["letters_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["bytes_per_letter"] = benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kAvgThreads);
}

void BM_SignedRejectionLetter(benchmark::State& state) { signedLetter(state, "rejection", "full"); }
void BM_SignedLetterOfAuthorisation(benchmark::State& state) { signedLetter(state, "letter-of-authorisation", "full"); }

// One page: the rejection letter. Threads 1 and 2: one thread, and all the cores of this machine.
BENCHMARK(BM_SignedRejectionLetter)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SignedLetterOfAuthorisation)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
