// libFuzzer harness: a Hugging Face config.json. Any bytes parse to a validated config or fail
// with a Status; a config that parses must give its hook layout, expected tensors and quirks and
// write itself back to JSON that parses again.

#include "gpu/model/model_config.h"
#include "tests/fuzz/fuzz_input.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace gyrus;
    auto config =
            gpu::parseModelConfig(fuzz::inputBytes(data, size), QStringLiteral("config.json"));
    if (!config) {
        return 0;
    }
    (void)gpu::validateModelConfig(config.value());
    (void)gpu::hookLayout(config.value());
    (void)gpu::familyQuirks(config.value());
    (void)gpu::bosRule(config.value());
    if (config->numHiddenLayers <= 64 && config->hiddenSize <= 1 << 16) {
        (void)gpu::expectedTensors(config.value());
    }
    (void)config->attentionScale();
    auto again = gpu::parseModelConfig(gpu::modelConfigToJson(config.value()),
                                       QStringLiteral("written config.json"));
    (void)again;
    return 0;
}
