// Escaping as the Mustache spec defines it for {{name}}: & < > " and ' become entities.
#pragma once

#include <string>
#include <string_view>

namespace a6::templates {

std::string escapeHtml(std::string_view text);

}  // namespace a6::templates
