// Draws a workflow definition as a Graphviz DOT graph, for `a6auth workflow graph` and for
// authors checking what they wrote: stages clustered by phase, spine outcomes as distinct shapes.
#pragma once

#include <string>

#include "a6/workflows/Definition.h"

namespace a6::workflows {

// Same definition, same text: stages, edges and outcomes come out in definition order. When
// `currentStage` names a stage, that node is drawn filled (where a request is now).
std::string toDot(const Definition& d, const std::string& currentStage = "");

}  // namespace a6::workflows
