// Reads a workflow definition from XML: safe parsing (no DTD, no entities, no network, 1 MiB at
// most), validation against workflow.xsd, then the rules that span elements. Every problem comes
// back with its file and line so that an author can fix them all in one pass.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "a6/core/Error.h"
#include "a6/workflows/Definition.h"

namespace a6::workflows {

struct LoadOptions {
  // The request field paths guards may name (the leaf paths of the request JSON, e.g.
  // "authorisation.authorized_quantity"). A guard naming any other path is a problem; an empty
  // set therefore refuses every guard.
  std::set<std::string> knownFields;
};

struct DefinitionProblem {
  std::string file;
  int line = 0;  // 0 when the problem is the file as a whole (unreadable, too large)
  std::string reason;
  bool operator==(const DefinitionProblem&) const = default;
};

// The most bytes a definition may have.
inline constexpr std::size_t kMaxDefinitionBytes = 1024 * 1024;

// Every problem found, in line order; empty when the definition loads.
std::vector<DefinitionProblem> checkDefinitionText(const std::string& text, const std::string& fileName,
                                                   const LoadOptions& options);
// An unreadable file is one problem at line 0.
std::vector<DefinitionProblem> checkDefinitionFile(const std::string& path, const LoadOptions& options);

// Thrown by the load functions: file, line and reason are those of the first problem; what()
// lists every problem, one "file:line: reason" per line.
class DefinitionError : public SourceError {
 public:
  explicit DefinitionError(std::vector<DefinitionProblem> problems);
  const std::vector<DefinitionProblem>& problems() const { return problems_; }
  const char* what() const noexcept override { return all_.c_str(); }

 private:
  std::vector<DefinitionProblem> problems_;
  std::string all_;
};

// Throw DefinitionError (a SourceError with code Definition) when there is any problem.
// `sourceFile` is the name given, `sha256` the hex digest of the exact source bytes.
Definition loadDefinitionText(const std::string& text, const std::string& fileName, const LoadOptions& options);
Definition loadDefinitionFile(const std::string& path, const LoadOptions& options);

// The text of workflows/schema/workflow.xsd, embedded at build time.
const std::string& workflowSchemaXsd();

}  // namespace a6::workflows
