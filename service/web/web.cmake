# The portal's files, embedded into a6auth at build time (see EmbedWeb.cmake). Listed one by one,
# as sources are; a new file of service/web/ is added here. Included by service/CMakeLists.txt,
# which adds ${A6_WEB_CPP} to a6_service_app.
set(A6_WEB_ROOT ${CMAKE_CURRENT_SOURCE_DIR}/web)
set(A6_WEB_FILES
  index.html
  assets/style.css
  assets/app.js
  assets/api.js
  assets/i18n.js
  assets/dom.js
  assets/fields.js
  assets/pages-applicant.js
  assets/pages-ministry.js
  assets/page-verify.js
  assets/workflow-svg.js
  assets/icon.svg
)
set(A6_WEB_DEPENDS "")
foreach(f IN LISTS A6_WEB_FILES)
  list(APPEND A6_WEB_DEPENDS ${A6_WEB_ROOT}/${f})
endforeach()
string(REPLACE ";" "|" A6_WEB_FILES_ARG "${A6_WEB_FILES}")
set(A6_WEB_CPP ${CMAKE_CURRENT_BINARY_DIR}/generated/WebFiles.cpp)
add_custom_command(
  OUTPUT ${A6_WEB_CPP}
  COMMAND ${CMAKE_COMMAND} -DROOT=${A6_WEB_ROOT} "-DFILES=${A6_WEB_FILES_ARG}" -DOUT=${A6_WEB_CPP}
          -P ${A6_WEB_ROOT}/EmbedWeb.cmake
  DEPENDS ${A6_WEB_DEPENDS} ${A6_WEB_ROOT}/EmbedWeb.cmake ${A6_WEB_ROOT}/web.cmake
  COMMENT "Embedding the portal (service/web)"
  VERBATIM)
