#include "widgets/common/export_button.h"

#include "core/base/table_export.h"
#include "widgets/common/icons.h"
#include "widgets/views/rsa_figure_export.h"

#include <QAbstractItemModel>
#include <QFileDialog>
#include <QMenu>
#include <QPointer>
#include <QToolButton>
#include <qcustomplot.h>

namespace gyrus::widgets {

QList<ExportChoice> tableExportChoices(const QAbstractItemModel *model, int numberRole,
                                       const QString &what)
{
    QPointer<const QAbstractItemModel> guarded(model);
    auto write = [guarded, numberRole](const QString &path) {
        return guarded ? writeTable(*guarded, path, numberRole)
                       : Status::internal(QStringLiteral("the table is gone"));
    };
    return {{QObject::tr("%1 as CSV…").arg(what), QStringLiteral("csv"), write},
            {QObject::tr("%1 as HDF5…").arg(what), QStringLiteral("h5"), write}};
}

QList<ExportChoice> plotExportChoices(QCustomPlot *plot, const QSize &size, const QString &what)
{
    QPointer<QCustomPlot> guarded(plot);
    auto write = [guarded, size](const QString &path) {
        return guarded ? exportPlotFigure(guarded, size, path)
                       : Status::internal(QStringLiteral("the plot is gone"));
    };
    QList<ExportChoice> choices;
    for (const QString &suffix :
         {QStringLiteral("png"), QStringLiteral("svg"), QStringLiteral("pdf")}) {
        choices.append({QObject::tr("%1 as %2…").arg(what, suffix.toUpper()), suffix, write});
    }
    return choices;
}

QList<ExportChoice> widgetExportChoices(QWidget *widget, const QString &what)
{
    QPointer<QWidget> guarded(widget);
    auto write = [guarded](const QString &path) {
        return guarded ? exportWidgetFigure(guarded, path)
                       : Status::internal(QStringLiteral("the view is gone"));
    };
    QList<ExportChoice> choices;
    for (const QString &suffix :
         {QStringLiteral("png"), QStringLiteral("svg"), QStringLiteral("pdf")}) {
        choices.append({QObject::tr("%1 as %2…").arg(what, suffix.toUpper()), suffix, write});
    }
    return choices;
}

QToolButton *makeExportButton(QWidget *parent, const QList<QList<ExportChoice>> &groups,
                              std::function<QString()> baseName,
                              std::function<void(const Status &, const QString &path)> report)
{
    auto *button = new QToolButton(parent);
    button->setText(QObject::tr("Export"));
    button->setIcon(uiIcon(QStringLiteral("export")));
    button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    button->setPopupMode(QToolButton::InstantPopup);
    button->setToolTip(QObject::tr("Write the table as data or the plot as a figure"));
    auto *menu = new QMenu(button);
    for (const QList<ExportChoice> &group : groups) {
        if (!menu->isEmpty()) {
            menu->addSeparator();
        }
        for (const ExportChoice &choice : group) {
            menu->addAction(choice.label, button, [parent, choice, baseName, report] {
                const QString filter =
                        QObject::tr("%1 (*.%2)").arg(choice.suffix.toUpper(), choice.suffix);
                const QString path = QFileDialog::getSaveFileName(
                        parent, choice.label, baseName() + QLatin1Char('.') + choice.suffix,
                        filter);
                if (!path.isEmpty()) {
                    report(choice.write(path), path);
                }
            });
        }
    }
    button->setMenu(menu);
    return button;
}

}  // namespace gyrus::widgets
