// libFuzzer harness: a .safetensors file (8-byte header length, JSON header, tensor bytes). Any
// bytes must open or fail with a Status; every tensor of an archive that opens must lie inside
// the mapped file (read its first and last byte, which AddressSanitizer would catch otherwise).

#include "gpu/model/safetensors.h"
#include "tests/fuzz/fuzz_input.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace gyrus;
    const QString path =
            fuzz::writeInputFile(QStringLiteral("model.safetensors"), fuzz::inputBytes(data, size));
    auto archive = gpu::SafetensorsArchive::open(path);
    if (!archive) {
        return 0;
    }
    volatile unsigned sum = 0;
    for (const QString &name : archive->tensorNames()) {
        const auto info = archive->info(name);
        if (!info || info->bytes < 0 ||
            info->bytes != info->numel() * gpu::dtypeSize(info->dtype)) {
            std::abort();  // open() promised consistent sizes
        }
        if (info->bytes > 0) {
            sum += info->data[0] + info->data[info->bytes - 1];
        }
    }
    (void)archive->metadata();
    (void)archive->totalTensorBytes();
    (void)sum;  // read only so that the bytes are touched
    return 0;
}
