#include "gpu/detail/hook_set.h"

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
        case HookSite::FinalNormalized:
            return QStringLiteral("ln_final.hook_normalized");
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
    if (name == QLatin1String("hook_embed")) {
        return embed();
    }
    if (name == QLatin1String("ln_final.hook_normalized")) {
        return finalNormalized();
    }
    const QStringList parts = name.split(QLatin1Char('.'));
    if (parts.size() != 3 || parts[0] != QLatin1String("blocks")) {
        return std::nullopt;
    }
    bool ok = false;
    const int layer = parts[1].toInt(&ok);
    if (!ok || layer < 0 || layer >= numLayers) {
        return std::nullopt;
    }
    for (const SiteName &entry : kBlockSites) {
        if (parts[2] == QLatin1String(entry.suffix)) {
            return block(entry.site, layer);
        }
    }
    return std::nullopt;
}

int HookPoint::depth(int numLayers) const
{
    switch (site) {
        case HookSite::Embed:
            return -1;
        case HookSite::FinalNormalized:
            return numLayers;
        default:
            return layer;
    }
}

QStringList hookNames(int numLayers)
{
    QStringList names{HookPoint::embed().name()};
    for (int layer = 0; layer < numLayers; ++layer) {
        for (const SiteName &entry : kBlockSites) {
            names << HookPoint::block(entry.site, layer).name();
        }
    }
    names << HookPoint::finalNormalized().name();
    return names;
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
    return deepest;
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
        if (whole) {
            x = replacement.to(x.scalar_type());
        } else if (!replacement.is_same(slice)) {
            slice.copy_(replacement);
        }
    }
    return x;
}

}  // namespace gyrus::gpu::detail
