#pragma once

#include <QWidget>

class QLabel;

namespace gyrus::widgets {

/// What a panel shows when it has nothing to show yet: a title and one or two sentences saying
/// what will appear here and what to do to get it (never a blank grey area).
class EmptyState : public QWidget
{
    Q_OBJECT
public:
    EmptyState(const QString &title, const QString &explanation, QWidget *parent = nullptr);

    QString title() const;
    QString explanation() const;
    void setExplanation(const QString &explanation);

private:
    QLabel *m_title;
    QLabel *m_explanation;
};

}  // namespace gyrus::widgets
