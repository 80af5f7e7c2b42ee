// What a failed delivery attempt tells the outbox: why, and whether trying again can help.
// Every transport (HTTPS POST for the UNFCCC and webhooks, SMTP for email) throws this and only
// this for a failed attempt; the outbox retries a transient failure with backoff and dead-letters
// a permanent one at once.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace a6::integrations {

class DeliveryFailure : public std::runtime_error {
 public:
  // `reason` is a sentence for the outbox's last_error: no secrets, no response bodies beyond a
  // short excerpt.
  DeliveryFailure(std::string reason, bool permanent, std::optional<int> httpStatus = std::nullopt)
      : std::runtime_error(std::move(reason)), permanent_(permanent), httpStatus_(httpStatus) {}
  bool permanent() const { return permanent_; }
  // The HTTP status the other side answered, when it answered at all.
  std::optional<int> httpStatus() const { return httpStatus_; }

 private:
  bool permanent_;
  std::optional<int> httpStatus_;
};

}  // namespace a6::integrations
