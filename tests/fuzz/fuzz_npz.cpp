// libFuzzer harness: a NumPy .npz archive (Gemma Scope's params.npz): a zip of .npy files.
// Any bytes read to arrays whose data matches their shape and dtype, or fail with a Status.

#include "gpu/sae/npz_reader.h"
#include "tests/fuzz/fuzz_input.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace gyrus;
    const QString path =
            fuzz::writeInputFile(QStringLiteral("params.npz"), fuzz::inputBytes(data, size));
    auto arrays = gpu::readNpz(path);
    if (!arrays) {
        return 0;
    }
    for (const gpu::NpyArray &array : arrays.value()) {
        qint64 numel = 1;
        for (const qint64 extent : array.shape) {
            numel *= extent;
        }
        if (numel != qint64(array.values.size())) {
            std::abort();  // the values must be exactly what the shape says
        }
    }
    return 0;
}
