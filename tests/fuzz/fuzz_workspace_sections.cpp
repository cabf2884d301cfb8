// libFuzzer harness: the JSON of a workspace's core sections: "selection" (selected feature, clamp
// set, annotations) restored into a SelectionHub, and "sae_training" (the form, the run's metrics)
// read as the SAE training dock reads it. Any bytes restore or give a Status; never a crash.

#include "core/sae/sae_training_json.h"
#include "core/session/selection_hub.h"
#include "core/session/workspace_selection.h"
#include "tests/fuzz/fuzz_input.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace gyrus::fuzz {

// Shared with fuzz_workspace_file.cpp: what a workspace's core sections go through on open.
void restoreCoreSections(const QByteArray &selection, const QByteArray &saeTraining)
{
    SelectionHub hub;
    auto section = makeSelectionSection(&hub);
    QStringList warnings;
    (void)section->restore(selection, &warnings);
    (void)section->save();

    const QJsonObject state = QJsonDocument::fromJson(saeTraining).object();
    (void)saeTrainRequestFromJson(state.value(QStringLiteral("form")).toObject());
    (void)saeTrainRequestFromJson(state.value(QStringLiteral("last_submitted")).toObject());
    for (const QJsonValue &point : state.value(QStringLiteral("history")).toArray()) {
        (void)saeTrainMetricsToJson(saeTrainMetricsFromJson(point.toObject()));
    }
}

}  // namespace gyrus::fuzz

#ifndef GYRUS_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    using namespace gyrus;
    const QString seeds = fuzz::seedDirectory();
    if (!seeds.isEmpty()) {
        SelectionHub hub;
        hub.selectFeature(12);
        hub.addClamp({12, ClampMode::Clamp, 4.5, ClampPositions::All, true});
        hub.setAnnotation(12, {QStringLiteral("negation"), QStringLiteral("fires on \"not\"")});
        QFile file(seeds + QStringLiteral("/selection.json"));
        if (file.open(QIODevice::WriteOnly)) {
            file.write(makeSelectionSection(&hub)->save());
        }
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // The same bytes as either section: each parser ignores what it does not know.
    const QByteArray json = gyrus::fuzz::inputBytes(data, size);
    gyrus::fuzz::restoreCoreSections(json, json);
    return 0;
}
#endif
