#include "gpu/sae/training/sae_objective.h"

#include "gpu/sae/training/batch_reducer.h"
#include "gpu/sae/training/sae_cpu_kernels.h"

#include <algorithm>

namespace gyrus::gpu::detail {

namespace {

// a·b with the operands cast to `type` (bf16/fp16: the products autocast would lower) and the
// result back in float32, as the float32 master weights and reductions expect.
at::Tensor mixedMm(const at::Tensor &a, const at::Tensor &b, at::ScalarType type)
{
    if (type == at::kFloat) {
        return at::mm(a, b);
    }
    return at::mm(a.to(type), b.to(type)).to(at::kFloat);
}

// bias + a·b; in float32 the bias is the GEMM's C operand, which saves a pass over the output.
at::Tensor mixedAddmm(const at::Tensor &bias, const at::Tensor &a, const at::Tensor &b,
                      at::ScalarType type)
{
    if (type == at::kFloat) {
        return at::addmm(bias, a, b);
    }
    return mixedMm(a, b, type).add_(bias);
}

// The active entries of a TopK-family batch, grouped by token: the bags of embedding_bag.
struct SparseCodes
{
    at::Tensor columns;  // [M] int64 latent index
    at::Tensor values;   // [M] float activation (>= 0)
    at::Tensor offsets;  // [B] int64 start of each token's entries
    at::Tensor rows;     // [M] int64 token of each entry
};

// The entries regrouped by latent (stable, so the order within a latent stays the token order):
// the bags of the embedding_bag calls that accumulate the weight gradients per latent.
struct CodesByLatent
{
    at::Tensor order;    // [M] positions into the token-grouped entries
    at::Tensor rows;     // [M] token of each entry, grouped by latent
    at::Tensor offsets;  // [n] start of each latent's entries
};

CodesByLatent groupByLatent(const SparseCodes &codes, int64_t n)
{
    CodesByLatent byLatent;
    byLatent.order = std::get<1>(at::sort(codes.columns, /*stable=*/true, 0, false));
    byLatent.rows = codes.rows.index_select(0, byLatent.order);
    const at::Tensor counts = at::bincount(codes.columns, {}, n);
    byLatent.offsets = counts.cumsum(0) - counts;
    return byLatent;
}

// Σ over each latent's entries of weight_e · table[row_e]: [n, d].
at::Tensor sumPerLatent(const at::Tensor &table, const CodesByLatent &byLatent,
                        const at::Tensor &weights)
{
    return std::get<0>(at::embedding_bag(table, byLatent.rows, byLatent.offsets, false, 0, false,
                                         weights.index_select(0, byLatent.order)));
}

// BatchTopK selection: the k·B largest entries of ReLU(pre) over the whole batch (the top k·B
// of pre, negatives zeroed). A per-row top-(4k) first keeps the global selection to B·4k
// candidates instead of B·n; it is exact unless a row has all of its candidates selected, in
// which case the full selection runs. Data-parallel (`reducer`, B = `wholeRows` over every
// rank): each rank's top k·B candidates are gathered, their k·B-th largest is the threshold of
// the whole batch, and each rank keeps its entries at or above it (the same selection as one
// process would make over the whole batch, up to exact ties at the threshold).
void batchTopK(const at::Tensor &activations, int64_t k, BatchReducer *reducer, int64_t wholeRows,
               at::Tensor *smallestKept, SparseCodes *codes)
{
    const int64_t rows = activations.size(0);
    const int64_t n = activations.size(1);
    const int64_t keepWhole = k * (reducer != nullptr ? wholeRows : rows);
    const int64_t keep = std::min(keepWhole, rows * n);
    // Four times the mean entries a row keeps (4k in one process; a rank may keep up to all of
    // the whole batch's k·B, so its rows get more room).
    const int64_t capacity = std::min<int64_t>(n, 4 * ((keep + rows - 1) / rows));
    at::Tensor flatValues;
    at::Tensor flatIndices;
    if (capacity < n) {
        const auto [rowValues, rowIndices] = at::topk(activations, capacity, 1, true, false);
        const auto [values, positions] = at::topk(rowValues.reshape({-1}), keep, 0, true, false);
        const at::Tensor rowOf = at::div(positions, capacity, "floor");
        const at::Tensor perRow = at::bincount(rowOf, {}, rows);
        if (perRow.max().item<int64_t>() < capacity) {
            flatValues = values;
            flatIndices = rowOf * n + rowIndices.reshape({-1}).index_select(0, positions);
        }
    }
    if (!flatValues.defined()) {
        std::tie(flatValues, flatIndices) =
                at::topk(activations.reshape({-1}), keep, 0, true, false);
    }
    if (reducer != nullptr) {
        // Padded with −∞ so that every rank sends the same shape.
        const at::Tensor candidates = at::full({keepWhole}, -INFINITY, flatValues.options());
        candidates.narrow(0, 0, keep).copy_(flatValues);
        const at::Tensor all = reducer->gather(candidates).reshape({-1});
        const at::Tensor threshold = std::get<0>(at::topk(all, keepWhole, 0, true, false)).min();
        const at::Tensor mine = flatValues >= threshold;
        flatValues = flatValues.masked_select(mine);
        flatIndices = flatIndices.masked_select(mine);
    }
    // Selected entries are negative when fewer than k·B are positive: they become zeros.
    flatValues = at::relu(flatValues);
    const at::Tensor positive = flatValues > 0;
    *smallestKept = at::where(positive, flatValues, at::full_like(flatValues, INFINITY)).min();
    if (reducer != nullptr) {
        reducer->minimum(*smallestKept);
    }
    // Sorted flat indices group the entries by row (index = row·n + column).
    const auto [sorted, order] = flatIndices.sort();
    const at::Tensor rowOf = at::div(sorted, n, "floor");
    const at::Tensor counts = at::bincount(rowOf, {}, rows);
    codes->columns = sorted - rowOf * n;
    codes->values = flatValues.index_select(0, order);
    codes->offsets = counts.cumsum(0) - counts;
    codes->rows = rowOf;
}

// A [rows, columns] float buffer: the workspace's (reused; resize_ keeps a large enough
// allocation), or a fresh one without a workspace.
at::Tensor scratch(at::Tensor *slot, int64_t rows, int64_t columns,
                   const at::TensorOptions &options)
{
    if (slot == nullptr) {
        return at::empty({rows, columns}, options);
    }
    if (!slot->defined()) {
        *slot = at::empty({rows, columns}, options);
    } else {
        slot->resize_({rows, columns});
    }
    return *slot;
}

// The dense [B, n] codes of sparse ones.
at::Tensor denseCodes(const SparseCodes &codes, const at::Tensor &like)
{
    const int64_t n = like.size(1);
    return at::zeros_like(like)
            .reshape({-1})
            .scatter_(0, codes.rows * n + codes.columns, codes.values)
            .view_as(like);
}

}  // namespace

SaeStepResult saeForwardBackward(const SaeModule &module, const at::Tensor &x,
                                 const SaeLossSettings &settings, bool withGradients)
{
    const SaeConfig &config = module.config();
    const SaeWeights &w = module.weights();
    const at::ScalarType type = settings.matmulType;
    BatchReducer *reducer = settings.reducer;
    // Means over the batch divide by the rows of the whole batch, every rank's together.
    const double batch =
            static_cast<double>(reducer != nullptr ? settings.wholeBatchRows : x.size(0));
    auto batchMean = [&](const at::Tensor &perRow) {
        return reducer != nullptr ? perRow.sum() / batch : perRow.mean();
    };
    SaeStepResult result;
    SaeLossTerms &loss = result.loss;

    const at::Tensor input = config.applyBDecToInput ? x - w.bDec : x;
    // On the CPU in float32 the [B, n] passes run as fused loops (sae_cpu_kernels.h) into
    // reusable buffers.
    const bool cpuFloat = type == at::kFloat && x.is_cpu();
    SaeWorkspace *workspace = cpuFloat ? settings.workspace : nullptr;
    const int64_t rows = x.size(0);
    const int64_t n = config.dSae;
    // Passes over [B, d_sae] dominate everything but the matmuls, so each is counted: the
    // biases ride in the GEMMs, ReLU runs in place, L0/L1/firing counts come from two column
    // reductions, and the backward masks with one threshold_backward.
    at::Tensor pre;
    if (workspace != nullptr) {
        pre = scratch(&workspace->pre, rows, n, x.options());
        at::addmm_out(pre, w.bEnc, input, w.wEnc);
    } else {
        pre = mixedAddmm(w.bEnc, input, w.wEnc, type);
    }
    at::Tensor f;  // dense codes; undefined on the sparse CPU path
    at::Tensor featureSums;
    SparseCodes codes;  // TopK family only
    switch (config.architecture) {
        case SaeArchitecture::Relu:
            f = pre.relu_();  // pre is not needed afterwards
            break;
        case SaeArchitecture::TopK: {
            // The top k of ReLU(pre) are the top k of pre with negatives zeroed: no ReLU pass.
            const auto [values, indices] = at::topk(pre, config.k, 1, true, false);
            codes.columns = indices.reshape({-1});
            codes.values = at::relu(values).reshape({-1});
            codes.offsets = at::arange(0, x.size(0) * config.k, config.k, indices.options());
            codes.rows = at::arange(x.size(0), indices.options()).repeat_interleave(config.k);
            break;
        }
        case SaeArchitecture::BatchTopK:
            batchTopK(pre, config.k, reducer, settings.wholeBatchRows, &loss.batchTopKMin, &codes);
            break;
        case SaeArchitecture::JumpRelu:
            // θ > 0 (it is exp(log θ)), so f > 0 exactly where pre > θ.
            if (cpuFloat) {
                f = scratch(workspace != nullptr ? &workspace->f : nullptr, rows, n, x.options());
                std::tie(featureSums, loss.fired) =
                        jumpReluForward(pre, w.threshold.contiguous(), f);
            } else {
                f = pre * (pre > w.threshold);
            }
            break;
    }
    // The TopK family on the CPU in float32 never forms the dense codes: the decoder, dF, and the
    // weight gradients work on the k·B active entries (the dense [B, n] GEMMs would multiply
    // mostly zeros; ~15× fewer FLOPs at d = 256, n = 4096, k = 32).
    const bool sparse = codes.columns.defined() && type == at::kFloat && x.is_cpu();
    if (codes.columns.defined() && !sparse) {
        f = denseCodes(codes, pre);
    }
    at::Tensor xHat;
    if (codes.columns.defined() && type == at::kFloat) {
        xHat = std::get<0>(at::embedding_bag(w.wDec, codes.columns, codes.offsets, false, 0, false,
                                             codes.values))
                       .add_(w.bDec);
    } else {
        xHat = mixedAddmm(w.bDec, f, w.wDec, type);
    }
    const at::Tensor diff = xHat - x;
    loss.mse = batchMean(diff.square().sum(1));
    if (reducer == nullptr) {
        // Data-parallel, the trainer finds the whole batch's from the ranks' sums.
        loss.variance = (x - x.mean(0)).square().sum(1).mean();
    }
    // Firing counts and column sums: a bincount of the selected latents, or one fused pass over
    // f (f >= 0) on the CPU; boolean reductions over [B, n] cost as much as a GEMM there.
    if (codes.columns.defined()) {
        loss.fired = at::bincount(codes.columns.masked_select(codes.values > 0), {}, config.dSae);
        loss.l1 = codes.values.sum() / batch;
    } else {
        if (loss.fired.defined()) {
            // Counted by the JumpReLU forward pass.
        } else if (cpuFloat) {
            std::tie(featureSums, loss.fired) = columnSumsAndCounts(f);
        } else {
            featureSums = f.sum(0);
            loss.fired = f.sign().sum(0).to(at::kLong);
        }
        loss.l1 = featureSums.sum() / batch;
    }
    loss.l0 = loss.fired.sum().to(at::kFloat) / batch;
    loss.total = loss.mse.clone();

    at::Tensor decoderNorms;
    if (config.architecture == SaeArchitecture::Relu) {
        decoderNorms = w.wDec.norm(2, {1});
        loss.sparsity = at::dot(featureSums, decoderNorms) / batch;
        loss.total = loss.total + settings.sparsityCoefficient * loss.sparsity;
    } else if (config.architecture == SaeArchitecture::JumpRelu) {
        loss.sparsity = loss.l0;
        loss.total = loss.total + settings.sparsityCoefficient * loss.sparsity;
    } else {
        loss.sparsity = at::zeros({}, x.options());
    }

    // AuxK (Gao et al. 2024): the k_aux largest pre-activations among the dead latents model the
    // residual x − x̂. Worked in the space of the dead latents only, so it costs nothing when
    // there are none and little when there are few.
    loss.auxK = at::zeros({}, x.options());
    at::Tensor deadIndex;
    at::Tensor auxCodes;
    at::Tensor auxDiff;
    at::Tensor auxVariance;
    at::Tensor deadDecoder;
    const bool topKFamily = config.architecture == SaeArchitecture::TopK ||
                            config.architecture == SaeArchitecture::BatchTopK;
    if (topKFamily && settings.auxKCoefficient > 0 && settings.deadMask.defined()) {
        deadIndex = settings.deadMask.nonzero().reshape({-1});
        const int64_t dead = deadIndex.size(0);
        if (dead > 0) {
            const int64_t kAux = std::min<int64_t>(std::max<int64_t>(settings.kAux, 1), dead);
            const at::Tensor deadPre = at::relu(pre.index_select(1, deadIndex));
            const auto [values, indices] = at::topk(deadPre, kAux, 1, true, false);
            auxCodes = at::zeros_like(deadPre).scatter_(1, indices, values);
            deadDecoder = w.wDec.index_select(0, deadIndex);
            const at::Tensor residual = -diff;
            auxDiff = mixedMm(auxCodes, deadDecoder, type) - residual;
            if (reducer != nullptr) {
                // The whole batch's variance from every rank's Σr and Σ‖r‖² (in double: the
                // one-pass formula cancels).
                const at::Tensor sums =
                        at::cat({residual.sum(0, false, at::kDouble),
                                 residual.to(at::kDouble).square().sum().reshape({1})});
                reducer->sum({sums});
                const at::Tensor mean = sums.narrow(0, 0, residual.size(1)) / batch;
                auxVariance = (sums[residual.size(1)] / batch - mean.square().sum())
                                      .to(at::kFloat)
                                      .clamp_min(1e-12);
            } else {
                auxVariance = (residual - residual.mean(0)).square().sum(1).mean().clamp_min(1e-12);
            }
            loss.auxK = batchMean(auxDiff.square().sum(1)) / auxVariance;
            loss.total = loss.total + settings.auxKCoefficient * loss.auxK;
        }
    }
    if (!withGradients) {
        return result;
    }

    SaeGradients &g = result.gradients;
    const at::Tensor dXHat = diff * (2.0 / batch);  // ∂(Σ_d diff² mean_b)/∂x̂
    g.bDec = dXHat.sum(0);
    if (sparse) {
        // ∂L/∂pre at the active entries (inactive entries and zeros get none):
        // dPre_e = 1[f_e > 0]·(∂x̂[row_e] · W_dec[column_e]).
        const at::Tensor dPre =
                gatheredRowDots(dXHat, codes.rows, w.wDec, codes.columns).mul_(codes.values > 0);
        const CodesByLatent byLatent = groupByLatent(codes, config.dSae);
        g.wDec = sumPerLatent(dXHat, byLatent, codes.values);           // fᵀ·∂x̂
        g.wEnc = sumPerLatent(input, byLatent, dPre).t().contiguous();  // inputᵀ·dPre
        g.bEnc = at::zeros({config.dSae}, x.options()).index_add_(0, codes.columns, dPre);
        if (auxCodes.defined()) {
            const at::Tensor dAux =
                    auxDiff * (2.0 * settings.auxKCoefficient / batch) / auxVariance;
            g.wDec.index_add_(0, deadIndex, mixedMm(auxCodes.t(), dAux, type));
            const at::Tensor dCodes = mixedMm(dAux, deadDecoder.t(), type).mul_(auxCodes > 0);
            g.wEnc.index_add_(1, deadIndex, mixedMm(input.t(), dCodes, type));
            g.bEnc.index_add_(0, deadIndex, dCodes.sum(0));
        }
    } else {
        g.wDec = mixedMm(f.t(), dXHat, type);
        at::Tensor dF =
                workspace != nullptr ? scratch(&workspace->dF, rows, n, x.options()) : at::Tensor();
        if (config.architecture == SaeArchitecture::Relu) {
            const double lambda = settings.sparsityCoefficient;
            // ∂(λ·Σ_b Σ_i f_bi‖W_dec,i‖/B)/∂f_bi = λ‖W_dec,i‖/B, added as the GEMM's bias.
            const at::Tensor bias = decoderNorms * (lambda / batch);
            dF = dF.defined() ? at::addmm_out(dF, bias, dXHat, w.wDec.t())
                              : mixedAddmm(bias, dXHat, w.wDec.t(), type);
            // ... and /∂W_dec,i = λ·(Σ_b f_bi/B)·W_dec,i/‖W_dec,i‖
            const at::Tensor safeNorms = decoderNorms.clamp_min(1e-12);
            g.wDec.add_(w.wDec * (featureSums / safeNorms).unsqueeze(1), lambda / batch);
        } else {
            dF = dF.defined() ? at::mm_out(dF, dXHat, w.wDec.t())
                              : mixedMm(dXHat, w.wDec.t(), type);
        }
        at::Tensor dPre;
        if (config.architecture == SaeArchitecture::JumpRelu) {
            // Straight-through pseudo-derivatives with a rectangle kernel of width ε
            // (Rajamanoharan et al. 2024): ∂f/∂θ = −(θ/ε)·K, ∂H/∂θ = −K/ε,
            // K = 1[|pre − θ| < ε/2].
            const double epsilon = settings.jumpReluBandwidth;
            at::Tensor dFKernelSums;
            at::Tensor kernelSums;
            if (cpuFloat) {
                // One pass: both kernel sums, and dF masked in place to ∂L/∂pre.
                std::tie(dFKernelSums, kernelSums) =
                        jumpReluBackward(pre, w.threshold.contiguous(), epsilon / 2, dF);
                dPre = dF;
            } else {
                // As float: column sums of a boolean tensor are several times slower.
                const at::Tensor kernel = ((pre - w.threshold).abs_() < epsilon / 2).to(at::kFloat);
                dFKernelSums = (dF * kernel).sum(0);
                kernelSums = kernel.sum(0);
            }
            const at::Tensor fromF = dFKernelSums * (-w.threshold / epsilon);
            const at::Tensor fromL0 =
                    kernelSums * (-settings.sparsityCoefficient / (epsilon * batch));
            g.logThreshold = (fromF + fromL0) * w.threshold;
        }
        if (!dPre.defined()) {
            // ∂f/∂pre = 1 where the latent is active (f > 0) for every architecture.
            if (cpuFloat) {
                maskInactive(dF, f);
                dPre = dF;
            } else {
                dPre = at::threshold_backward(dF, f, 0);
            }
        }
        if (auxCodes.defined()) {
            const at::Tensor dAux =
                    auxDiff * (2.0 * settings.auxKCoefficient / batch) / auxVariance;
            g.wDec.index_add_(0, deadIndex, mixedMm(auxCodes.t(), dAux, type));
            const at::Tensor dCodes = mixedMm(dAux, deadDecoder.t(), type).mul_(auxCodes > 0);
            dPre.index_add_(1, deadIndex, dCodes);
        }
        g.bEnc = dPre.sum(0);
        g.wEnc = mixedMm(input.t(), dPre, type);
    }
    if (config.applyBDecToInput) {
        g.bDec.sub_(at::mv(w.wEnc, g.bEnc));
    }
    return result;
}

}  // namespace gyrus::gpu::detail
