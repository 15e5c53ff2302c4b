// Unloading libcgoguard.so with dlclose can never leave a handler of ours
// pointing at unmapped code: the library is linked -z nodelete, so dlclose
// returns but the library stays loaded, its handler installed and chaining
// to the application's. (Putting the previous actions back instead could not
// be made safe: another thread may be inside the handler, and a handler
// installed over ours may still chain to it.)
#include <unistd.h>

#include "test_support.h"

namespace {

TEST(UnloadDeathTest, DlcloseLeavesNoHandlerOnUnmappedCode) {
  EXPECT_EXIT(
      {
        execl(CGG_UNLOAD_CHILD, CGG_UNLOAD_CHILD, CGG_LIBRARY_PATH, static_cast<char*>(nullptr));
        _exit(127);
      },
      testing::ExitedWithCode(0),
      cgg_test::Output({"guarded fault: 11\n", "own fault before dlclose recovered: 1\n",
                        "dlclose: 0\n", "SIGSEGV handler in a loaded module: 1\n",
                        "own fault after dlclose recovered: 1\n"}));
}

}  // namespace
