// libFuzzer harness: a prompt set file, legacy (condition -> sentences) or Gyrus schema. Any bytes
// load with issues or fail with a Status; a set that loads must write itself back to JSON that
// loads to the same set.

#include "core/prompts/prompt_set_io.h"
#include "core/prompts/prompt_set_validation.h"
#include "tests/fuzz/fuzz_input.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace gyrus;
    auto loaded = parsePromptSet(fuzz::inputBytes(data, size), QStringLiteral("fuzz.json"));
    if (!loaded) {
        return 0;
    }
    (void)validatePromptSet(loaded->set);
    const QByteArray written = promptSetToJson(loaded->set);
    auto again = parsePromptSet(written, QStringLiteral("fuzz.json"));
    if (!again) {
        std::fprintf(stderr, "a loaded set did not load after writing it: %s\n",
                     qPrintable(again.status().message()));
        std::abort();
    }
    return 0;
}
