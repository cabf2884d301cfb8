// libFuzzer harness: clamp-set JSON (the Steering dock's saved clamps). Any bytes give a clamp set
// or a Status; a set that parses must survive writing and reading back unchanged.

#include "core/steering/clamp_set.h"
#include "tests/fuzz/fuzz_input.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    using namespace gyrus;
    const QString seeds = fuzz::seedDirectory();
    if (!seeds.isEmpty()) {
        ClampSet set;
        set.name = QStringLiteral("negation \u00e9 features");
        set.clamps = {{12, ClampMode::Clamp, 4.5, ClampPositions::All, true},
                      {3, ClampMode::Scale, -0.25, ClampPositions::Prompt, false},
                      {4095, ClampMode::Add, 1e-3, ClampPositions::Generated, true}};
        QFile file(seeds + QStringLiteral("/clamp_set.json"));
        if (file.open(QIODevice::WriteOnly)) {
            file.write(clampSetToJson(set));
        }
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace gyrus;
    auto set = clampSetFromJson(fuzz::inputBytes(data, size), QStringLiteral("fuzz.json"));
    if (!set) {
        return 0;
    }
    auto again = clampSetFromJson(clampSetToJson(set.value()), QStringLiteral("written"));
    if (!again || again.value() != set.value()) {
        std::fprintf(stderr, "clamp set changed on a round trip\n");
        std::abort();
    }
    return 0;
}
