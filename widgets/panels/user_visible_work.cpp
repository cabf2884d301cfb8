#include "widgets/panels/user_visible_work.h"

#include <QDockWidget>
#include <QEvent>
#include <QTimer>

namespace gyrus::widgets {

namespace {

QDockWidget *dockOf(QWidget *widget)
{
    for (QWidget *w = widget; w; w = w->parentWidget()) {
        if (auto *dock = qobject_cast<QDockWidget *>(w)) {
            return dock;
        }
    }
    return nullptr;
}

}  // namespace

bool isUserVisible(const QWidget *widget)
{
    for (const QWidget *w = widget; w; w = w->parentWidget()) {
        if (const auto *dock = qobject_cast<const QDockWidget *>(w)) {
            // Qt hides a closed dock and its contents; a dock tabbed behind another stays
            // visible but lies outside the window, where nothing of it can be seen.
            return widget->isVisible() && !dock->visibleRegion().isEmpty();
        }
    }
    return true;
}

UserVisibleWork::UserVisibleWork(QWidget *panel, std::function<void()> work)
    : QObject(panel)
    , m_panel(panel)
    , m_work(std::move(work))
{
    m_panel->installEventFilter(this);
}

void UserVisibleWork::request()
{
    if (isUserVisible(m_panel)) {
        m_pending = false;
        m_work();
    } else {
        m_pending = true;
        watchDock();
    }
}

void UserVisibleWork::watchDock()
{
    // The panel may have been put into its dock after this object was made: look now.
    QDockWidget *dock = dockOf(m_panel);
    if (!dock || dock == m_dock) {
        return;
    }
    if (m_dock) {
        disconnect(m_dock, nullptr, this, nullptr);
    }
    m_dock = dock;
    // A tab brought to the front gets no Show event (it was never hidden), only this signal.
    connect(dock, &QDockWidget::visibilityChanged, this, [this](bool visible) {
        if (visible) {
            runPendingSoon();
        }
    });
}

void UserVisibleWork::runPendingSoon()
{
    if (!m_pending) {
        return;
    }
    // After the show or the tab switch has finished (layouts, the dock's own handling).
    QTimer::singleShot(0, this, [this] {
        if (m_pending && isUserVisible(m_panel)) {
            m_pending = false;
            m_work();
        }
    });
}

bool UserVisibleWork::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_panel && event->type() == QEvent::Show) {
        runPendingSoon();
    }
    return QObject::eventFilter(watched, event);
}

}  // namespace gyrus::widgets
