#include "a6/service/http/Metrics.h"

#include <charconv>
#include <sstream>

namespace a6::service {
namespace {

// Label values are route patterns and methods we choose, but escape anyway.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// Shortest form that reads back as the same double: 0.0025, not 0.0025000000000000001.
std::string number(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "0";
}

}  // namespace

void Metrics::recordRequest(const std::string& route, const std::string& method, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::render() const {
  std::ostringstream out;
  std::lock_guard lock(mutex_);
  out << "# HELP a6auth_http_requests_total HTTP requests by route pattern, method and status.\n"
      << "# TYPE a6auth_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    out << "a6auth_http_requests_total{route=\"" << label(route) << "\",method=\"" << label(method) << "\",status=\""
        << status << "\"} " << count << "\n";
  }
  out << "# HELP a6auth_http_request_duration_seconds Time from request to response, by route pattern.\n"
      << "# TYPE a6auth_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out << "a6auth_http_request_duration_seconds_bucket{route=\"" << label(route) << "\",le=\"" << number(kBuckets[i])
          << "\"} " << h.buckets[i] << "\n";
    }
    out << "a6auth_http_request_duration_seconds_bucket{route=\"" << label(route) << "\",le=\"+Inf\"} " << h.count
        << "\n";
    out << "a6auth_http_request_duration_seconds_sum{route=\"" << label(route) << "\"} " << number(h.sum) << "\n";
    out << "a6auth_http_request_duration_seconds_count{route=\"" << label(route) << "\"} " << h.count << "\n";
  }
  out << "# HELP a6auth_store_errors_total Database operations that failed.\n"
      << "# TYPE a6auth_store_errors_total counter\n"
      << "a6auth_store_errors_total " << storeErrors_.load() << "\n";
  out << "# HELP a6auth_http_requests_in_flight Requests being handled now.\n"
      << "# TYPE a6auth_http_requests_in_flight gauge\n"
      << "a6auth_http_requests_in_flight " << inFlight_.load() << "\n";
  return out.str();
}

}  // namespace a6::service
