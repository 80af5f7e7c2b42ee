// Country codes as ISO 3166-1 defines them; the list is compiled in (see CountryCodes.cpp).
#pragma once

#include <string_view>

namespace a6::service {

// True when `code` is an assigned ISO 3166-1 alpha-3 code, in capitals ("GHA", not "gha").
bool isIsoAlpha3(std::string_view code);

}  // namespace a6::service
