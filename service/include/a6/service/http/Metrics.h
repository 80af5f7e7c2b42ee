// Counters and a latency histogram for /metrics, in the Prometheus text exposition format.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace a6::service {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

  void recordRequest(const std::string& route, const std::string& method, int status, double seconds);
  void recordStoreError() { storeErrors_.fetch_add(1); }
  void inFlight(int delta) { inFlight_.fetch_add(delta); }
  long long storeErrors() const { return storeErrors_.load(); }
  // The whole exposition, ready to serve.
  std::string render() const;

 private:
  struct Histogram {
    std::array<long long, kBuckets.size()> buckets{};
    long long count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, long long> requests_;
  std::map<std::string, Histogram> latency_;
  std::atomic<long long> storeErrors_{0};
  std::atomic<int> inFlight_{0};
};

}  // namespace a6::service
