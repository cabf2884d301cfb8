// libFuzzer harness: model.safetensors.index.json beside two small valid shards. Any index must
// open or fail with a Status (unknown shards, paths leaving the directory, tensors missing from
// their shard, duplicates), and every tensor of an archive that opens must be readable.

#include "gpu/model/safetensors.h"
#include "tests/fuzz/fuzz_input.h"

#include <QDir>

#include <cstdlib>
#include <vector>

namespace {

// Two shards of a tiny checkpoint, written once per run.
void writeShards(const QString &directory)
{
    using namespace gyrus::gpu;
    static const std::vector<float> a(6, 1.0f), b(4, 2.0f);
    const QByteArrayView aBytes(reinterpret_cast<const char *>(a.data()), qsizetype(a.size() * 4));
    const QByteArrayView bBytes(reinterpret_cast<const char *>(b.data()), qsizetype(b.size() * 4));
    (void)writeSafetensors(
            directory + QStringLiteral("/model-00001-of-00002.safetensors"),
            {{QStringLiteral("model.embed_tokens.weight"), DType::F32, {2, 3}, aBytes}});
    (void)writeSafetensors(
            directory + QStringLiteral("/model-00002-of-00002.safetensors"),
            {{QStringLiteral("model.norm.weight"), DType::F32, {4}, bBytes},
             {QStringLiteral("lm_head.weight"), DType::F16, {2, 2}, bBytes.first(8)}});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace gyrus;
    static const bool shardsWritten = [] {
        writeShards(fuzz::scratchDir().path());
        return true;
    }();
    (void)shardsWritten;
    fuzz::writeInputFile(QStringLiteral("model.safetensors.index.json"),
                         fuzz::inputBytes(data, size));
    auto archive = gpu::SafetensorsArchive::open(fuzz::scratchDir().path());
    if (!archive) {
        return 0;
    }
    volatile unsigned sum = 0;
    for (const QString &name : archive->tensorNames()) {
        const auto info = archive->info(name);
        if (!info) {
            std::abort();
        }
        if (info->bytes > 0) {
            sum += info->data[0] + info->data[info->bytes - 1];
        }
    }
    (void)archive->files();
    (void)sum;  // read only so that the bytes are touched
    return 0;
}
