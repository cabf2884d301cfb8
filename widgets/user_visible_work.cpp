#include "widgets/user_visible_work.h"

#include <QDockWidget>
#include <QEvent>
#include <QTimer>

namespace gyrus::widgets {

bool isUserVisible(const QWidget *widget)
{
    for (const QWidget *w = widget; w; w = w->parentWidget()) {
        if (qobject_cast<const QDockWidget *>(w)) {
            // Qt hides a closed dock and a dock tabbed behind another, and with it its contents.
            return widget->isVisible();
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
    }
}

bool UserVisibleWork::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_panel && event->type() == QEvent::Show && m_pending) {
        // After the show has finished (layouts, the dock's own handling), not inside it.
        QTimer::singleShot(0, this, [this] {
            if (m_pending && isUserVisible(m_panel)) {
                m_pending = false;
                m_work();
            }
        });
    }
    return QObject::eventFilter(watched, event);
}

}  // namespace gyrus::widgets
