#pragma once
// The icons compiled in from resources/gyrus.qrc.

#include <QIcon>

namespace gyrus::widgets {

/// The Gyrus application icon in every size resources/render-icons makes (16 to 256 px): the
/// window, taskbar and About box show it.
QIcon applicationIcon();

/// A UI icon from resources/icons/ui/, by file name without ".svg" ("start", "stop",
/// "dock-model", ...). Scalable (drawn on a 16 px grid); a null icon when there is no such file.
QIcon uiIcon(const QString &name);

}  // namespace gyrus::widgets
