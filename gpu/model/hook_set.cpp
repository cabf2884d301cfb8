#include "gpu/model/hook_set.h"

#include <algorithm>

namespace gyrus::gpu::detail {

namespace {

struct SiteName
{
    HookSite site;
    const char *suffix;
};

constexpr SiteName kBlockSites[] = {
        {HookSite::ResidPre, "hook_resid_pre"},   {HookSite::AttnOut, "hook_attn_out"},
        {HookSite::ResidMid, "hook_resid_mid"},   {HookSite::MlpOut, "hook_mlp_out"},
        {HookSite::ResidPost, "hook_resid_post"},
};

}  // namespace

QString HookPoint::name() const
{
    switch (site) {
        case HookSite::Embed:
            return QStringLiteral("hook_embed");
        case HookSite::PosEmbed:
            return QStringLiteral("hook_pos_embed");
        case HookSite::FinalNormalized:
            return QStringLiteral("ln_final.hook_normalized");
        case HookSite::AttnZ:
            return QStringLiteral("blocks.%1.attn.hook_z").arg(layer);
        default:
            break;
    }
    for (const SiteName &entry : kBlockSites) {
        if (entry.site == site) {
            return QStringLiteral("blocks.%1.%2").arg(layer).arg(QLatin1String(entry.suffix));
        }
    }
    return QString();
}

std::optional<HookPoint> HookPoint::parse(const QString &name, int numLayers)
{
    HookLayout layout;
    layout.layers = numLayers;
    return parse(name, layout);
}

std::optional<HookPoint> HookPoint::parse(const QString &name, const HookLayout &layout)
{
    const int numLayers = layout.layers;
    if (name == QLatin1String("hook_pos_embed") && layout.posEmbed) {
        return HookPoint{HookSite::PosEmbed, -1};
    }
    if (name == QLatin1String("hook_embed")) {
        return embed();
    }
    if (name == QLatin1String("ln_final.hook_normalized")) {
        return finalNormalized();
    }
    const QStringList parts = name.split(QLatin1Char('.'));
    const bool headSite = parts.size() == 4 && parts[2] == QLatin1String("attn") &&
                          parts[3] == QLatin1String("hook_z");
    if ((parts.size() != 3 && !headSite) || parts[0] != QLatin1String("blocks")) {
        return std::nullopt;
    }
    bool ok = false;
    const int layer = parts[1].toInt(&ok);
    if (!ok || layer < 0 || layer >= numLayers) {
        return std::nullopt;
    }
    if (headSite) {
        return block(HookSite::AttnZ, layer);
    }
    for (const SiteName &entry : kBlockSites) {
        if (parts[2] == QLatin1String(entry.suffix) &&
            (entry.site != HookSite::ResidMid || layout.residMid)) {
            return block(entry.site, layer);
        }
    }
    return std::nullopt;
}

int HookPoint::depth(int numLayers) const
{
    switch (site) {
        case HookSite::Embed:
        case HookSite::PosEmbed:
            return -1;
        case HookSite::FinalNormalized:
            return numLayers;
        default:
            return layer;
    }
}

QStringList hookNames(int numLayers)
{
    HookLayout layout;
    layout.layers = numLayers;
    return hookNames(layout);
}

QStringList hookNames(const HookLayout &layout)
{
    QStringList names{HookPoint::embed().name()};
    if (layout.posEmbed) {
        names << HookPoint{HookSite::PosEmbed, -1}.name();
    }
    for (int layer = 0; layer < layout.layers; ++layer) {
        for (const SiteName &entry : kBlockSites) {
            if (entry.site != HookSite::ResidMid || layout.residMid) {
                names << HookPoint::block(entry.site, layer).name();
            }
        }
    }
    names << HookPoint::finalNormalized().name();
    return names;
}

QString describeHooks(const HookLayout &layout)
{
    QString sites = layout.residMid
                            ? QStringLiteral("resid_pre,attn_out,resid_mid,mlp_out,resid_post")
                            : QStringLiteral("resid_pre,attn_out,mlp_out,resid_post");
    QString text = QStringLiteral(
                           "this model has hook_embed, %1blocks.{0..%2}.hook_{%3} and "
                           "ln_final.hook_normalized")
                           .arg(layout.posEmbed ? QStringLiteral("hook_pos_embed, ") : QString())
                           .arg(layout.layers - 1)
                           .arg(sites);
    if (!layout.residMid) {
        text += QStringLiteral(" (no hook_resid_mid: attention and MLP read the same residual)");
    }
    return text;
}

void HookSet::capture(const HookPoint &point, PositionRange range)
{
    m_entries[point].push_back(Entry{HookFn(), range, {}});
}

void HookSet::add(const HookPoint &point, HookFn fn, PositionRange range)
{
    m_entries[point].push_back(Entry{std::move(fn), range, {}});
}

int HookSet::deepestLayer(int numLayers) const
{
    int deepest = -1;
    for (const auto &[point, entries] : m_entries) {
        deepest = std::max(deepest, point.depth(numLayers));
    }
    if (!m_patternLayers.empty()) {
        deepest = std::max(deepest, m_patternLayers.rbegin()->first);
    }
    return deepest;
}

void HookSet::storePattern(int layer, const at::Tensor &probabilities)
{
    at::Tensor &slot = m_patternLayers[layer];
    slot = probabilities.detach().to(at::kFloat).clone();
}

at::Tensor HookSet::pattern(int layer) const
{
    const auto found = m_patternLayers.find(layer);
    return found == m_patternLayers.end() ? at::Tensor() : found->second;
}

at::Tensor HookSet::captured(const HookPoint &point) const
{
    const auto found = m_entries.find(point);
    if (found == m_entries.end()) {
        return at::Tensor();
    }
    const std::vector<Entry> &entries = found->second;
    for (auto entry = entries.rbegin(); entry != entries.rend(); ++entry) {
        if (entry->fn || entry->captures.empty()) {
            continue;
        }
        return entry->captures.size() == 1 ? entry->captures.front() : at::cat(entry->captures, 1);
    }
    return at::Tensor();
}

void HookSet::clearCaptures()
{
    for (auto &[layer, pattern] : m_patternLayers) {
        pattern = at::Tensor();
    }
    for (auto &[point, entries] : m_entries) {
        for (Entry &entry : entries) {
            entry.captures.clear();
        }
    }
}

at::Tensor HookSet::run(const HookPoint &point, at::Tensor x, int64_t firstPosition)
{
    const auto found = m_entries.find(point);
    if (found == m_entries.end()) {
        return x;
    }
    // Centring: the hooks work on x - mean(x); `original` and `mean` restore the stream.
    const bool centre =
            m_centred && point.site != HookSite::FinalNormalized && point.site != HookSite::AttnZ;
    const at::Tensor original = x;
    at::Tensor mean;
    if (centre) {
        mean = x.mean(-1, /*keepdim=*/true);
        x = x - mean;
    }
    bool replaced = false;
    const int64_t tokens = x.size(1);
    for (Entry &entry : found->second) {
        const int64_t begin = std::max(firstPosition, entry.range.begin);
        const int64_t end = std::min(firstPosition + tokens, entry.range.end);
        if (begin >= end) {
            continue;
        }
        const bool whole = begin == firstPosition && end == firstPosition + tokens;
        const at::Tensor slice = whole ? x : x.narrow(1, begin - firstPosition, end - begin);
        if (!entry.fn) {
            entry.captures.push_back(slice.clone());
            continue;
        }
        HookContext context{point, begin, at::arange(begin, end, x.options().dtype(at::kLong))};
        at::Tensor replacement = entry.fn(slice, context);
        if (!replacement.defined()) {
            continue;
        }
        TORCH_CHECK(replacement.sizes() == slice.sizes(), "hook at ", point.name().toStdString(),
                    " returned shape ", replacement.sizes(), ", expected ", slice.sizes());
        replaced = true;
        if (whole) {
            x = replacement.to(x.scalar_type());
        } else if (!replacement.is_same(slice)) {
            slice.copy_(replacement);
        }
    }
    if (centre) {
        return replaced ? x + mean : original;
    }
    return x;
}

}  // namespace gyrus::gpu::detail
