#include "gpu/sae/evaluation/sae_ce_recovery.h"

#include "gpu/lm/corpus_windows.h"
#include "gpu/lm/token_corpus.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/language_model.h"
#include "gpu/model/transformer.h"
#include "gpu/sae/sae_module.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

namespace gyrus::gpu {

namespace {

enum class Splice
{
    None,
    Reconstruction,
    Zero,
    WithError,
};

}  // namespace

Result<SpliceEvalResult> evaluateSaeSplice(const LanguageModel &model, const detail::SaeModule &sae,
                                           const SpliceEvalOptions &options)
{
    detail::Transformer &network = model.tensorModel();
    const QString hookName = options.hookName.isEmpty() ? sae.config().hookName : options.hookName;
    const std::optional<detail::HookPoint> point =
            detail::HookPoint::parse(hookName, hookLayout(network.config()));
    if (!point) {
        return Status::invalidInput(
                QStringLiteral("unknown hook '%1': give the SAE's hook point").arg(hookName));
    }
    if (sae.config().dIn != network.config().hiddenSize) {
        return Status::invalidInput(
                QStringLiteral("the SAE reads d_in = %1, the model's hook has %2")
                        .arg(sae.config().dIn)
                        .arg(network.config().hiddenSize));
    }
    Result<TokenCorpus> corpus = encodeTextFile(options.corpusPath, model.tokenizer());
    if (!corpus) {
        return corpus.status();
    }
    const int64_t length = options.contextLength;
    int64_t sequences = static_cast<int64_t>(corpus->tokens.size()) / (length + 1);
    if (options.maxSequences > 0) {
        sequences = std::min<int64_t>(sequences, options.maxSequences);
    }
    if (sequences == 0) {
        return Status::invalidInput(
                QStringLiteral("%1: shorter than one window").arg(options.corpusPath));
    }
    const int64_t bos = model.tokenizer().bosId();
    const at::Device saeDevice = sae.weights().wEnc.device();
    c10::InferenceMode guard;

    double sums[4] = {0, 0, 0, 0};
    double klSum = 0.0;
    double counted = 0.0;
    double worstIdentity = 0.0;
    const int64_t chunk = 8;
    for (int64_t first = 0; first < sequences; first += chunk) {
        const int64_t count = std::min(chunk, sequences - first);
        const at::Tensor window =
                detail::corpusWindows(corpus.value(), first, count, length, network.device());
        const at::Tensor inputs = window.narrow(1, 0, length).contiguous();
        const at::Tensor targets = window.narrow(1, 1, length).reshape({-1});
        const at::Tensor keep = targets.ne(bos);
        // [count, length, 1]: splice only where the input token is not BOS.
        const at::Tensor spliced = inputs.ne(bos).unsqueeze(-1);
        at::Tensor logits[4];
        for (int mode = 0; mode < 4; ++mode) {
            detail::HookSet hooks;
            if (mode != int(Splice::None)) {
                hooks.add(*point, [&, mode](const at::Tensor &h, const detail::HookContext &) {
                    const auto shape = h.sizes().vec();
                    const at::Tensor flat =
                            h.reshape({-1, shape.back()}).to(saeDevice).to(at::kFloat);
                    const at::Tensor recon =
                            sae.reconstruct(flat).to(h.device()).to(h.scalar_type()).view(shape);
                    at::Tensor replacement;
                    if (mode == int(Splice::Reconstruction)) {
                        replacement = recon;
                    } else if (mode == int(Splice::Zero)) {
                        replacement = at::zeros_like(h);
                    } else {
                        replacement = h + (recon - recon);  // the error term kept: exactly h
                    }
                    return at::where(spliced, replacement, h);
                });
            }
            logits[mode] = network.forward(inputs, hooks.empty() ? nullptr : &hooks, nullptr,
                                           detail::LogitsMode::All)
                                   .to(at::kFloat)
                                   .reshape({-1, network.config().vocabSize});
        }
        for (int mode = 0; mode < 4; ++mode) {
            sums[mode] += detail::crossEntropySum(logits[mode], targets, bos).first;
        }
        const at::Tensor logOriginal = at::log_softmax(logits[0], -1);
        const at::Tensor logSae = at::log_softmax(logits[1], -1);
        const at::Tensor kl = (logOriginal.exp() * (logOriginal - logSae)).sum(-1);
        klSum += kl.masked_select(keep).sum().item<double>();
        counted += keep.sum().item<double>();
        worstIdentity = std::max(worstIdentity, (logits[3] - logits[0]).abs().max().item<double>());
    }
    SpliceEvalResult result;
    result.hookName = hookName;
    result.tokens = static_cast<qint64>(counted);
    result.ceOriginal = sums[0] / counted;
    result.ceSae = sums[1] / counted;
    result.ceZero = sums[2] / counted;
    result.ceWithError = sums[3] / counted;
    result.klSae = klSum / counted;
    result.ceLossRecovered = (result.ceZero - result.ceSae) / (result.ceZero - result.ceOriginal);
    result.withErrorMaxLogitDifference = worstIdentity;
    return result;
}

}  // namespace gyrus::gpu
