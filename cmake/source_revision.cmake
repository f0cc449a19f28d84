# Writes the header that `vami --version` reads: the release version and the source revision
# (git short hash, "+dirty" when tracked files differ from it, "unknown" outside git).
# Run at every build (cli/CMakeLists.txt, target vami_source_revision) rather than at configure
# time, so that the revision follows commits and edits; configure_file rewrites the header only
# when its text changes, so an unchanged revision recompiles nothing.
#
#   cmake -DSOURCE_DIR=... -DINPUT=version.hpp.in -DOUTPUT=.../version.hpp
#         -DPROJECT_VERSION=x.y.z -P source_revision.cmake
foreach(required SOURCE_DIR INPUT OUTPUT PROJECT_VERSION)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "source_revision.cmake: -D${required}=... is required")
  endif()
endforeach()

set(VAMI_SOURCE_REVISION "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short HEAD
    WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE head_result
    OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(head_result EQUAL 0 AND head)
    set(VAMI_SOURCE_REVISION "${head}")
    # --no-optional-locks: a build must never take the index lock from someone committing.
    execute_process(COMMAND ${GIT_EXECUTABLE} --no-optional-locks status --porcelain
        --untracked-files=no
      WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE status_result
      OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(NOT status_result EQUAL 0 OR changes)
      string(APPEND VAMI_SOURCE_REVISION "+dirty")
    endif()
  endif()
endif()

configure_file(${INPUT} ${OUTPUT} @ONLY)
