// The DOT drawing of a definition: nodes, clusters, outcome shapes, edge labels, the highlighted
// stage, escaping, and that the same definition always gives the same text.
#include "a6/workflows/Graph.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "a6/workflows/DefinitionLoader.h"

namespace a6::workflows {
namespace {

const std::string kXml = R"(<workflow xmlns="urn:a6auth:workflow:1" name="graph-test" version="2">
  <title>Graph test</title>
  <roles>
    <role id="officer">Officer</role>
    <role id="committee">Committee</role>
    <role id="minister">Minister</role>
    <role id="partner">Partner</role>
  </roles>
  <review>
    <stage id="screening" role="officer">
      <sla due="P10D" reminder="P7D" escalate-to="minister"/>
      <decision event="accept" next="technical_review"/>
      <decision event="request_changes" outcome="changes_requested"/>
    </stage>
    <stage id="technical_review" role="committee" quorum="2" of="3">
      <segregation from="screening"/>
      <decision event="endorse" next="approval"/>
      <decision event="send_back" outcome="changes_requested" resume="technical_review" quorum="1"/>
    </stage>
  </review>
  <approval>
    <stage id="approval" role="minister">
      <decision event="approve" outcome="approved">
        <guard field="authorisation.cooperative_approach_id" op="present"/>
      </decision>
      <decision event="reject" outcome="rejected"/>
    </stage>
  </approval>
  <confirmation>
    <stage id="objection_window" role="partner">
      <timeout after="P30D" decision="consent"/>
      <decision event="consent" outcome="authorised"/>
      <decision event="object" next="technical_review"/>
    </stage>
  </confirmation>
  <amendment>
    <stage id="amendment_approval" role="minister">
      <decision event="approve" outcome="amendment_approved"/>
      <decision event="reject" outcome="rejected"/>
    </stage>
  </amendment>
</workflow>
)";

Definition load() {
  return loadDefinitionText(kXml, "graph.xml", LoadOptions{{"authorisation.cooperative_approach_id"}});
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The text of the node statement for `id` (from the quoted id to the end of its line).
std::string nodeLine(const std::string& dot, const std::string& id) {
  auto at = dot.find("    \"" + id + "\" [label=");
  if (at == std::string::npos) at = dot.find("  \"" + id + "\" [label=");
  if (at == std::string::npos) return "";
  return dot.substr(at, dot.find('\n', at) - at);
}

TEST(GraphTest, IsADigraphWithBalancedBraces) {
  std::string dot = toDot(load());
  EXPECT_EQ(dot.rfind("digraph workflow {", 0), 0u) << dot;
  EXPECT_EQ(dot.substr(dot.size() - 2), "}\n");
  EXPECT_EQ(std::count(dot.begin(), dot.end(), '{'), std::count(dot.begin(), dot.end(), '}'));
  EXPECT_TRUE(contains(dot, "label=\"Graph test\\ngraph-test v2\"")) << dot;
}

TEST(GraphTest, OneNodePerStageInAClusterPerPhase) {
  std::string dot = toDot(load());
  for (const char* id : {"screening", "technical_review", "approval", "objection_window", "amendment_approval"}) {
    EXPECT_FALSE(nodeLine(dot, id).empty()) << id << "\n" << dot;
  }
  for (const char* phase : {"review", "approval", "confirmation", "amendment"}) {
    EXPECT_TRUE(contains(dot, std::string("subgraph cluster_") + phase + " {\n    label=\"" + phase + "\";")) << phase;
  }
  // Stages sit inside their phase's cluster.
  auto review = dot.find("subgraph cluster_review");
  auto approval = dot.find("subgraph cluster_approval");
  auto screening = dot.find("\"screening\" [label=");
  EXPECT_LT(review, screening);
  EXPECT_LT(screening, approval);
}

TEST(GraphTest, StageLabelsShowIdRoleQuorumAndSla) {
  std::string dot = toDot(load());
  EXPECT_TRUE(contains(nodeLine(dot, "screening"),
                       "label=\"screening\\nrole: officer\\nSLA P10D, reminder P7D, escalate to minister\""))
      << dot;
  EXPECT_TRUE(contains(nodeLine(dot, "technical_review"), "role: committee\\nquorum 2 of 3")) << dot;
  // Quorum is shown only when more than one actor must agree.
  EXPECT_FALSE(contains(nodeLine(dot, "approval"), "quorum")) << dot;
}

TEST(GraphTest, OutcomesAreDistinctShapes) {
  std::string dot = toDot(load());
  const std::vector<std::pair<std::string, std::string>> outcomes = {{"approved", "approved"},
                                                                     {"authorised", "authorised"},
                                                                     {"changes_requested", "changes requested"},
                                                                     {"rejected", "rejected"},
                                                                     {"amendment_approved", "amendment approved"}};
  std::vector<std::string> shapes;
  for (const auto& [id, label] : outcomes) {
    std::string line = nodeLine(dot, "outcome:" + id);
    ASSERT_FALSE(line.empty()) << id << "\n" << dot;
    EXPECT_TRUE(contains(line, "label=\"" + label + "\"")) << line;
    auto at = line.find("shape=");
    ASSERT_NE(at, std::string::npos) << line;
    shapes.push_back(line.substr(at, line.find(']', at) - at));
  }
  std::sort(shapes.begin(), shapes.end());
  EXPECT_EQ(std::unique(shapes.begin(), shapes.end()), shapes.end());
}

TEST(GraphTest, OnlyOutcomesThatAreReachedAreDrawn) {
  Definition d = load();
  d.stages.pop_back();  // the amendment stage
  std::string dot = toDot(d);
  EXPECT_FALSE(contains(dot, "outcome:amendment_approved")) << dot;
  EXPECT_FALSE(contains(dot, "spine:amendment_opened")) << dot;
}

TEST(GraphTest, EdgesAreLabelledByDecisionAndTimeout) {
  std::string dot = toDot(load());
  EXPECT_TRUE(contains(dot, "  \"screening\" -> \"technical_review\" [label=\"accept\"];\n")) << dot;
  EXPECT_TRUE(contains(dot, "  \"screening\" -> \"outcome:changes_requested\" [label=\"request_changes\"];\n"));
  EXPECT_TRUE(contains(dot, "\"technical_review\" -> \"outcome:changes_requested\" [label=\"send_back (quorum 1)\"]"));
  EXPECT_TRUE(contains(
      dot,
      "\"approval\" -> \"outcome:approved\" [label=\"approve\\n[authorisation.cooperative_approach_id present]\"]"))
      << dot;
  EXPECT_TRUE(contains(dot, "\"objection_window\" -> \"technical_review\" [label=\"object\"]"));
  EXPECT_TRUE(contains(dot, "\"objection_window\" -> \"outcome:authorised\" [label=\"timeout P30D\", style=dotted]"))
      << dot;
  // Spine moves: submission enters the first stage, approval opens the confirmation phase, and
  // resubmissions continue where the change request said.
  EXPECT_TRUE(contains(dot, "\"spine:submitted\" -> \"screening\";"));
  EXPECT_TRUE(contains(dot, "\"spine:amendment_opened\" -> \"amendment_approval\";"));
  EXPECT_TRUE(contains(dot, "\"outcome:approved\" -> \"objection_window\" [style=dashed]"));
  EXPECT_TRUE(contains(dot, "\"outcome:changes_requested\" -> \"screening\" [label=\"resubmitted\", style=dashed]"));
  EXPECT_TRUE(
      contains(dot, "\"outcome:changes_requested\" -> \"technical_review\" [label=\"resubmitted\", style=dashed]"));
}

TEST(GraphTest, HighlightsTheCurrentStageOnly) {
  Definition d = load();
  std::string plain = toDot(d);
  EXPECT_FALSE(contains(plain, "filled")) << plain;
  std::string dot = toDot(d, "technical_review");
  EXPECT_TRUE(contains(nodeLine(dot, "technical_review"), "style=\"rounded,filled\"")) << dot;
  EXPECT_EQ(std::count(dot.begin(), dot.end(), '\n'), std::count(plain.begin(), plain.end(), '\n'));
  auto first = dot.find("filled");
  EXPECT_EQ(dot.find("filled", first + 1), std::string::npos) << dot;
  EXPECT_EQ(toDot(d, "no_such_stage"), plain);
}

TEST(GraphTest, SameDefinitionSameText) {
  EXPECT_EQ(toDot(load()), toDot(load()));
  EXPECT_EQ(toDot(load(), "approval"), toDot(load(), "approval"));
}

TEST(GraphTest, EscapesQuotesAndBackslashesInLabels) {
  Definition d;
  d.name = "escape";
  d.title = "The \"quoted\" \\ title";
  Stage s;
  s.id = "only";
  s.phase = Phase::Approval;
  s.role = "role";
  Decision approve;
  approve.event = "approve";
  approve.outcome = Outcome::Approved;
  Guard g;
  g.field = "authorisation.purposes";
  g.op = Guard::Op::In;
  g.values = {"say \"NDC\"", "OIMP"};
  approve.guards.push_back(g);
  s.decisions.push_back(approve);
  d.stages.push_back(s);
  std::string dot = toDot(d);
  EXPECT_TRUE(contains(dot, "label=\"The \\\"quoted\\\" \\\\ title\\nescape v1\"")) << dot;
  EXPECT_TRUE(contains(dot, "[authorisation.purposes in say \\\"NDC\\\", OIMP]")) << dot;
  // Every quote in the text is either a delimiter or escaped: an even number of unescaped quotes.
  int unescaped = 0;
  for (std::size_t i = 0; i < dot.size(); ++i) {
    if (dot[i] == '\\') {
      ++i;
    } else if (dot[i] == '"') {
      ++unescaped;
    }
  }
  EXPECT_EQ(unescaped % 2, 0);
}

}  // namespace
}  // namespace a6::workflows
