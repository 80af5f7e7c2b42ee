// The JSON codec of an authorisation request, RFC 7396 merge patch for PATCH, and the canonical
// JSON form that event payloads are hashed in.
#include "a6/service/http/RequestJson.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>
#include <typeinfo>
#include <utility>

#include <Poco/JSON/Array.h>

namespace a6::service {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// A Var may hold an object or array by pointer (what the parser produces) or by value (what
// code building JSON by hand may produce); both are read the same way.
const Object* asObject(const Var& value) {
  if (value.type() == typeid(Object::Ptr)) return value.extract<Object::Ptr>().get();
  if (value.type() == typeid(Object)) return &value.extract<Object>();
  return nullptr;
}

const Array* asArray(const Var& value) {
  if (value.type() == typeid(Array::Ptr)) return value.extract<Array::Ptr>().get();
  if (value.type() == typeid(Array)) return &value.extract<Array>();
  return nullptr;
}

const std::string* asString(const Var& value) {
  if (value.type() == typeid(std::string)) return &value.extract<std::string>();
  return nullptr;
}

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string indexed(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// ---- decoding -------------------------------------------------------------------------------

class Decoder {
 public:
  using Handler = std::function<void(const Var&, const std::string&)>;
  using Fields = std::vector<std::pair<std::string_view, Handler>>;

  explicit Decoder(std::vector<a6::FieldError>& errors) : errors_(errors) {}

  void typeError(const std::string& path, std::string message) {
    errors_.push_back({path, "type", std::move(message)});
  }

  // Hands each member of `object` to its field's handler; a null member is absent and a key
  // the contract does not have is refused.
  void members(const Object& object, const std::string& path, const Fields& fields) {
    for (const auto& [key, value] : object) {
      const std::string childPath = join(path, key);
      const auto field = std::find_if(fields.begin(), fields.end(), [&key](const auto& f) { return f.first == key; });
      if (field == fields.end()) {
        errors_.push_back({childPath, "unknown_field",
                           "is not a field of an authorisation request; check its name and "
                           "where it is nested."});
        continue;
      }
      if (value.isEmpty()) continue;
      field->second(value, childPath);
    }
  }

  // A nested object: its members go to `fields`; anything but an object is a type error.
  void object(const Var& value, const std::string& path, const Fields& fields) {
    const Object* o = asObject(value);
    if (!o) {
      typeError(path, "must be an object.");
      return;
    }
    members(*o, path, fields);
  }

  Handler string(std::optional<std::string>& out) {
    return [this, &out](const Var& value, const std::string& path) {
      if (const std::string* s = asString(value)) {
        out = *s;
      } else {
        typeError(path, "must be a string.");
      }
    };
  }

  Handler stringList(std::vector<std::string>& out) {
    return [this, &out](const Var& value, const std::string& path) {
      const Array* a = asArray(value);
      if (!a) {
        typeError(path, "must be a list (JSON array) of strings.");
        return;
      }
      for (std::size_t i = 0; i < a->size(); ++i) {
        const Var item = a->get(static_cast<unsigned>(i));
        if (const std::string* s = asString(item)) {
          out.push_back(*s);
        } else {
          typeError(indexed(path, i), "must be a string.");
        }
      }
    };
  }

  // A JSON integer that fits in int64. `expected` names what the field holds, for the message.
  std::optional<std::int64_t> integer(const Var& value, const std::string& path, const std::string& expected) {
    // bool is an "integer" to Poco::Dynamic, but not to JSON.
    if (value.isBoolean() || !value.isInteger()) {
      typeError(path, "must be " + expected + " (a JSON integer, with no fraction or exponent).");
      return std::nullopt;
    }
    if (value.isSigned()) return value.convert<std::int64_t>();
    const auto unsignedValue = value.convert<std::uint64_t>();
    if (unsignedValue > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      typeError(path, "must be " + expected + " no larger than 9223372036854775807.");
      return std::nullopt;
    }
    return static_cast<std::int64_t>(unsignedValue);
  }

  Handler quantity(std::optional<std::int64_t>& out) {
    return [this, &out](const Var& value, const std::string& path) {
      if (auto n = integer(value, path, "a whole number of tonnes")) out = *n;
    };
  }

  Handler year(std::optional<int>& out) {
    return [this, &out](const Var& value, const std::string& path) {
      const auto n = integer(value, path, "a year");
      if (!n) return;
      // validateRequest cannot see a year that did not fit, so its range is stated here.
      if (*n < std::numeric_limits<int>::min() || *n > std::numeric_limits<int>::max()) {
        errors_.push_back({path, "range", "must be a year from 2021 to 2100."});
        return;
      }
      out = static_cast<int>(*n);
    };
  }

  Handler dateRange(DateRange& out) {
    return [this, &out](const Var& value, const std::string& path) {
      object(value, path, {{"from", string(out.from)}, {"to", string(out.to)}});
    };
  }

  Handler entities(std::vector<AuthorisedEntity>& out) {
    return [this, &out](const Var& value, const std::string& path) {
      const Array* a = asArray(value);
      if (!a) {
        typeError(path, "must be a list (JSON array) of objects.");
        return;
      }
      out.reserve(a->size());
      for (std::size_t i = 0; i < a->size(); ++i) {
        const Var item = a->get(static_cast<unsigned>(i));
        const std::string itemPath = indexed(path, i);
        if (!asObject(item)) {
          typeError(itemPath, "must be an object.");
          continue;
        }
        AuthorisedEntity& e = out.emplace_back();
        object(item, itemPath,
               {{"name", string(e.name)},
                {"country", string(e.country)},
                {"identification_number", string(e.identificationNumber)},
                {"conditions", string(e.conditions)},
                {"change_and_revocation_conditions", string(e.changeAndRevocationConditions)}});
      }
    };
  }

 private:
  std::vector<a6::FieldError>& errors_;
};

// ---- encoding -------------------------------------------------------------------------------

Var nullable(const std::optional<std::string>& value) { return value ? Var(*value) : Var(); }

Var nullable(const std::optional<std::int64_t>& value) { return value ? Var(static_cast<Poco::Int64>(*value)) : Var(); }

Var nullable(const std::optional<int>& value) { return value ? Var(static_cast<Poco::Int64>(*value)) : Var(); }

Array::Ptr list(const std::vector<std::string>& values) {
  Array::Ptr array = new Array;
  for (const std::string& v : values) array->add(v);
  return array;
}

Object::Ptr dateRange(const DateRange& range) {
  Object::Ptr o = new Object;
  o->set("from", nullable(range.from));
  o->set("to", nullable(range.to));
  return o;
}

// ---- merge patch ----------------------------------------------------------------------------

Var deepCopy(const Var& value);

Object::Ptr copyObject(const Object& object) {
  Object::Ptr copy = new Object;
  for (const auto& [key, member] : object) copy->set(key, deepCopy(member));
  return copy;
}

Var deepCopy(const Var& value) {
  if (const Object* o = asObject(value)) return copyObject(*o);
  if (const Array* a = asArray(value)) {
    Array::Ptr copy = new Array;
    for (const Var& item : *a) copy->add(deepCopy(item));
    return copy;
  }
  return value;
}

// RFC 7396's MergePatch(Target, Patch) for an object patch; `target` is null when the target
// is not an object (or absent), which the RFC treats as an empty object.
Object::Ptr mergeObject(const Object* target, const Object& patch) {
  Object::Ptr result = target ? copyObject(*target) : Object::Ptr(new Object);
  for (const auto& [key, member] : patch) {
    if (member.isEmpty()) {
      result->remove(key);
    } else if (const Object* memberPatch = asObject(member)) {
      const Var existing = result->has(key) ? result->get(key) : Var();
      result->set(key, mergeObject(asObject(existing), *memberPatch));
    } else {
      result->set(key, deepCopy(member));
    }
  }
  return result;
}

// ---- canonical JSON -------------------------------------------------------------------------

[[noreturn]] void noJsonForm(const std::string& what) {
  throw a6::Error(a6::ErrorCode::Internal, "canonicalJson: " + what + " has no JSON form");
}

void writeDouble(std::string& out, double d) {
  if (!std::isfinite(d)) noJsonForm("a NaN or infinite number");
  if (d == 0) {  // -0 and 0 are the same JSON number; hash them the same
    out += '0';
    return;
  }
  char buffer[32];
  // Without a precision, to_chars writes the shortest text that reads back as the same double.
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  if (ec != std::errc()) noJsonForm("a number that cannot be formatted");
  out.append(buffer, end);
}

void writeValue(std::string& out, const Var& value);

void writeArray(std::string& out, const auto& items) {
  out += '[';
  bool first = true;
  for (const Var& item : items) {
    if (!first) out += ',';
    first = false;
    writeValue(out, item);
  }
  out += ']';
}

void writeValue(std::string& out, const Var& value) {
  if (value.isEmpty()) {
    out += "null";
  } else if (value.type() == typeid(bool)) {
    out += value.extract<bool>() ? "true" : "false";
  } else if (const std::string* s = asString(value)) {
    appendJsonString(out, *s);
  } else if (const Object* o = asObject(value)) {
    // std::string's ordering compares bytes as unsigned char: byte order, whatever the locale.
    std::vector<const std::pair<const std::string, Var>*> members;
    members.reserve(o->size());
    for (const auto& member : *o) members.push_back(&member);
    std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    out += '{';
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out += ',';
      appendJsonString(out, members[i]->first);
      out += ':';
      writeValue(out, members[i]->second);
    }
    out += '}';
  } else if (const Array* a = asArray(value)) {
    writeArray(out, *a);
  } else if (value.type() == typeid(Poco::Dynamic::Array)) {
    writeArray(out, value.extract<Poco::Dynamic::Array>());
  } else if (value.type() == typeid(double)) {
    writeDouble(out, value.extract<double>());
  } else if (value.type() == typeid(float)) {
    writeDouble(out, static_cast<double>(value.extract<float>()));
  } else if (value.isInteger() && !value.isBoolean()) {
    out +=
        value.isSigned() ? std::to_string(value.convert<Poco::Int64>()) : std::to_string(value.convert<Poco::UInt64>());
  } else {
    noJsonForm(std::string("a value of type ") + value.type().name());
  }
}

}  // namespace

RequestFields decodeRequestFields(const Object& object, std::vector<a6::FieldError>& errors) {
  RequestFields r;
  Decoder d(errors);
  Applicant& ap = r.applicant;
  Activity& ac = r.activity;
  AuthorisationTerms& t = r.authorisation;

  const Decoder::Handler applicant = [&](const Var& value, const std::string& path) {
    d.object(value, path,
             {{"organisation", d.string(ap.organisation)},
              {"contact_name", d.string(ap.contactName)},
              {"contact_email", d.string(ap.contactEmail)}});
  };
  const Decoder::Handler activity = [&](const Var& value, const std::string& path) {
    d.object(value, path,
             {{"title", d.string(ac.title)},
              {"description", d.string(ac.description)},
              {"host_country", d.string(ac.hostCountry)},
              {"region", d.string(ac.region)},
              {"sector", d.stringList(ac.sector)},
              {"activity_type", d.stringList(ac.activityType)},
              {"standard", d.string(ac.standard)},
              {"methodology", d.string(ac.methodology)},
              {"design_document_ref", d.string(ac.designDocumentRef)},
              {"crediting_period", d.dateRange(ac.creditingPeriod)}});
  };
  const Decoder::Handler timeframe = [&](const Var& value, const std::string& path) {
    d.object(value, path,
             {{"mitigation_from", d.string(t.timeframe.mitigationFrom)},
              {"mitigation_to", d.string(t.timeframe.mitigationTo)},
              {"use_from", d.string(t.timeframe.useFrom)},
              {"use_to", d.string(t.timeframe.useTo)}});
  };
  const Decoder::Handler vintages = [&](const Var& value, const std::string& path) {
    d.object(value, path, {{"from", d.year(t.vintages.from)}, {"to", d.year(t.vintages.to)}});
  };
  const Decoder::Handler authorisation = [&](const Var& value, const std::string& path) {
    d.object(value, path,
             {{"cooperative_approach_id", d.string(t.cooperativeApproachId)},
              {"requested_quantity", d.quantity(t.requestedQuantity)},
              {"authorized_quantity", d.quantity(t.authorizedQuantity)},
              {"metric", d.string(t.metric)},
              {"gwp_values", d.string(t.gwpValues)},
              {"non_ghg_metric", d.string(t.nonGhgMetric)},
              {"non_ghg_unit", d.string(t.nonGhgUnit)},
              {"purposes", d.string(t.purposes)},
              {"oimp_authorized", d.string(t.oimpAuthorized)},
              {"first_transfer_definition", d.string(t.firstTransferDefinition)},
              {"authorized_parties", d.stringList(t.authorizedParties)},
              {"authorized_entities", d.entities(t.authorizedEntities)},
              {"timeframe", timeframe},
              {"vintages", vintages},
              {"underlying_unit_registry", d.string(t.underlyingUnitRegistry)},
              {"terms_and_conditions", d.string(t.termsAndConditions)},
              {"additional_information", d.string(t.additionalInformation)}});
  };

  d.members(object, "", {{"applicant", applicant}, {"activity", activity}, {"authorisation", authorisation}});
  return r;
}

Object::Ptr encodeRequestFields(const RequestFields& fields) {
  const Applicant& ap = fields.applicant;
  Object::Ptr applicant = new Object;
  applicant->set("organisation", nullable(ap.organisation));
  applicant->set("contact_name", nullable(ap.contactName));
  applicant->set("contact_email", nullable(ap.contactEmail));

  const Activity& ac = fields.activity;
  Object::Ptr activity = new Object;
  activity->set("title", nullable(ac.title));
  activity->set("description", nullable(ac.description));
  activity->set("host_country", nullable(ac.hostCountry));
  activity->set("region", nullable(ac.region));
  activity->set("sector", list(ac.sector));
  activity->set("activity_type", list(ac.activityType));
  activity->set("standard", nullable(ac.standard));
  activity->set("methodology", nullable(ac.methodology));
  activity->set("design_document_ref", nullable(ac.designDocumentRef));
  activity->set("crediting_period", dateRange(ac.creditingPeriod));

  const AuthorisationTerms& t = fields.authorisation;
  Array::Ptr entities = new Array;
  for (const AuthorisedEntity& e : t.authorizedEntities) {
    Object::Ptr entity = new Object;
    entity->set("name", nullable(e.name));
    entity->set("country", nullable(e.country));
    entity->set("identification_number", nullable(e.identificationNumber));
    entity->set("conditions", nullable(e.conditions));
    entity->set("change_and_revocation_conditions", nullable(e.changeAndRevocationConditions));
    entities->add(entity);
  }
  Object::Ptr timeframe = new Object;
  timeframe->set("mitigation_from", nullable(t.timeframe.mitigationFrom));
  timeframe->set("mitigation_to", nullable(t.timeframe.mitigationTo));
  timeframe->set("use_from", nullable(t.timeframe.useFrom));
  timeframe->set("use_to", nullable(t.timeframe.useTo));
  Object::Ptr vintages = new Object;
  vintages->set("from", nullable(t.vintages.from));
  vintages->set("to", nullable(t.vintages.to));

  Object::Ptr authorisation = new Object;
  authorisation->set("cooperative_approach_id", nullable(t.cooperativeApproachId));
  authorisation->set("requested_quantity", nullable(t.requestedQuantity));
  authorisation->set("authorized_quantity", nullable(t.authorizedQuantity));
  authorisation->set("metric", nullable(t.metric));
  authorisation->set("gwp_values", nullable(t.gwpValues));
  authorisation->set("non_ghg_metric", nullable(t.nonGhgMetric));
  authorisation->set("non_ghg_unit", nullable(t.nonGhgUnit));
  authorisation->set("purposes", nullable(t.purposes));
  authorisation->set("oimp_authorized", nullable(t.oimpAuthorized));
  authorisation->set("first_transfer_definition", nullable(t.firstTransferDefinition));
  authorisation->set("authorized_parties", list(t.authorizedParties));
  authorisation->set("authorized_entities", entities);
  authorisation->set("timeframe", timeframe);
  authorisation->set("vintages", vintages);
  authorisation->set("underlying_unit_registry", nullable(t.underlyingUnitRegistry));
  authorisation->set("terms_and_conditions", nullable(t.termsAndConditions));
  authorisation->set("additional_information", nullable(t.additionalInformation));

  Object::Ptr out = new Object;
  out->set("applicant", applicant);
  out->set("activity", activity);
  out->set("authorisation", authorisation);
  return out;
}

Object::Ptr applyMergePatch(const Object& target, const Object& patch) { return mergeObject(&target, patch); }

std::string canonicalJson(const Var& value) {
  std::string out;
  writeValue(out, value);
  return out;
}

Poco::JSON::Object::Ptr parseStoredObject(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

namespace {
void flattenInto(const Poco::JSON::Object& o, const std::string& prefix,
                 std::map<std::string, Poco::Dynamic::Var>& out) {
  for (const auto& [key, value] : o) {
    std::string path = prefix.empty() ? key : prefix + "." + key;
    if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
      flattenInto(*value.extract<Poco::JSON::Object::Ptr>(), path, out);
    } else {
      out[path] = value;
    }
  }
}
}  // namespace

std::map<std::string, Poco::Dynamic::Var> flattenObject(const Poco::JSON::Object& object) {
  std::map<std::string, Poco::Dynamic::Var> out;
  flattenInto(object, "", out);
  return out;
}

void appendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0x0F];
        } else {
          out += ch;  // bytes of UTF-8 sequences pass unchanged
        }
    }
  }
  out += '"';
}

}  // namespace a6::service
