# Writes a C++ source with one function returning a file's text. Inputs: IN, OUT, FUNCTION.
file(READ ${IN} text)
set(content "// Generated from ${IN} by EmbedText.cmake; do not edit.\n#include <string>\n\nnamespace a6::service {\n\n")
string(APPEND content "const std::string& ${FUNCTION}() {\n  static const std::string text = R\"a6text(${text})a6text\";\n  return text;\n}\n\n}  // namespace a6::service\n")
file(WRITE ${OUT} "${content}")
