#include "tests/gpu/tiny_models.h"

#include "gpu/model/random_llama.h"
#include "tests/support/test_paths.h"

#include <QFile>

namespace gyrus::test {

Status writeTinyDemoVocabModel(const QString &directory, int width, quint64 seed)
{
    gpu::ModelConfig config;
    config.hiddenSize = width;
    config.numHiddenLayers = 2;
    config.numAttentionHeads = 4;
    config.numKeyValueHeads = 2;
    config.intermediateSize = 2 * width;
    config.vocabSize = 4096;  // the demo tokenizer's
    config.tieWordEmbeddings = true;
    if (Status written = gpu::writeRandomLlama(directory, config, seed); !written.isOk()) {
        return written;
    }
    const QString tokenizer = directory + QStringLiteral("/tokenizer.model");
    QFile::remove(tokenizer);
    if (!QFile::copy(sourcePath(QStringLiteral("datasets/demo/tokenizer/tokenizer.model")),
                     tokenizer)) {
        return Status::internal(
                QStringLiteral("cannot copy the demo tokenizer to %1").arg(directory));
    }
    return Status::ok();
}

gpu::detail::SaeModule mirrorSae(int width, double decoderScale, const QString &hook)
{
    SaeConfig config;
    config.dIn = width;
    return mirrorSae(config, decoderScale, hook);
}

gpu::detail::SaeModule mirrorSae(SaeConfig like, double decoderScale, const QString &hook)
{
    like.architecture = SaeArchitecture::Relu;
    like.dSae = 2 * like.dIn;
    like.applyBDecToInput = false;
    like.hookName = hook;
    const at::Tensor eye = at::eye(like.dIn, at::kFloat);
    gpu::detail::SaeWeights weights;
    weights.wEnc = at::cat({eye, -eye}, 1);
    weights.bEnc = at::zeros({like.dSae});
    weights.wDec = at::cat({eye, -eye}, 0) * decoderScale;
    weights.bDec = at::zeros({like.dIn});
    return gpu::detail::SaeModule(like, weights);
}

}  // namespace gyrus::test
