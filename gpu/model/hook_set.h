#pragma once
// Private to gyrus_gpu (and tests/gpu). Hook points of the transformer, with TransformerLens names,
// and the HookSet its forward() calls at each of them (ARCHITECTURE.md §4).

#include "gpu/model/model_config.h"

#include <QString>
#include <QStringList>

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <vector>

namespace gyrus::gpu::detail {

enum class HookSite
{
    Embed,            ///< hook_embed
    PosEmbed,         ///< hook_pos_embed (learned positions only)
    ResidPre,         ///< blocks.L.hook_resid_pre
    AttnOut,          ///< blocks.L.hook_attn_out
    ResidMid,         ///< blocks.L.hook_resid_mid
    MlpOut,           ///< blocks.L.hook_mlp_out
    ResidPost,        ///< blocks.L.hook_resid_post
    FinalNormalized,  ///< ln_final.hook_normalized
    /// blocks.L.attn.hook_z: the heads' outputs before the output projection, [batch, tokens,
    /// heads · d_head] (head h is columns [h · d_head, (h + 1) · d_head)). Not a residual site:
    /// hookNames() leaves it out, centring does not apply, parse() accepts it.
    AttnZ,
};

/// One named site. `layer` is -1 for hook_embed and ln_final.hook_normalized.
struct HookPoint
{
    HookSite site = HookSite::Embed;
    int layer = -1;

    static HookPoint embed() { return {HookSite::Embed, -1}; }

    static HookPoint block(HookSite site, int layer) { return {site, layer}; }

    static HookPoint finalNormalized() { return {HookSite::FinalNormalized, -1}; }

    /// The TransformerLens name ("blocks.3.hook_resid_post").
    QString name() const;

    /// Parses a TransformerLens name (blocks.L.attn.hook_z included); std::nullopt for an unknown
    /// name or a layer outside [0, numLayers). This overload assumes the standard (Llama) sites.
    static std::optional<HookPoint> parse(const QString &name, int numLayers);

    /// The same against a model's own sites: hook_pos_embed only with learned positions,
    /// hook_resid_mid not with a parallel residual.
    static std::optional<HookPoint> parse(const QString &name, const HookLayout &layout);

    /// The layer whose output the site needs (numLayers for ln_final, -1 for hook_embed).
    int depth(int numLayers) const;

    bool operator<(const HookPoint &other) const
    {
        return site != other.site ? site < other.site : layer < other.layer;
    }

    bool operator==(const HookPoint &other) const
    {
        return site == other.site && layer == other.layer;
    }
};

/// Every hook name of a model with `numLayers` layers, in forward order (the standard sites).
QStringList hookNames(int numLayers);

/// Every hook name of a model with `layout`, in forward order.
QStringList hookNames(const HookLayout &layout);

/// A sentence listing the sites of `layout`, for "unknown hook" messages.
QString describeHooks(const HookLayout &layout);

/// Absolute token positions [begin, end). The default covers every position.
struct PositionRange
{
    int64_t begin = 0;
    int64_t end = std::numeric_limits<int64_t>::max();
};

/// What a hook callback is told besides the tensor.
struct HookContext
{
    HookPoint point;
    int64_t firstPosition = 0;  ///< absolute position of the tensor's first token
    at::Tensor positions;       ///< int64 [tokens], absolute, on the tensor's device
};

/// Receives the activations at a site restricted to its position range ([batch, tokens, d]) and
/// returns a replacement of the same shape, or an undefined tensor to leave them unchanged.
using HookFn = std::function<at::Tensor(const at::Tensor &x, const HookContext &context)>;

/// The hooks of one forward pass or one generation. Calls are made in forward order on the
/// thread running the forward; a HookSet is not thread-safe.
class HookSet
{
public:
    /// Copies the site's activations (within `range`) out on every call; calls append along the
    /// token axis, so a generation's decode steps accumulate. Read with captured().
    void capture(const HookPoint &point, PositionRange range = {});

    /// Adds a callback that observes or replaces the site's activations within `range`. Several
    /// callbacks at one site run in the order they were added, each seeing the previous result.
    void add(const HookPoint &point, HookFn fn, PositionRange range = {});

    bool empty() const { return m_entries.empty() && m_patternLayers.empty(); }

    /// Keeps the attention probabilities of `layer` ([batch, heads, queries, keys], float32),
    /// exactly those the forward multiplies the values by (soft-cap, sliding window and causal
    /// mask applied). Read with pattern().
    void capturePattern(int layer) { m_patternLayers[layer] = at::Tensor(); }

    bool capturesPattern(int layer) const { return m_patternLayers.count(layer) > 0; }

    /// Called by the transformer with a layer's attention probabilities.
    void storePattern(int layer, const at::Tensor &probabilities);

    /// The pattern kept for `layer`; undefined when the layer was not reached or not asked for.
    at::Tensor pattern(int layer) const;

    /// The forward records autograd history (it runs under InferenceMode otherwise), so that a
    /// hook may return a tensor that requires grad and the caller may differentiate the logits
    /// with respect to it (attribution). The weights never require grad.
    void setRecordsGradients(bool records) { m_recordsGradients = records; }

    bool recordsGradients() const { return m_recordsGradients; }

    /// TransformerLens's center_writing_weights, seen from the hooks: every site that writes to
    /// the residual stream (all but ln_final.hook_normalized) shows the activation minus its
    /// per-token mean over d_model, and a replacement gets that mean added back. The forward
    /// itself is unchanged; for LayerNorm models this equals running TL's processed weights.
    void setCentred(bool centred) { m_centred = centred; }

    bool centred() const { return m_centred; }

    bool has(const HookPoint &point) const { return m_entries.count(point) > 0; }

    /// The deepest layer any hook needs (HookPoint::depth); -1 when only hook_embed or nothing.
    int deepestLayer(int numLayers) const;

    /// The activations captured by the most recently added capture at the site, [batch, tokens,
    /// d] on the forward's device and in the model's dtype; undefined when the site was never
    /// reached or not captured.
    at::Tensor captured(const HookPoint &point) const;

    /// Drops what was captured (keeps the hooks).
    void clearCaptures();

    /// Called by the transformer at each site: returns x, possibly replaced. x is owned by the
    /// forward pass and may be modified in place.
    at::Tensor run(const HookPoint &point, at::Tensor x, int64_t firstPosition);

private:
    struct Entry
    {
        HookFn fn;  ///< empty for a capture
        PositionRange range;
        std::vector<at::Tensor> captures;
    };

    std::map<HookPoint, std::vector<Entry>> m_entries;
    std::map<int, at::Tensor> m_patternLayers;
    bool m_centred = false;
    bool m_recordsGradients = false;
};

}  // namespace gyrus::gpu::detail
