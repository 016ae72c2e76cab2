// The test runner: Catch2's main, with .spec files readable (as in the
// tarmac executable).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "authoring/spec_format.h"

int main(int argc, char* argv[]) {
  tarmac::RegisterSpecFormat();
  return Catch::Session().run(argc, argv);
}
