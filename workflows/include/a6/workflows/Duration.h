// ISO 8601 durations as stage SLAs use them: PnW, PnDTnHnMnS. Years and months are refused
// because their length depends on the calendar; a definition says P30D, not P1M.
#pragma once

#include <chrono>
#include <string>

namespace a6::workflows {

// Throws a6::Error (Invalid) naming what is wrong with the text.
std::chrono::seconds parseDuration(const std::string& text);
std::string formatDuration(std::chrono::seconds d);

}  // namespace a6::workflows
