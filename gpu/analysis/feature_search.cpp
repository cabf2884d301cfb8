#include "gpu/analysis/feature_search.h"

#include "gpu/analysis/corpus_scan.h"
#include "gpu/engine/torch_errors.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_module.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <exception>
#include <map>
#include <optional>

namespace gyrus::gpu {

namespace {

using Hits = std::map<int, FeatureSearchHit>;

FeatureSearchHit hit(int feature, double score, QString match)
{
    FeatureSearchHit out;
    out.feature = feature;
    out.score = score;
    out.match = std::move(match);
    return out;
}

Hits byNote(const QMap<int, FeatureNote> &notes, const QString &text)
{
    Hits hits;
    for (auto it = notes.cbegin(); it != notes.cend(); ++it) {
        const bool inLabel = it->label.contains(text, Qt::CaseInsensitive);
        const bool inNotes = it->notes.contains(text, Qt::CaseInsensitive);
        if (inLabel || inNotes) {
            hits[it.key()] = hit(it.key(), double(inLabel) + double(inNotes),
                                 inLabel ? it->label : it->notes);
        }
    }
    return hits;
}

Hits byExample(const LanguageModel &model, const CorpusScan &scan, const QString &text, int radius)
{
    Hits hits;
    for (size_t f = 0; f < scan.features.size(); ++f) {
        int count = 0;
        QString first;
        for (const FeatureExample &example : scan.features[f].top) {
            const ExampleContext context = exampleContext(model, scan, example.token, radius);
            const QString whole = context.before + context.token + context.after;
            if (whole.contains(text, Qt::CaseInsensitive)) {
                if (count++ == 0) {
                    first = context.before + QStringLiteral("«") + context.token +
                            QStringLiteral("»") + context.after;
                }
            }
        }
        if (count > 0) {
            hits[int(f)] = hit(int(f), count, first);
        }
    }
    return hits;
}

Hits byBoostedToken(const LanguageModel &model, const CorpusScan &scan, const QString &token)
{
    const QString wanted = token.trimmed();
    Hits hits;
    for (size_t f = 0; f < scan.features.size(); ++f) {
        const FeatureScan &feature = scan.features[f];
        for (size_t k = 0; k < feature.boosted.size(); ++k) {
            const QString piece = model.tokenizer().displayPiece(feature.boosted[k]).trimmed();
            if (piece.compare(wanted, Qt::CaseInsensitive) == 0) {
                const double logit =
                        k < feature.boostedLogits.size() ? feature.boostedLogits[k] : 0;
                hits[int(f)] =
                        hit(int(f), logit, model.tokenizer().displayPiece(feature.boosted[k]));
                break;
            }
        }
    }
    return hits;
}

Result<Hits> byFiring(const LanguageModel &model, const detail::SaeModule &sae, const QString &text,
                      int position)
{
    Result<std::vector<int>> tokens = model.encode(text);
    if (!tokens) {
        return tokens.status();
    }
    const int count = static_cast<int>(tokens->size());
    if (position < 0) {
        position = count - 1;
    }
    if (position >= count) {
        return Status::invalidInput(
                QStringLiteral("token %1 is past the text's %2 tokens").arg(position).arg(count));
    }
    ForwardOptions options;
    options.captures = {sae.config().hookName};
    options.logits = false;
    Result<ForwardOutput> output = model.forward(tokens.value(), options);
    if (!output) {
        return output.status();
    }
    const FloatTensor &activations = output->activations.at(sae.config().hookName);
    const int64_t width = activations.shape.at(1);
    std::vector<float> row(activations.values.begin() + position * width,
                           activations.values.begin() + (position + 1) * width);
    c10::InferenceMode guard;
    const at::Tensor x =
            at::from_blob(row.data(), {1, width}, at::kFloat).to(sae.weights().wDec.device());
    const at::Tensor f = sae.encode(x).select(0, 0).to(at::kCPU, at::kFloat).contiguous();
    const float *values = f.data_ptr<float>();
    const QString piece = model.tokenizer().vocabSize() > 0
                                  ? model.tokenizer().displayPiece(tokens->at(size_t(position)))
                                  : QString::number(tokens->at(size_t(position)));
    Hits hits;
    for (int64_t j = 0; j < f.numel(); ++j) {
        if (values[j] > 0.0f) {
            hits[int(j)] = hit(int(j), values[j],
                               QStringLiteral("fires on «%1» (token %2)").arg(piece).arg(position));
        }
    }
    return hits;
}

Result<Hits> byConcept(const detail::SaeModule &sae, const std::vector<float> &concept)
{
    const at::Tensor decoder = sae.weights().wDec.to(at::kCPU, at::kDouble);  // [d_sae, d_model]
    if (static_cast<int64_t>(concept.size()) != decoder.size(1)) {
        return Status::invalidInput(
                QStringLiteral("the concept vector has %1 values; the SAE's decoder rows have %2")
                        .arg(concept.size())
                        .arg(decoder.size(1)));
    }
    const at::Tensor v = at::tensor(std::vector<float>(concept), at::kFloat).to(at::kDouble);
    const at::Tensor cosine =
            at::matmul(decoder, v) / (decoder.norm(2, 1) * v.norm()).clamp_min(1e-30);
    const at::Tensor host = cosine.contiguous();
    const double *values = host.data_ptr<double>();
    Hits hits;
    for (int64_t j = 0; j < host.numel(); ++j) {
        hits[int(j)] = hit(int(j), values[j], QStringLiteral("decoder cosine"));
    }
    return hits;
}

/// The features in both, with `later`'s score and match.
Hits intersect(const std::optional<Hits> &earlier, Hits later)
{
    if (!earlier) {
        return later;
    }
    Hits out;
    for (auto &[feature, found] : later) {
        if (earlier->count(feature)) {
            out[feature] = std::move(found);
        }
    }
    return out;
}

Status need(bool present, const QString &criterion, const QString &source)
{
    return present ? Status::ok()
                   : Status::invalidInput(
                             QStringLiteral("searching by %1 needs %2").arg(criterion, source));
}

}  // namespace

Result<std::vector<FeatureSearchHit>> searchFeatures(const FeatureSearchSources &sources,
                                                     const FeatureSearchQuery &query)
{
    if (query.label.isEmpty() && query.exampleText.isEmpty() && query.boostedToken.isEmpty() &&
        query.firesOnText.isEmpty() && query.concept.empty()) {
        return Status::invalidInput(QStringLiteral(
                "nothing to search by: give a label, example text, boosted token, a text the "
                "feature fires on, or a concept vector"));
    }
    for (const Status &check :
         {need(query.exampleText.isEmpty() || (sources.scan && sources.model),
               QStringLiteral("example text"), QStringLiteral("a corpus scan and the model")),
          need(query.boostedToken.isEmpty() || (sources.scan && sources.model),
               QStringLiteral("boosted token"), QStringLiteral("a corpus scan and the model")),
          need(query.firesOnText.isEmpty() || (sources.sae && sources.model),
               QStringLiteral("a text it fires on"), QStringLiteral("the model and an SAE")),
          need(query.concept.empty() || sources.sae, QStringLiteral("a concept vector"),
               QStringLiteral("an SAE"))}) {
        if (!check.isOk()) {
            return check;
        }
    }
    std::optional<Hits> found;
    try {
        if (!query.label.isEmpty()) {
            found = intersect(found, byNote(sources.notes, query.label));
        }
        if (!query.exampleText.isEmpty()) {
            found = intersect(found, byExample(*sources.model, *sources.scan, query.exampleText,
                                               query.contextRadius));
        }
        if (!query.boostedToken.isEmpty()) {
            found = intersect(found,
                              byBoostedToken(*sources.model, *sources.scan, query.boostedToken));
        }
        if (!query.firesOnText.isEmpty()) {
            Result<Hits> firing =
                    byFiring(*sources.model, *sources.sae, query.firesOnText, query.firesAt);
            if (!firing) {
                return firing.status();
            }
            found = intersect(found, std::move(firing).value());
        }
        if (!query.concept.empty()) {
            Result<Hits> similar = byConcept(*sources.sae, query.concept);
            if (!similar) {
                return similar.status();
            }
            found = intersect(found, std::move(similar).value());
        }
    } catch (...) {
        return statusFromException(std::current_exception());
    }
    std::vector<FeatureSearchHit> hits;
    for (auto &[feature, entry] : *found) {
        if (sources.scan && feature < static_cast<int>(sources.scan->features.size())) {
            entry.density = sources.scan->features[size_t(feature)].density;
        }
        entry.label = sources.notes.value(feature).label;
        hits.push_back(std::move(entry));
    }
    std::stable_sort(
            hits.begin(), hits.end(),
            [](const FeatureSearchHit &a, const FeatureSearchHit &b) { return a.score > b.score; });
    if (query.limit > 0 && hits.size() > static_cast<size_t>(query.limit)) {
        hits.resize(static_cast<size_t>(query.limit));
    }
    return hits;
}

}  // namespace gyrus::gpu
