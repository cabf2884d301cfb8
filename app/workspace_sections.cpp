#include "app/workspace_sections.h"

#include "core/base/file_fingerprint.h"
#include "core/engine/engine_client.h"
#include "widgets/panels/attribution_panel.h"
#include "widgets/panels/model_panel.h"
#include "widgets/panels/prompt_sets_panel.h"
#include "widgets/panels/sae_training_panel.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QObject>
#include <QPointer>

namespace gyrus::app {

namespace {

QByteArray toBytes(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QJsonObject fromBytes(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

/// A reference to a model or SAE directory: path, device, dtype and fingerprint.
QJsonObject reference(const QString &path, const QString &device, const QString &dtype)
{
    QJsonObject json{{QStringLiteral("version"), 1}};
    if (path.isEmpty()) {
        return json;
    }
    json[QStringLiteral("path")] = QFileInfo(path).absoluteFilePath();
    json[QStringLiteral("device")] = device;
    if (!dtype.isEmpty()) {
        json[QStringLiteral("dtype")] = dtype;
    }
    const Result<DirectoryFingerprint> fingerprint = fingerprintDirectory(path);
    if (fingerprint) {
        json[QStringLiteral("sha256")] = fingerprint->sha256;
        json[QStringLiteral("fingerprint")] = fingerprint->method;
    }
    return json;
}

/// Checks a saved reference against the disk: false (with a warning) when the directory is
/// gone; a changed fingerprint only warns.
bool checkReference(const QJsonObject &json, const QString &what, QStringList *warnings)
{
    const QString path = json.value(QStringLiteral("path")).toString();
    if (!QFileInfo::exists(path)) {
        warnings->append(QObject::tr("The workspace's %1 %2 does not exist any more; it was "
                                     "not loaded.")
                                 .arg(what, path));
        return false;
    }
    const QString saved = json.value(QStringLiteral("sha256")).toString();
    const Result<DirectoryFingerprint> now = fingerprintDirectory(path);
    if (!saved.isEmpty() && now && now->sha256 != saved) {
        warnings->append(QObject::tr("The %1 at %2 changed since the workspace was saved "
                                     "(SHA-256 %3… now %4…); results saved with it may not "
                                     "match.")
                                 .arg(what, path, saved.left(12), now->sha256.left(12)));
    }
    return true;
}

/// Follows what the engine has loaded, and what a restore asked it to load (the load is
/// asynchronous; until it lands the workspace still refers to the requested directory).
struct LoadedReference
{
    QString pendingPath;
    QString pendingDevice;
    QString pendingDtype;
};

}  // namespace

std::unique_ptr<WorkspaceSection> makeModelSection(EngineClient *engine, widgets::ModelPanel *panel)
{
    auto tracked = std::make_shared<LoadedReference>();
    QObject::connect(engine, &EngineClient::modelLoaded, engine,
                     [tracked](RequestId, const ModelInfo &) { tracked->pendingPath.clear(); });
    return makeWorkspaceSection(
            QStringLiteral("model"),
            [engine, tracked] {
                if (!tracked->pendingPath.isEmpty()) {
                    return toBytes(reference(tracked->pendingPath, tracked->pendingDevice,
                                             tracked->pendingDtype));
                }
                const ModelInfo model = engine->currentModel();
                return toBytes(reference(model.path, model.device, nameOf(model.dtype)));
            },
            [engine, panel, tracked](const QByteArray &bytes, QStringList *warnings) {
                const QJsonObject json = fromBytes(bytes);
                const QString path = json.value(QStringLiteral("path")).toString();
                if (path.isEmpty() || !checkReference(json, QObject::tr("model"), warnings)) {
                    return Status::ok();  // keep whatever is loaded
                }
                const QString device = json.value(QStringLiteral("device")).toString();
                const QString dtype = json.value(QStringLiteral("dtype")).toString();
                const ModelInfo current = engine->currentModel();
                if (!current.path.isEmpty() && QFileInfo(current.path).absoluteFilePath() == path &&
                    current.device == device && fromName<Dtype>(dtype) == current.dtype) {
                    return Status::ok();  // already loaded
                }
                if (!device.isEmpty() && !panel->setCurrentDevice(device)) {
                    warnings->append(QObject::tr("The workspace's model ran on %1, which this "
                                                 "machine does not have; loading it on %2.")
                                             .arg(device, QStringLiteral("cpu")));
                    panel->setCurrentDevice(QStringLiteral("cpu"));
                }
                if (!dtype.isEmpty()) {
                    panel->setCurrentDtype(dtype);
                }
                tracked->pendingPath = path;
                tracked->pendingDevice = device;
                tracked->pendingDtype = dtype;
                panel->loadModel(path);
                return Status::ok();
            },
            [] {},  // a new workspace keeps the loaded model
            100);   // engine work last: a refusing section rolls back before any load
}

std::unique_ptr<WorkspaceSection> makeSaeSection(EngineClient *engine, widgets::ModelPanel *panel)
{
    auto tracked = std::make_shared<LoadedReference>();
    QObject::connect(engine, &EngineClient::saeLoaded, engine,
                     [tracked](RequestId, const SaeInfo &) { tracked->pendingPath.clear(); });
    return makeWorkspaceSection(
            QStringLiteral("sae"),
            [engine, tracked] {
                if (!tracked->pendingPath.isEmpty()) {
                    return toBytes(
                            reference(tracked->pendingPath, tracked->pendingDevice, QString()));
                }
                const SaeInfo sae = engine->currentSae();
                return toBytes(reference(sae.path, sae.device, QString()));
            },
            [engine, panel, tracked](const QByteArray &bytes, QStringList *warnings) {
                const QJsonObject json = fromBytes(bytes);
                const QString path = json.value(QStringLiteral("path")).toString();
                if (path.isEmpty() || !checkReference(json, QObject::tr("SAE"), warnings)) {
                    return Status::ok();
                }
                const QString device = json.value(QStringLiteral("device")).toString();
                const SaeInfo current = engine->currentSae();
                if (!current.path.isEmpty() && QFileInfo(current.path).absoluteFilePath() == path &&
                    current.device == device) {
                    return Status::ok();
                }
                tracked->pendingPath = path;
                tracked->pendingDevice = device;
                // Queued after the model section's load (the engine runs requests in order), so
                // the SAE's hook is checked against the workspace's model.
                panel->loadSae(path, device);
                return Status::ok();
            },
            [] {}, 101);
}

std::unique_ptr<WorkspaceSection> makePromptSetsSection(widgets::PromptSetsPanel *panel)
{
    return makeWorkspaceSection(
            QStringLiteral("prompt_sets"), [panel] { return toBytes(panel->workspaceState()); },
            [panel](const QByteArray &bytes, QStringList *) {
                return panel->restoreWorkspaceState(fromBytes(bytes));
            },
            [panel] { panel->resetState(); });
}

std::unique_ptr<WorkspaceSection> makeSaeTrainingSection(widgets::SaeTrainingPanel *panel)
{
    return makeWorkspaceSection(
            QStringLiteral("sae_training"), [panel] { return toBytes(panel->workspaceState()); },
            [panel](const QByteArray &bytes, QStringList *) {
                return panel->restoreWorkspaceState(fromBytes(bytes));
            },
            [panel] { panel->resetState(); });
}

std::unique_ptr<WorkspaceSection> makeAttributionSection(widgets::AttributionPanel *panel)
{
    return makeWorkspaceSection(
            QStringLiteral("attribution"), [panel] { return toBytes(panel->workspaceState()); },
            [panel](const QByteArray &bytes, QStringList *) {
                return panel->restoreWorkspaceState(fromBytes(bytes));
            },
            [panel] { panel->resetState(); });
}

}  // namespace gyrus::app
