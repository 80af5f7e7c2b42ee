// Numbered SQL migrations, embedded at build time from service/migrations/<dialect>/NNNN_name.sql.
#pragma once

#include <string>
#include <vector>

namespace a6::service {

struct Migration {
  int number;
  std::string name;
  std::string sql;  // one or more statements separated by ';'
};

const std::vector<Migration>& kSqliteMigrations();

}  // namespace a6::service
