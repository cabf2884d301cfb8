#pragma once

#include <QList>
#include <QString>
#include <Qt>

namespace gyrus::app {

/// One dock of the main window. objectName is what QSettings stores the layout under: never
/// rename one without migrating saved layouts.
struct DockSpec
{
    QString objectName;
    QString title;
    QString emptyExplanation;  ///< what the dock will show, and how to get it there
    Qt::DockWidgetArea area;
    QString shortcut;  ///< toggle shortcut in the View menu
    QString icon;      ///< a resources/icons/ui/ name (widgets/icons.h uiIcon())
};

/// The docks of the main window, in View-menu order.
const QList<DockSpec> &dockCatalog();

}  // namespace gyrus::app
