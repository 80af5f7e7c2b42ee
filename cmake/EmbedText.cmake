# Writes a C++ source with one function returning a file's text.
# Inputs: IN (file), OUT (source to write), FUNCTION (name), NAMESPACE (e.g. a6::service).
file(READ ${IN} text)
string(FIND "${text}" ")a6text" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )a6text")
endif()
set(content "// Generated from ${IN} by EmbedText.cmake; do not edit.\n#include <string>\n\nnamespace ${NAMESPACE} {\n\n")
string(APPEND content "const std::string& ${FUNCTION}() {\n  static const std::string text = R\"a6text(${text})a6text\";\n  return text;\n}\n\n}  // namespace ${NAMESPACE}\n")
file(WRITE ${OUT} "${content}")
