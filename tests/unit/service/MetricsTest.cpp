#include "a6/service/http/Metrics.h"

#include <gtest/gtest.h>

namespace a6::service {

TEST(MetricsTest, RendersCountersAndCumulativeHistogram) {
  Metrics m;
  m.recordRequest("/api/v1/requests", "GET", 200, 0.003);
  m.recordRequest("/api/v1/requests", "GET", 200, 0.2);
  m.recordRequest("/api/v1/requests", "POST", 422, 0.004);
  m.recordStoreError();
  std::string text = m.render();
  EXPECT_NE(text.find("a6auth_http_requests_total{route=\"/api/v1/requests\",method=\"GET\",status=\"200\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("a6auth_http_requests_total{route=\"/api/v1/requests\",method=\"POST\",status=\"422\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("a6auth_http_request_duration_seconds_bucket{route=\"/api/v1/requests\",le=\"0.0025\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("a6auth_http_request_duration_seconds_bucket{route=\"/api/v1/requests\",le=\"0.005\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("a6auth_http_request_duration_seconds_bucket{route=\"/api/v1/requests\",le=\"+Inf\"} 3"),
            std::string::npos);
  EXPECT_NE(text.find("a6auth_http_request_duration_seconds_count{route=\"/api/v1/requests\"} 3"), std::string::npos);
  EXPECT_NE(text.find("a6auth_store_errors_total 1"), std::string::npos);
  EXPECT_NE(text.find("# TYPE a6auth_http_request_duration_seconds histogram"), std::string::npos);
}

}  // namespace a6::service
