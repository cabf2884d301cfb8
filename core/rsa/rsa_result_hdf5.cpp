#include "core/rsa/rsa_result_hdf5.h"

#include "core/base/vocabulary.h"
#include "core/hdf5/hdf5_writer.h"
#include "core/rsa/rdm_hdf5.h"
#include "core/rsa/rsa_requests.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <utility>
#include <vector>

namespace gyrus {

Status writeRsaResultHdf5(const RsaResult &r, const QString &path)
{
    auto writer = Hdf5Writer::create(path);
    if (!writer) {
        return writer.status();
    }
    const int64_t n = r.rdm.size();
    Status status = writeRdmDatasets(*writer.value(), QStringLiteral("rdm"), r.rdm);
    const std::vector<int32_t> items(r.items.begin(), r.items.end());
    if (status.isOk()) {
        status = writer.value()->writeInt32(QStringLiteral("items"), {n}, items.data());
    }
    if (status.isOk() && r.hasIntervention) {
        const std::vector<float> clamped = r.clampedRdm.toSquare();
        std::vector<float> difference = clamped;
        const std::vector<float> plain = r.rdm.toSquare();
        for (size_t k = 0; k < difference.size(); ++k) {
            difference[k] -= plain[k];
        }
        status =
                writer.value()->writeFloat32(QStringLiteral("rdm_clamped"), {n, n}, clamped.data());
        if (status.isOk()) {
            status = writer.value()->writeFloat32(QStringLiteral("rdm_difference"), {n, n},
                                                  difference.data());
        }
    }
    QJsonArray models;
    for (int k = 0; k < r.models.size() && status.isOk(); ++k) {
        models.append(r.models[k].name);
        status = writer.value()->writeFloat32(QStringLiteral("model_%1").arg(k), {n, n},
                                              r.models[k].model.toSquare().data());
    }
    const QJsonArray ids = QJsonArray::fromStringList(r.rdm.ids());
    for (const auto &[key, value] :
         {std::pair{QStringLiteral("ids"),
                    QString::fromUtf8(QJsonDocument(ids).toJson(QJsonDocument::Compact))},
          std::pair{QStringLiteral("models"),
                    QString::fromUtf8(QJsonDocument(models).toJson(QJsonDocument::Compact))},
          std::pair{QStringLiteral("metric"), nameOf(r.request.metric)},
          std::pair{QStringLiteral("hook_name"), r.request.hookName},
          std::pair{QStringLiteral("representation"),
                    r.request.saeFeatures ? QStringLiteral("sae") : QStringLiteral("raw")},
          std::pair{QStringLiteral("pooling"), nameOf(r.request.pooling)},
          std::pair{QStringLiteral("prompt_set"), r.request.set.displayName()}}) {
        if (status.isOk()) {
            status = writer.value()->setAttribute(key, value);
        }
    }
    if (status.isOk()) {
        status = writer.value()->commit();
    }
    return status;
}
}  // namespace gyrus
