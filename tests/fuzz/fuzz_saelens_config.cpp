// libFuzzer harness: an SAELens cfg.json (every version: pre-6 flat, 6.x with metadata). Any
// bytes give SAE file info or a Status naming the problem.

#include "gpu/sae/saelens_config.h"
#include "tests/fuzz/fuzz_input.h"

#include <QJsonDocument>
#include <QJsonObject>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace gyrus;
    const QJsonDocument document = QJsonDocument::fromJson(fuzz::inputBytes(data, size));
    if (!document.isObject()) {
        return 0;
    }
    auto info = gpu::detail::parseSaeLensConfig(document.object(), QStringLiteral("cfg.json"));
    (void)info;
    return 0;
}
