# Tests that are not doctest cases, included by tests/CMakeLists.txt: the Slurm cluster fixture
# and the repository checks.

# The Slurm tests (test_slurm.cpp, names "slurm: ...") get their own one-node cluster through
# the ctest fixture `slurm_cluster`: slurm.cluster_start (FIXTURES_SETUP) runs
# cluster/test_fixture.sh start, slurm.cluster_stop (FIXTURES_CLEANUP) stops it again, so a
# plain `ctest` needs no step before it. Without the Slurm packages (or not as root) the setup
# test fails saying so, and ctest reports the slurm tests as not run: never green. The cluster
# lives in RNNLAB_SLURM_DIR (ports 6817/6818 are fixed: one test cluster per machine).
set(RNNLAB_SLURM_DIR "/tmp/rnnlab-slurm" CACHE PATH "state and logs of the test Slurm cluster")
add_test(NAME slurm.cluster_start
  COMMAND bash ${PROJECT_SOURCE_DIR}/cluster/test_fixture.sh start)
add_test(NAME slurm.cluster_stop
  COMMAND bash ${PROJECT_SOURCE_DIR}/cluster/test_fixture.sh stop)
set_tests_properties(slurm.cluster_start PROPERTIES FIXTURES_SETUP slurm_cluster
  LABELS slurm TIMEOUT 120 ENVIRONMENT "RNNLAB_SLURM_DIR=${RNNLAB_SLURM_DIR}")
set_tests_properties(slurm.cluster_stop PROPERTIES FIXTURES_CLEANUP slurm_cluster
  LABELS slurm TIMEOUT 120 ENVIRONMENT "RNNLAB_SLURM_DIR=${RNNLAB_SLURM_DIR}")
# Without the packages the fixture fails and says so (simulated with an empty PATH).
add_test(NAME slurm.fixture_without_packages
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/slurm_fixture_without_packages.sh)
# Label integration, not slurm: it needs no cluster, so `ctest -LE slurm` runs it.
set_tests_properties(slurm.fixture_without_packages PROPERTIES LABELS integration TIMEOUT 60)
# The discovered test names exist only at ctest time: this script, included after the one
# doctest_discover_tests generates, gives every "slurm: ..." test the fixture, the cluster's
# SLURM_CONF and a lock (they share the one node, so they run one at a time).
# Appended at the end of this directory (DEFER), after doctest_discover_tests' own script.
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/slurm_fixture.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/slurm_fixture.cmake @ONLY)
cmake_language(DEFER CALL set_property DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES
  ${CMAKE_CURRENT_BINARY_DIR}/slurm_fixture.cmake)

# No path of the build machine (its absolute folders, a shared folder beside the checkout) in the
# repository: users have only the repository (tests/no_machine_paths.sh).
add_test(NAME repo.no_machine_paths COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/no_machine_paths.sh)
set_tests_properties(repo.no_machine_paths PROPERTIES LABELS "unit;repo" TIMEOUT 60)

# The prepared GPU run (bench/cuda/run.sh) checked without a device: parts, budget, options.
add_test(NAME repo.cuda_run_script COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cuda_run_script.sh)
set_tests_properties(repo.cuda_run_script PROPERTIES LABELS "unit;repo" TIMEOUT 60)

# Every test carries exactly one suite label (tests/README.md, "Labels"): a doctest file's
# TEST_SUITE_BEGIN, or LABELS here for the other tests.
add_test(NAME repo.every_test_labelled
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_labels.py ${CMAKE_CTEST_COMMAND}
          ${PROJECT_BINARY_DIR})
set_tests_properties(repo.every_test_labelled PROPERTIES LABELS "unit;repo" TIMEOUT 60)

# The whole reproduction batch on the test cluster in one command (EXECUTOR=slurm
# experiments/reproduce.sh, TINY budgets): study arrays, the report job after them, reports.
add_test(NAME slurm.reproduce_batch COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_reproduce_slurm.sh)
set_tests_properties(slurm.reproduce_batch PROPERTIES
  FIXTURES_REQUIRED slurm_cluster RESOURCE_LOCK slurm_node LABELS slurm TIMEOUT 600
  ENVIRONMENT "OMP_WAIT_POLICY=PASSIVE;RNNLAB=$<TARGET_FILE:rnnlab>;RNNLAB_SLURM_DIR=${RNNLAB_SLURM_DIR};SLURM_CONF=${RNNLAB_SLURM_DIR}/slurm.conf")
