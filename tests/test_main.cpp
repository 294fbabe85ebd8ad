// The doctest runner of the rnnlab_tests executable (see doctest_run.h).
#define DOCTEST_CONFIG_IMPLEMENT
#include "doctest_run.h"

int main(int argc, char** argv) { return rnnlab::test::run_doctest(argc, argv, "rnnlab_tests"); }
