#include "a6/templates/Value.h"

namespace a6::templates {

const Value* Value::find(const std::string& key) const {
  // Anything but a map has no members: lookups through strings, numbers or lists simply miss.
  if (!isMap()) return nullptr;
  const Map& members = asMap();
  auto it = members.find(key);
  return it == members.end() ? nullptr : &it->second;
}

}  // namespace a6::templates
