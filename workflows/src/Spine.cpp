// The lifecycle spine as a Boost.Statechart machine: one state per SpineState, one transition per
// lawful move. Anything a state has no reaction for is refused and leaves the state as it was.
#include "a6/workflows/Spine.h"

#include <stdexcept>
#include <utility>
#include <vector>

#include <boost/mpl/list.hpp>
#include <boost/statechart/custom_reaction.hpp>
#include <boost/statechart/event.hpp>
#include <boost/statechart/simple_state.hpp>
#include <boost/statechart/state_machine.hpp>
#include <boost/statechart/transition.hpp>

namespace a6::workflows {

namespace {

namespace sc = boost::statechart;
namespace mpl = boost::mpl;

struct EvSubmit : sc::event<EvSubmit> {};
struct EvStartReview : sc::event<EvStartReview> {};
struct EvRequestChanges : sc::event<EvRequestChanges> {};
struct EvReject : sc::event<EvReject> {};
struct EvApprove : sc::event<EvApprove> {
  explicit EvApprove(bool all) : allApprovalsPassed(all) {}
  bool allApprovalsPassed;
};
struct EvAuthorise : sc::event<EvAuthorise> {};
struct EvReturnToReview : sc::event<EvReturnToReview> {};
struct EvWithdraw : sc::event<EvWithdraw> {};
struct EvOpenAmendment : sc::event<EvOpenAmendment> {};
struct EvApproveAmendment : sc::event<EvApproveAmendment> {};
struct EvRefuseAmendment : sc::event<EvRefuseAmendment> {};
struct EvRevoke : sc::event<EvRevoke> {};
struct EvExpire : sc::event<EvExpire> {};

// Lets the machine say where it is without the caller knowing Statechart types (via state_cast).
struct Named {
  virtual ~Named() = default;
  virtual SpineState state() const = 0;
};

struct Draft;
struct Submitted;
struct InReview;
struct ChangesRequested;
struct Approved;
struct Authorised;
struct Rejected;
struct Withdrawn;
struct AmendmentInReview;
struct Revoked;
struct Expired;

struct Machine : sc::state_machine<Machine, Draft> {};

template <class Self, SpineState kState>
struct SpineStateBase : sc::simple_state<Self, Machine>, Named {
  SpineState state() const override { return kState; }
};

struct Draft : SpineStateBase<Draft, SpineState::Draft> {
  using reactions = mpl::list<sc::transition<EvSubmit, Submitted>, sc::transition<EvWithdraw, Withdrawn>>;
};

struct Submitted : SpineStateBase<Submitted, SpineState::Submitted> {
  using reactions = mpl::list<sc::transition<EvStartReview, InReview>, sc::transition<EvWithdraw, Withdrawn>>;
};

struct InReview : SpineStateBase<InReview, SpineState::InReview> {
  using reactions = mpl::list<sc::transition<EvRequestChanges, ChangesRequested>, sc::transition<EvReject, Rejected>,
                              sc::custom_reaction<EvApprove>, sc::transition<EvWithdraw, Withdrawn>>;
  // Nothing is authorised without every configured approval: the guard lives here, not in a
  // definition, so no country can configure it away.
  sc::result react(const EvApprove& e);
};

struct ChangesRequested : SpineStateBase<ChangesRequested, SpineState::ChangesRequested> {
  using reactions = mpl::list<sc::transition<EvSubmit, Submitted>, sc::transition<EvWithdraw, Withdrawn>>;
};

struct Approved : SpineStateBase<Approved, SpineState::Approved> {
  using reactions = mpl::list<sc::transition<EvAuthorise, Authorised>, sc::transition<EvReturnToReview, InReview>,
                              sc::transition<EvReject, Rejected>, sc::transition<EvWithdraw, Withdrawn>>;
};

// Once authorised the applicant can no longer withdraw: only amendment, revocation or expiry.
struct Authorised : SpineStateBase<Authorised, SpineState::Authorised> {
  using reactions = mpl::list<sc::transition<EvOpenAmendment, AmendmentInReview>, sc::transition<EvRevoke, Revoked>,
                              sc::transition<EvExpire, Expired>>;
};

// Either way the authorisation stands: approved gives a new version, refused keeps the old one.
struct AmendmentInReview : SpineStateBase<AmendmentInReview, SpineState::AmendmentInReview> {
  using reactions = mpl::list<sc::transition<EvApproveAmendment, Authorised>,
                              sc::transition<EvRefuseAmendment, Authorised>, sc::transition<EvRevoke, Revoked>>;
};

struct Rejected : SpineStateBase<Rejected, SpineState::Rejected> {};
struct Withdrawn : SpineStateBase<Withdrawn, SpineState::Withdrawn> {};
struct Revoked : SpineStateBase<Revoked, SpineState::Revoked> {};
struct Expired : SpineStateBase<Expired, SpineState::Expired> {};

sc::result InReview::react(const EvApprove& e) {
  if (!e.allApprovalsPassed) return discard_event();
  return transit<Approved>();
}

// The shortest lawful path from draft to each state, used to start a machine anywhere.
std::vector<SpineEvent> pathTo(SpineState at) {
  using E = SpineEvent;
  switch (at) {
    case SpineState::Draft:
      return {};
    case SpineState::Submitted:
      return {E::Submit};
    case SpineState::InReview:
      return {E::Submit, E::StartReview};
    case SpineState::ChangesRequested:
      return {E::Submit, E::StartReview, E::RequestChanges};
    case SpineState::Approved:
      return {E::Submit, E::StartReview, E::Approve};
    case SpineState::Authorised:
      return {E::Submit, E::StartReview, E::Approve, E::Authorise};
    case SpineState::Rejected:
      return {E::Submit, E::StartReview, E::Reject};
    case SpineState::Withdrawn:
      return {E::Withdraw};
    case SpineState::AmendmentInReview:
      return {E::Submit, E::StartReview, E::Approve, E::Authorise, E::OpenAmendment};
    case SpineState::Revoked:
      return {E::Submit, E::StartReview, E::Approve, E::Authorise, E::Revoke};
    case SpineState::Expired:
      return {E::Submit, E::StartReview, E::Approve, E::Authorise, E::Expire};
  }
  throw std::logic_error("unknown spine state");
}

}  // namespace

struct Spine::Impl {
  Machine machine;
};

const char* toString(SpineEvent e) {
  switch (e) {
    case SpineEvent::Submit:
      return "submit";
    case SpineEvent::StartReview:
      return "start_review";
    case SpineEvent::RequestChanges:
      return "request_changes";
    case SpineEvent::Reject:
      return "reject";
    case SpineEvent::Approve:
      return "approve";
    case SpineEvent::Authorise:
      return "authorise";
    case SpineEvent::ReturnToReview:
      return "return_to_review";
    case SpineEvent::Withdraw:
      return "withdraw";
    case SpineEvent::OpenAmendment:
      return "open_amendment";
    case SpineEvent::ApproveAmendment:
      return "approve_amendment";
    case SpineEvent::RefuseAmendment:
      return "refuse_amendment";
    case SpineEvent::Revoke:
      return "revoke";
    case SpineEvent::Expire:
      return "expire";
  }
  return "unknown";
}

Spine::Spine() : impl_(std::make_unique<Impl>()) { impl_->machine.initiate(); }

Spine::Spine(SpineState at) : Spine() {
  for (SpineEvent e : pathTo(at)) {
    if (!process(e, true)) throw std::logic_error("spine: no path to " + std::string(toString(at)));
  }
}

Spine::~Spine() = default;
Spine::Spine(Spine&&) noexcept = default;
Spine& Spine::operator=(Spine&&) noexcept = default;

SpineState Spine::current() const { return impl_->machine.state_cast<const Named&>().state(); }

bool Spine::process(SpineEvent e, bool allApprovalsPassed) {
  const SpineState before = current();
  Machine& m = impl_->machine;
  switch (e) {
    case SpineEvent::Submit:
      m.process_event(EvSubmit());
      break;
    case SpineEvent::StartReview:
      m.process_event(EvStartReview());
      break;
    case SpineEvent::RequestChanges:
      m.process_event(EvRequestChanges());
      break;
    case SpineEvent::Reject:
      m.process_event(EvReject());
      break;
    case SpineEvent::Approve:
      m.process_event(EvApprove(allApprovalsPassed));
      break;
    case SpineEvent::Authorise:
      m.process_event(EvAuthorise());
      break;
    case SpineEvent::ReturnToReview:
      m.process_event(EvReturnToReview());
      break;
    case SpineEvent::Withdraw:
      m.process_event(EvWithdraw());
      break;
    case SpineEvent::OpenAmendment:
      m.process_event(EvOpenAmendment());
      break;
    case SpineEvent::ApproveAmendment:
      m.process_event(EvApproveAmendment());
      break;
    case SpineEvent::RefuseAmendment:
      m.process_event(EvRefuseAmendment());
      break;
    case SpineEvent::Revoke:
      m.process_event(EvRevoke());
      break;
    case SpineEvent::Expire:
      m.process_event(EvExpire());
      break;
  }
  // The spine has no self-transitions, so "moved" is exactly "the state differs".
  return current() != before;
}

bool Spine::editable(SpineState s) { return s == SpineState::Draft || s == SpineState::ChangesRequested; }

bool Spine::terminal(SpineState s) {
  return s == SpineState::Rejected || s == SpineState::Withdrawn || s == SpineState::Revoked ||
         s == SpineState::Expired;
}

}  // namespace a6::workflows
