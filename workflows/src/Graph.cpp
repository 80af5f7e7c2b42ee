// DOT output for a workflow definition. Only the model is read; nothing is checked here, so a
// definition with dangling names (one not loaded through the loader) still draws.
#include "a6/workflows/Graph.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <vector>

#include "a6/workflows/Duration.h"

namespace a6::workflows {
namespace {

// A DOT double-quoted string; newlines become DOT's centred line break.
std::string quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

// Stage ids cannot hold ':', so these never collide with a stage node.
std::string outcomeNode(Outcome o) { return std::string("outcome:") + toString(o); }

struct OutcomeStyle {
  Outcome outcome;
  const char* label;
  const char* shape;
};
constexpr OutcomeStyle kOutcomes[] = {
    {Outcome::Approved, "approved", "doublecircle"},
    {Outcome::Authorised, "authorised", "doubleoctagon"},
    {Outcome::ChangesRequested, "changes requested", "note"},
    {Outcome::Rejected, "rejected", "octagon"},
    {Outcome::AmendmentApproved, "amendment approved", "tripleoctagon"},
};

std::string stageLabel(const Stage& s) {
  std::string label = s.id + "\nrole: " + s.role;
  if (s.quorum > 1) label += "\nquorum " + std::to_string(s.quorum) + " of " + std::to_string(s.of);
  if (s.sla) {
    label += "\nSLA " + formatDuration(s.sla->due);
    if (s.sla->reminder) label += ", reminder " + formatDuration(*s.sla->reminder);
    if (!s.sla->escalateTo.empty()) label += ", escalate to " + s.sla->escalateTo;
  }
  for (const auto& from : s.segregatedFrom) label += "\nnot those who acted on " + from;
  return label;
}

std::string guardText(const Guard& g) {
  std::string text = g.field + " " + toString(g.op);
  for (std::size_t i = 0; i < g.values.size(); ++i) text += (i == 0 ? " " : ", ") + g.values[i];
  return "[" + text + "]";
}

std::string decisionLabel(const Decision& d) {
  std::string label = d.event;
  if (d.quorum) label += " (quorum " + std::to_string(*d.quorum) + ")";
  for (const auto& g : d.guards) label += "\n" + guardText(g);
  return label;
}

// Where a decision leads, as a node id, or "" when it leads nowhere drawable.
std::string targetOf(const Definition& def, const Decision& d) {
  if (d.outcome != Outcome::None) return outcomeNode(d.outcome);
  if (!d.next.empty() && def.stage(d.next)) return d.next;
  return "";
}

}  // namespace

std::string toDot(const Definition& d, const std::string& currentStage) {
  std::ostringstream out;
  out << "digraph workflow {\n";
  std::string title = d.title.empty() ? d.name : d.title;
  out << "  label=" << quote(title + "\n" + d.name + " v" + std::to_string(d.version)) << ";\n";
  out << "  labelloc=t;\n  fontname=\"Helvetica\";\n  rankdir=TB;\n";
  out << "  node [fontname=\"Helvetica\", fontsize=11, shape=box, style=rounded];\n";
  out << "  edge [fontname=\"Helvetica\", fontsize=10];\n\n";

  const Stage* entry = d.entryStage();
  const Stage* amendmentEntry = d.amendmentEntryStage();
  if (entry) out << "  \"spine:submitted\" [label=\"submitted\", shape=ellipse];\n";
  if (amendmentEntry) out << "  \"spine:amendment_opened\" [label=\"amendment opened\", shape=ellipse];\n";

  for (Phase phase : {Phase::Review, Phase::Approval, Phase::Confirmation, Phase::Amendment}) {
    auto stages = d.stagesIn(phase);
    if (stages.empty()) continue;
    out << "\n  subgraph cluster_" << toString(phase) << " {\n";
    out << "    label=" << quote(toString(phase)) << ";\n    style=dashed;\n";
    for (const Stage* s : stages) {
      out << "    " << quote(s->id) << " [label=" << quote(stageLabel(*s));
      if (!currentStage.empty() && s->id == currentStage) {
        out << ", style=\"rounded,filled\", fillcolor=\"gold\", penwidth=2";
      }
      out << "];\n";
    }
    out << "  }\n";
  }

  // Only the outcomes some decision reaches, in a fixed order.
  std::set<Outcome> used;
  for (const auto& s : d.stages) {
    for (const auto& dec : s.decisions) {
      if (dec.outcome != Outcome::None) used.insert(dec.outcome);
    }
  }
  out << "\n";
  for (const auto& style : kOutcomes) {
    if (!used.contains(style.outcome)) continue;
    out << "  " << quote(outcomeNode(style.outcome)) << " [label=" << quote(style.label) << ", shape=" << style.shape
        << "];\n";
  }

  out << "\n";
  if (entry) out << "  \"spine:submitted\" -> " << quote(entry->id) << ";\n";
  if (amendmentEntry) out << "  \"spine:amendment_opened\" -> " << quote(amendmentEntry->id) << ";\n";
  std::vector<std::string> resumeTargets;
  for (const auto& s : d.stages) {
    for (const auto& dec : s.decisions) {
      std::string target = targetOf(d, dec);
      if (target.empty()) continue;
      out << "  " << quote(s.id) << " -> " << quote(target) << " [label=" << quote(decisionLabel(dec)) << "];\n";
      if (dec.outcome == Outcome::ChangesRequested) {
        std::string resume = !dec.resume.empty() ? dec.resume : (entry ? entry->id : "");
        if (!resume.empty() && d.stage(resume) &&
            std::find(resumeTargets.begin(), resumeTargets.end(), resume) == resumeTargets.end()) {
          resumeTargets.push_back(resume);
        }
      }
    }
    if (s.timeout) {
      for (const auto& dec : s.decisions) {
        if (dec.event != s.timeout->decision) continue;
        std::string target = targetOf(d, dec);
        if (target.empty()) break;
        out << "  " << quote(s.id) << " -> " << quote(target)
            << " [label=" << quote("timeout " + formatDuration(s.timeout->after)) << ", style=dotted];\n";
        break;
      }
    }
  }
  // Spine moves that no decision names: approval opens the confirmation phase; a resubmission
  // after a change request continues where the decision said.
  auto confirmation = d.stagesIn(Phase::Confirmation);
  if (used.contains(Outcome::Approved) && !confirmation.empty()) {
    out << "  " << quote(outcomeNode(Outcome::Approved)) << " -> " << quote(confirmation.front()->id)
        << " [style=dashed];\n";
  }
  for (const auto& resume : resumeTargets) {
    out << "  " << quote(outcomeNode(Outcome::ChangesRequested)) << " -> " << quote(resume)
        << " [label=\"resubmitted\", style=dashed];\n";
  }
  out << "}\n";
  return out.str();
}

}  // namespace a6::workflows
