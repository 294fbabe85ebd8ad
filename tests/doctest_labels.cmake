# cmake -DTEST_EXECUTABLE=<rnnlab_tests> -DOUT=<file> -P doctest_labels.cmake
# Writes the ctest label of every doctest case, its TEST_SUITE (tests/README.md, "Labels"), as
# set_tests_properties(<name> PROPERTIES LABELS <suite>) lines: a POST_BUILD step of
# rnnlab_tests, included by ctest after the discovered tests. One run of the executable
# (--list-test-cases with the XML reporter, which names each case's suite) instead of
# doctest_discover_tests' ADD_LABELS, which asks once per test with the name as a filter and so
# finds no label for a name that contains a comma (a filter separator).
cmake_minimum_required(VERSION 3.24)  # policies of script mode
execute_process(COMMAND "${TEST_EXECUTABLE}" --list-test-cases --reporters=xml
  OUTPUT_VARIABLE xml RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --list-test-cases --reporters=xml failed (${rc})")
endif()
set(script "")
# A loop over matches, not a CMake list: test names may hold '[' and ']', which lists treat
# specially.
while(TRUE)
  string(REGEX MATCH "<TestCase name=\"([^\"]*)\" testsuite=\"([^\"]*)\"" case "${xml}")
  if(NOT case)
    break()
  endif()
  set(name "${CMAKE_MATCH_1}")
  set(suite "${CMAKE_MATCH_2}")
  string(FIND "${xml}" "${case}" at)
  string(LENGTH "${case}" length)
  math(EXPR at "${at} + ${length}")
  string(SUBSTRING "${xml}" ${at} -1 xml)
  string(REPLACE "&quot;" "\"" name "${name}")
  string(REPLACE "&apos;" "'" name "${name}")
  string(REPLACE "&lt;" "<" name "${name}")
  string(REPLACE "&gt;" ">" name "${name}")
  string(REPLACE "&amp;" "&" name "${name}")  # last: "&amp;lt;" is "&lt;"
  if(NOT suite STREQUAL "")
    string(APPEND script "set_tests_properties([==[${name}]==] PROPERTIES LABELS ${suite})\n")
  endif()
endwhile()
file(WRITE "${OUT}" "${script}")
