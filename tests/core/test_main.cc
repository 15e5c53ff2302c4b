// main() of every core test binary.
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  // Death-test children re-execute this binary instead of being fork()ed from
  // a process that may hold threads and cgoguard state: each child starts
  // with no handlers installed and no flags set. Set before InitGoogleTest so
  // the command line can still override it.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
