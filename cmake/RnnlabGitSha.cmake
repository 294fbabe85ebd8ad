# Writes OUT (a header defining RNNLAB_GIT_SHA) from `git describe --always --dirty` in SRC,
# rewriting it only when the text changes. Run at every build (see cli/), so a run
# file records the commit of the code that made it, not the one CMake was configured at.
#   cmake -DSRC=<source dir> -DOUT=<header> -P RnnlabGitSha.cmake
execute_process(COMMAND git describe --always --dirty
                WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE sha OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0 OR sha STREQUAL "")
  set(sha "unknown")
endif()
set(text "#define RNNLAB_GIT_SHA \"${sha}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
