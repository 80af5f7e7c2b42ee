// The spine's rules, which no definition can change: every lawful move, the refused ones, the terminal
// states, and the approval guard.
#include "a6/workflows/Spine.h"

#include <gtest/gtest.h>

#include <ostream>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

namespace a6::workflows {

void PrintTo(SpineState s, std::ostream* os) { *os << toString(s); }
void PrintTo(SpineEvent e, std::ostream* os) { *os << toString(e); }

namespace {

using S = SpineState;
using E = SpineEvent;

struct Move {
  S from;
  E event;
  S to;
};

const std::vector<Move> kAllowed = {
    {S::Draft, E::Submit, S::Submitted},
    {S::Draft, E::Withdraw, S::Withdrawn},
    {S::Submitted, E::StartReview, S::InReview},
    {S::Submitted, E::Withdraw, S::Withdrawn},
    {S::InReview, E::RequestChanges, S::ChangesRequested},
    {S::InReview, E::Reject, S::Rejected},
    {S::InReview, E::Approve, S::Approved},  // with every approval passed
    {S::InReview, E::Withdraw, S::Withdrawn},
    {S::ChangesRequested, E::Submit, S::Submitted},
    {S::ChangesRequested, E::Withdraw, S::Withdrawn},
    {S::Approved, E::Authorise, S::Authorised},
    {S::Approved, E::ReturnToReview, S::InReview},
    {S::Approved, E::Reject, S::Rejected},
    {S::Approved, E::Withdraw, S::Withdrawn},
    {S::Authorised, E::OpenAmendment, S::AmendmentInReview},
    {S::Authorised, E::Revoke, S::Revoked},
    {S::Authorised, E::Expire, S::Expired},
    {S::AmendmentInReview, E::ApproveAmendment, S::Authorised},
    {S::AmendmentInReview, E::RefuseAmendment, S::Authorised},
    {S::AmendmentInReview, E::Revoke, S::Revoked},
};

const std::vector<S> kStates = {S::Draft,      S::Submitted, S::InReview,  S::ChangesRequested,  S::Approved,
                                S::Authorised, S::Rejected,  S::Withdrawn, S::AmendmentInReview, S::Revoked,
                                S::Expired};

const std::vector<E> kEvents = {
    E::Submit,   E::StartReview,   E::RequestChanges,   E::Reject,          E::Approve, E::Authorise, E::ReturnToReview,
    E::Withdraw, E::OpenAmendment, E::ApproveAmendment, E::RefuseAmendment, E::Revoke,  E::Expire};

bool allowed(S from, E event) {
  for (const Move& m : kAllowed) {
    if (m.from == from && m.event == event) return true;
  }
  return false;
}

TEST(SpineTest, StartsInDraft) {
  Spine spine;
  EXPECT_EQ(spine.current(), S::Draft);
}

TEST(SpineTest, EveryAllowedTransitionMoves) {
  for (const Move& m : kAllowed) {
    Spine spine(m.from);
    ASSERT_EQ(spine.current(), m.from);
    EXPECT_TRUE(spine.process(m.event, true)) << toString(m.from) << " --" << toString(m.event) << "-->";
    EXPECT_EQ(spine.current(), m.to) << toString(m.from) << " --" << toString(m.event) << "-->";
  }
}

TEST(SpineTest, WalksTheWholeLifeFromDraft) {
  Spine spine;
  EXPECT_TRUE(spine.process(E::Submit));
  EXPECT_TRUE(spine.process(E::StartReview));
  EXPECT_TRUE(spine.process(E::RequestChanges));
  EXPECT_TRUE(spine.process(E::Submit));
  EXPECT_TRUE(spine.process(E::StartReview));
  EXPECT_TRUE(spine.process(E::Approve, true));
  EXPECT_TRUE(spine.process(E::ReturnToReview));
  EXPECT_TRUE(spine.process(E::Approve, true));
  EXPECT_TRUE(spine.process(E::Authorise));
  EXPECT_TRUE(spine.process(E::OpenAmendment));
  EXPECT_TRUE(spine.process(E::ApproveAmendment));
  EXPECT_EQ(spine.current(), S::Authorised);
  EXPECT_TRUE(spine.process(E::OpenAmendment));
  EXPECT_TRUE(spine.process(E::RefuseAmendment));
  EXPECT_TRUE(spine.process(E::Revoke));
  EXPECT_EQ(spine.current(), S::Revoked);
}

// Notable refusals, each a rule the spine keeps whatever a definition says.
TEST(SpineTest, RefusesTheseMoves) {
  const std::vector<std::tuple<S, E, const char*>> refused = {
      {S::Draft, E::Approve, "nothing is approved before submission"},
      {S::Draft, E::OpenAmendment, "no amendment before authorisation"},
      {S::Draft, E::StartReview, "review starts only after submission"},
      {S::Submitted, E::Submit, "no double submission"},
      {S::InReview, E::Authorise, "no authorisation without approval"},
      {S::InReview, E::Submit, "no submission while in review"},
      {S::InReview, E::OpenAmendment, "no amendment before authorisation"},
      {S::ChangesRequested, E::Approve, "changes first"},
      {S::Approved, E::RequestChanges, "approved requests return to review, not to the applicant"},
      {S::Authorised, E::Withdraw, "an authorisation is revoked, not withdrawn"},
      {S::Authorised, E::Reject, "an authorisation is not rejected"},
      {S::Authorised, E::Approve, "already authorised"},
      {S::AmendmentInReview, E::OpenAmendment, "one amendment at a time"},
      {S::AmendmentInReview, E::Withdraw, "an authorisation is not withdrawn"},
      {S::AmendmentInReview, E::Expire, "expiry comes to the authorisation, not the amendment"},
      {S::Revoked, E::OpenAmendment, "a revoked authorisation stays revoked"},
      {S::Revoked, E::ApproveAmendment, "a revoked authorisation stays revoked"},
      {S::Expired, E::Revoke, "expired is final"},
  };
  for (const auto& [from, event, why] : refused) {
    Spine spine(from);
    EXPECT_FALSE(spine.process(event, true)) << toString(from) << " " << toString(event) << ": " << why;
    EXPECT_EQ(spine.current(), from) << why;
  }
}

// Everything not in the allowed table is refused, and the state stays.
TEST(SpineTest, RefusesEverythingNotAllowed) {
  int refusals = 0;
  for (S from : kStates) {
    for (E event : kEvents) {
      if (allowed(from, event)) continue;
      Spine spine(from);
      EXPECT_FALSE(spine.process(event, true)) << toString(from) << " " << toString(event);
      EXPECT_EQ(spine.current(), from);
      ++refusals;
    }
  }
  EXPECT_EQ(refusals, static_cast<int>(kStates.size() * kEvents.size() - kAllowed.size()));
}

TEST(SpineTest, TerminalStatesAcceptNothing) {
  for (S terminal : {S::Rejected, S::Withdrawn, S::Revoked, S::Expired}) {
    EXPECT_TRUE(Spine::terminal(terminal));
    Spine spine(terminal);
    for (E event : kEvents) {
      EXPECT_FALSE(spine.process(event, true)) << toString(terminal) << " " << toString(event);
      EXPECT_EQ(spine.current(), terminal);
    }
  }
  for (S s :
       {S::Draft, S::Submitted, S::InReview, S::ChangesRequested, S::Approved, S::Authorised, S::AmendmentInReview}) {
    EXPECT_FALSE(Spine::terminal(s)) << toString(s);
  }
}

TEST(SpineTest, ApproveNeedsEveryApproval) {
  Spine spine(S::InReview);
  EXPECT_FALSE(spine.process(E::Approve, false));
  EXPECT_EQ(spine.current(), S::InReview);
  EXPECT_FALSE(spine.process(E::Approve));  // the flag defaults to "not all passed"
  EXPECT_EQ(spine.current(), S::InReview);
  EXPECT_TRUE(spine.process(E::Approve, true));
  EXPECT_EQ(spine.current(), S::Approved);
}

TEST(SpineTest, FlagMattersOnlyForApprove) {
  Spine spine(S::Approved);
  EXPECT_TRUE(spine.process(E::Authorise, false));
  EXPECT_EQ(spine.current(), S::Authorised);
}

TEST(SpineTest, EditableOnlyInDraftAndChangesRequested) {
  std::set<S> editable;
  for (S s : kStates) {
    if (Spine::editable(s)) editable.insert(s);
  }
  EXPECT_EQ(editable, (std::set<S>{S::Draft, S::ChangesRequested}));
}

TEST(SpineTest, StartsAnywhere) {
  for (S s : kStates) EXPECT_EQ(Spine(s).current(), s);
}

TEST(SpineTest, MovesWithItsValue) {
  Spine a(S::Approved);
  Spine b(std::move(a));
  EXPECT_EQ(b.current(), S::Approved);
  Spine c;
  c = std::move(b);
  EXPECT_TRUE(c.process(E::Authorise));
  EXPECT_EQ(c.current(), S::Authorised);
}

TEST(SpineTest, NamesEvents) {
  EXPECT_STREQ(toString(E::ReturnToReview), "return_to_review");
  EXPECT_STREQ(toString(E::OpenAmendment), "open_amendment");
}

}  // namespace
}  // namespace a6::workflows
