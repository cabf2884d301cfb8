#include "gpu/lm/lm_eval.h"

#include "gpu/lm/corpus_windows.h"
#include "gpu/model/language_model.h"
#include "gpu/model/transformer.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

namespace gyrus::gpu {

Result<double> languageModelCrossEntropy(const LanguageModel &model, const TokenCorpus &corpus,
                                         int contextLength, int maxSequences)
{
    if (contextLength < 1) {
        return Status::invalidInput(QStringLiteral("context length must be positive"));
    }
    const int64_t length = contextLength;
    int64_t sequences = static_cast<int64_t>(corpus.tokens.size()) / (length + 1);
    if (maxSequences > 0) {
        sequences = qMin<int64_t>(sequences, maxSequences);
    }
    if (sequences == 0) {
        return Status::invalidInput(QStringLiteral("%1: shorter than one window of %2 tokens")
                                            .arg(corpus.source)
                                            .arg(length + 1));
    }
    const int vocab = model.config().vocabSize;
    for (int32_t token : corpus.tokens) {
        if (token < 0 || token >= vocab) {
            return Status::invalidInput(
                    QStringLiteral("%1: token id %2 outside the model's vocabulary (%3)")
                            .arg(corpus.source)
                            .arg(token)
                            .arg(vocab));
        }
    }
    const int64_t bos = model.config().bosTokenId;
    detail::Transformer &network = model.tensorModel();
    c10::InferenceMode guard;
    double total = 0.0;
    double counted = 0.0;
    const int64_t chunk = 8;
    for (int64_t first = 0; first < sequences; first += chunk) {
        const int64_t count = qMin(chunk, sequences - first);
        const at::Tensor window =
                detail::corpusWindows(corpus, first, count, length, network.device());
        const at::Tensor logits = network.forward(window.narrow(1, 0, length).contiguous(), nullptr,
                                                  nullptr, detail::LogitsMode::All);
        const auto [sum, n] = detail::crossEntropySum(
                logits.view({-1, logits.size(-1)}), window.narrow(1, 1, length).reshape({-1}), bos);
        total += sum;
        counted += n;
    }
    return total / counted;
}

}  // namespace gyrus::gpu
