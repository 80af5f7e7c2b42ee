// Reports: the annual information (AEF) export, as XML or CSV.
#include <algorithm>

#include "a6/core/Error.h"
#include "a6/service/reports/AefReport.h"
#include "http/Routes.h"

namespace a6::service {
namespace {

Response aef(Services& s, Exchange& ex) {
  const Principal& p = ex.who();
  if (!readsEverything(p)) throw Error(ErrorCode::Forbidden, "reports are for ministry staff and auditors");
  std::vector<FieldError> errors;
  for (const auto& [k, v] : ex.queryParams()) {
    if (k != "year" && k != "format") errors.push_back({k, "unknown_field", "use year and format"});
  }
  auto yearText = ex.query("year");
  int year = 0;
  if (!yearText || yearText->size() != 4 || !std::all_of(yearText->begin(), yearText->end(), ::isdigit)) {
    errors.push_back({"year", "required", "give the reported year, e.g. year=2026"});
  } else {
    year = std::stoi(*yearText);
    if (year < 2021 || year > 2100) errors.push_back({"year", "range", "must be 2021 to 2100"});
  }
  std::string format = ex.query("format").value_or("xml");
  if (format != "xml" && format != "csv") errors.push_back({"format", "enum", "must be xml or csv"});
  if (!errors.empty()) throw Error(ErrorCode::Invalid, "the report request is not valid", std::move(errors));
  Response r;
  if (format == "xml") {
    r.contentType = "application/xml; charset=utf-8";
    r.body = aefXml(s.store, s.config, year, s.clock.now(), s.ids);
  } else {
    r.contentType = "text/csv; charset=utf-8";
    r.body = aefCsv(s.store, s.config, year);
  }
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"aef-" + s.config.party + "-" +
                                                    std::to_string(year) + "." + format + "\"");
  return r;
}

}  // namespace

void registerReportRoutes(Router& router, Services& s) {
  router.add({"GET", "/api/v1/reports/aef", true, 0, [&s](Exchange& ex) { return aef(s, ex); }, {}});
}

}  // namespace a6::service
