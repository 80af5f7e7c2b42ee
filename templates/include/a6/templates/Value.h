// The data a template is rendered with: a small JSON-like value (null, bool, number, string, list,
// map), so that the templates module needs no JSON library and callers build it from anything.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace a6::templates {

class Value {
 public:
  using List = std::vector<Value>;
  using Map = std::map<std::string, Value>;

  Value() = default;  // null
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  Value(int n) : v_(static_cast<double>(n)) {}
  Value(long long n) : v_(static_cast<double>(n)) {}
  Value(double d) : v_(d) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(List l) : v_(std::make_shared<List>(std::move(l))) {}
  Value(Map m) : v_(std::make_shared<Map>(std::move(m))) {}

  bool isNull() const { return std::holds_alternative<std::monostate>(v_); }
  bool isBool() const { return std::holds_alternative<bool>(v_); }
  bool isNumber() const { return std::holds_alternative<double>(v_); }
  bool isString() const { return std::holds_alternative<std::string>(v_); }
  bool isList() const { return std::holds_alternative<std::shared_ptr<List>>(v_); }
  bool isMap() const { return std::holds_alternative<std::shared_ptr<Map>>(v_); }

  bool asBool() const { return std::get<bool>(v_); }
  double asNumber() const { return std::get<double>(v_); }
  const std::string& asString() const { return std::get<std::string>(v_); }
  const List& asList() const { return *std::get<std::shared_ptr<List>>(v_); }
  const Map& asMap() const { return *std::get<std::shared_ptr<Map>>(v_); }

  // The member `key` of a map, or nullptr.
  const Value* find(const std::string& key) const;

 private:
  std::variant<std::monostate, bool, double, std::string, std::shared_ptr<List>, std::shared_ptr<Map>> v_;
};

}  // namespace a6::templates
