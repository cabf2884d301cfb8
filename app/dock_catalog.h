#pragma once

#include <QLatin1String>
#include <QList>
#include <QString>
#include <Qt>

#include <functional>

class QWidget;

namespace gyrus {
class EngineClient;
class LogModel;
class SelectionHub;
class SessionState;
}  // namespace gyrus

namespace gyrus::app {

/// The docks' objectNames: what QSettings stores the layout under, and what --raise-dock takes.
/// Never rename one without migrating saved layouts.
namespace dock_id {
inline constexpr QLatin1String kModel("dock.model");
inline constexpr QLatin1String kPromptSets("dock.promptSets");
inline constexpr QLatin1String kSaeTraining("dock.saeTraining");
inline constexpr QLatin1String kTokenHeatmap("dock.tokenHeatmap");
inline constexpr QLatin1String kFeatures("dock.features");
inline constexpr QLatin1String kRsa("dock.rsa");
inline constexpr QLatin1String kSteering("dock.steering");
inline constexpr QLatin1String kLog("dock.log");
inline constexpr QLatin1String kContrast("dock.contrast");
inline constexpr QLatin1String kAttribution("dock.attribution");
}  // namespace dock_id

/// What the docks' panels are built from: the main window's shared objects. `engine` and
/// `logModel` may be null (tests): the panels that need them are then not built.
struct DockContext
{
    EngineClient *engine = nullptr;
    SelectionHub *selection = nullptr;
    SessionState *session = nullptr;
    LogModel *logModel = nullptr;
};

/// One dock of the main window.
struct DockSpec
{
    QString objectName;  ///< a dock_id
    QString title;
    QString emptyExplanation;  ///< what the dock will show, and how to get it there
    Qt::DockWidgetArea area;   ///< where the default layout puts it
    QString shortcut;          ///< toggle shortcut in the View menu
    QString icon;              ///< a resources/icons/ui/ name (widgets/common/icons.h uiIcon())
    /// Builds the dock's panel as a child of `parent`, set up with the bundled demo data it
    /// offers; null when `context` lacks what the panel needs (the dock then shows
    /// emptyExplanation).
    std::function<QWidget *(const DockContext &context, QWidget *parent)> createPanel;
};

/// The docks of the main window, in View-menu order.
const QList<DockSpec> &dockCatalog();

/// The catalogue's entry for `objectName`, or null.
const DockSpec *findDock(const QString &objectName);

}  // namespace gyrus::app
