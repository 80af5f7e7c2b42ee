// The lifecycle spine every request follows whatever its definition: the moves no country may
// configure away. A Boost.Statechart machine behind a small value interface (Statechart stays in
// Spine.cpp).
#pragma once

#include <memory>

#include "a6/workflows/Engine.h"

namespace a6::workflows {

enum class SpineEvent {
  Submit,
  StartReview,
  RequestChanges,
  Reject,
  Approve,  // carries allApprovalsPassed: refused unless every configured approval stage was passed
  Authorise,
  ReturnToReview,
  Withdraw,
  OpenAmendment,
  ApproveAmendment,
  RefuseAmendment,
  Revoke,
  Expire,
};
const char* toString(SpineEvent e);  // "submit", "start_review", …

class Spine {
 public:
  Spine();  // at draft
  // Driven from draft to `at` along the shortest lawful path (Approve with every approval
  // passed): lets a caller ask "would the spine accept this move from here?".
  explicit Spine(SpineState at);
  ~Spine();
  Spine(Spine&&) noexcept;
  Spine& operator=(Spine&&) noexcept;
  Spine(const Spine&) = delete;
  Spine& operator=(const Spine&) = delete;

  SpineState current() const;

  // True when the machine accepted the event and moved; otherwise the state stays.
  // `allApprovalsPassed` matters only for Approve.
  bool process(SpineEvent e, bool allApprovalsPassed = false);

  // No edits after submission except while changes are requested.
  static bool editable(SpineState s);
  // Rejected, withdrawn, revoked and expired accept nothing.
  static bool terminal(SpineState s);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace a6::workflows
