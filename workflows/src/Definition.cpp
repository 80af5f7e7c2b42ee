// The names of the definition model's enums (as written in definition XML) and the look-ups the
// engine and the graph need on a loaded definition.
#include "a6/workflows/Definition.h"

namespace a6::workflows {

const char* toString(Phase phase) {
  switch (phase) {
    case Phase::Review:
      return "review";
    case Phase::Approval:
      return "approval";
    case Phase::Confirmation:
      return "confirmation";
    case Phase::Amendment:
      return "amendment";
  }
  return "review";
}

const char* toString(Guard::Op op) {
  switch (op) {
    case Guard::Op::Eq:
      return "eq";
    case Guard::Op::Ne:
      return "ne";
    case Guard::Op::Lt:
      return "lt";
    case Guard::Op::Le:
      return "le";
    case Guard::Op::Gt:
      return "gt";
    case Guard::Op::Ge:
      return "ge";
    case Guard::Op::Present:
      return "present";
    case Guard::Op::Absent:
      return "absent";
    case Guard::Op::In:
      return "in";
    case Guard::Op::NotIn:
      return "not-in";
  }
  return "present";
}

const char* toString(Effect::Kind kind) {
  switch (kind) {
    case Effect::Kind::Letter:
      return "letter";
    case Effect::Kind::Unfccc:
      return "unfccc";
    case Effect::Kind::Email:
      return "email";
    case Effect::Kind::Webhook:
      return "webhook";
  }
  return "webhook";
}

const char* toString(Outcome outcome) {
  switch (outcome) {
    case Outcome::None:
      return "none";
    case Outcome::Approved:
      return "approved";
    case Outcome::Authorised:
      return "authorised";
    case Outcome::ChangesRequested:
      return "changes_requested";
    case Outcome::Rejected:
      return "rejected";
    case Outcome::AmendmentApproved:
      return "amendment_approved";
  }
  return "none";
}

const Stage* Definition::stage(const std::string& id) const {
  for (const auto& s : stages) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const Stage* Definition::entryStage() const {
  for (Phase phase : {Phase::Review, Phase::Approval}) {
    for (const auto& s : stages) {
      if (s.phase == phase) return &s;
    }
  }
  return nullptr;
}

const Stage* Definition::amendmentEntryStage() const {
  for (const auto& s : stages) {
    if (s.phase == Phase::Amendment) return &s;
  }
  return nullptr;
}

std::vector<const Stage*> Definition::stagesIn(Phase phase) const {
  std::vector<const Stage*> out;
  for (const auto& s : stages) {
    if (s.phase == phase) out.push_back(&s);
  }
  return out;
}

}  // namespace a6::workflows
