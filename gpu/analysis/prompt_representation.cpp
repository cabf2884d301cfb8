#include "gpu/analysis/prompt_representation.h"

#include "gpu/analysis/non_finite_activation.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_module.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

namespace gyrus::gpu {

namespace {

constexpr int kBatch = 16;

// UTF-16 index of the code point `codePoint` of `text` (the tokenizer's spans are UTF-16).
int utf16Index(const QString &text, int codePoint)
{
    int index = 0;
    for (int seen = 0; seen < codePoint && index < text.size(); ++seen) {
        index += text.at(index).isHighSurrogate() && index + 1 < text.size() ? 2 : 1;
    }
    return index;
}

}  // namespace

Result<PromptRepresentations> promptRepresentations(const LanguageModel &model,
                                                    const PromptSet &set,
                                                    const RepresentationOptions &options)
{
    const Tokenizer &tokenizer = model.tokenizer();
    if (!model.info().hookNames.contains(options.hookName)) {
        return Status::invalidInput(QStringLiteral("unknown hook '%1'").arg(options.hookName));
    }
    const bool windowed = options.pooling == Pooling::Window;
    // The seed's left-first window keeps its rows too (every row counts, padding included), so
    // its temporal RSA can be reproduced.
    const bool keepsRows = windowed || options.pooling == Pooling::LegacyLeftFirst;
    if (options.window < 0 || ((options.pooling == Pooling::LegacyCentred ||
                                options.pooling == Pooling::LegacyLeftFirst || windowed) &&
                               options.window < 1)) {
        return Status::invalidInput(QStringLiteral(
                "the window must be ≥ 1 for legacy and aligned windows and ≥ 0 otherwise"));
    }
    const bool needsTarget = options.pooling == Pooling::TargetWindow ||
                             (windowed && options.alignment == WindowAlignment::Target);
    // Token ids and, for target windows, the token range of each item.
    std::vector<std::vector<int>> sequences;
    std::vector<std::pair<int, int>> targetTokens;  // [first, last] token positions
    for (int i = 0; i < set.items.size(); ++i) {
        const PromptItem &item = set.items[i];
        if (item.text.trimmed().isEmpty()) {
            return Status::invalidInput(QStringLiteral("%1: item %2 '%3' has no text")
                                                .arg(set.displayName())
                                                .arg(i)
                                                .arg(item.id));
        }
        const Encoding encoding = tokenizer.encode(item.text, /*addBos=*/true);
        sequences.emplace_back(encoding.ids.begin(), encoding.ids.end());
        if (!needsTarget) {
            continue;
        }
        const std::optional<TextSpan> span = resolveTarget(item.target, item.text);
        if (!span) {
            return Status::invalidInput(
                    QStringLiteral("%1: item %2 '%3' has no target that matches its text "
                                   "(target windows and target-aligned windows need one)")
                            .arg(set.displayName())
                            .arg(i)
                            .arg(item.id));
        }
        const int begin = utf16Index(item.text, span->begin);
        const int end = utf16Index(item.text, span->end);
        int first = -1;
        int last = -1;
        for (int t = 1; t < encoding.ids.size(); ++t) {
            const Encoding::Span &s = encoding.spans[t];
            if (s.begin < end && s.end > begin) {
                first = first < 0 ? t : first;
                last = t;
            }
        }
        if (first < 0) {
            return Status::invalidInput(
                    QStringLiteral("%1: item %2 '%3': no token overlaps the target")
                            .arg(set.displayName())
                            .arg(i)
                            .arg(item.id));
        }
        targetTokens.emplace_back(first, last);
    }

    ForwardOptions forward;
    forward.captures = {options.hookName};
    forward.logits = false;
    c10::InferenceMode guard;
    PromptRepresentations result;
    std::vector<float> rows;
    std::vector<float> patternValues;
    std::vector<uint8_t> patternMask;
    int64_t width = 0;
    for (size_t first = 0; first < sequences.size(); first += kBatch) {
        const size_t count = std::min(sequences.size() - first, size_t(kBatch));
        const std::vector<std::vector<int>> batch(sequences.begin() + long(first),
                                                  sequences.begin() + long(first + count));
        Result<std::vector<ForwardOutput>> outputs =
                model.forwardBatch(batch, forward, options.interventions);
        if (!outputs) {
            return outputs.status();
        }
        for (size_t b = 0; b < count; ++b) {
            const int item = static_cast<int>(first + b);
            const FloatTensor &captured = outputs->at(b).activations.at(options.hookName);
            if (const QString nonFinite =
                        detail::describeNonFiniteActivation(options.hookName, captured);
                !nonFinite.isEmpty()) {
                return Status::invalidInput(
                        QStringLiteral("item %1: %2").arg(item + 1).arg(nonFinite));
            }
            const int64_t length = captured.shape.at(0);
            const int64_t d = captured.shape.at(1);
            at::Tensor h = at::from_blob(const_cast<float *>(captured.values.data()), {length, d},
                                         at::kFloat);
            int64_t begin = 0;
            int64_t end = 0;  // rows [begin, end) of the (possibly padded) sequence
            int64_t padRows = 0;
            switch (options.pooling) {
                case Pooling::LastToken:
                    begin = length - 1;
                    end = length;
                    break;
                case Pooling::Mean:
                    begin = length > 1 ? 1 : 0;
                    end = length;
                    break;
                case Pooling::TargetWindow:
                    begin = std::max<int64_t>(1, targetTokens[size_t(item)].first - options.window);
                    end = std::min<int64_t>(length,
                                            targetTokens[size_t(item)].second + options.window + 1);
                    break;
                case Pooling::LegacyCentred: {
                    const int64_t m = (length - 1) / 2 + 1;
                    if (m - options.window < 0 || m + options.window >= length) {
                        result.notes << QStringLiteral(
                                                "item %1 '%2' dropped: %3 tokens cannot host the "
                                                "centred window ±%4")
                                                .arg(item)
                                                .arg(set.items[item].id)
                                                .arg(length)
                                                .arg(options.window);
                        continue;
                    }
                    begin = m - options.window;
                    end = m + options.window + 1;
                    break;
                }
                case Pooling::Window:
                    begin = options.alignment == WindowAlignment::Target
                                    ? targetTokens[size_t(item)].first
                                    : std::min<int64_t>(1, length - 1);
                    end = std::min<int64_t>(begin + options.window, length);
                    break;
                case Pooling::LegacyLeftFirst:
                    if (length <= 1) {
                        result.notes << QStringLiteral("item %1 '%2' dropped: no token after BOS")
                                                .arg(item)
                                                .arg(set.items[item].id);
                        continue;
                    }
                    begin = 1;
                    end = std::min<int64_t>(1 + options.window, length);
                    padRows = options.window - (end - begin);
                    break;
            }
            at::Tensor window = h.narrow(0, begin, end - begin);
            if (padRows > 0) {
                window = at::cat({window, at::zeros({padRows, d})}, 0);
            }
            if (options.sae) {
                const at::Device device = options.sae->weights().wEnc.device();
                window = options.sae->encode(window.to(device)).to(at::kCPU);
            }
            const at::Tensor pooled = window.mean(0).contiguous();
            width = pooled.size(0);
            if (keepsRows) {
                // Window: the real rows first, then zero rows masked out (never encoded by the
                // SAE). Legacy left-first: all D rows are part of the pattern, as the seed had it.
                const at::Tensor real = window.contiguous();
                patternValues.insert(patternValues.end(), real.data_ptr<float>(),
                                     real.data_ptr<float>() + real.numel());
                patternValues.insert(patternValues.end(),
                                     size_t((options.window - real.size(0)) * width), 0.f);
                patternMask.insert(patternMask.end(), size_t(real.size(0)), 1);
                patternMask.insert(patternMask.end(), size_t(options.window - real.size(0)), 0);
            }
            rows.insert(rows.end(), pooled.data_ptr<float>(), pooled.data_ptr<float>() + width);
            result.items << item;
        }
    }
    result.values.rows = result.items.size();
    result.values.cols = width;
    result.values.values = std::move(rows);
    if (keepsRows) {
        result.patterns.items = result.values.rows;
        result.patterns.positions = options.window;
        result.patterns.features = width;
        result.patterns.values = std::move(patternValues);
        result.patterns.mask = std::move(patternMask);
    }
    return result;
}

}  // namespace gyrus::gpu
