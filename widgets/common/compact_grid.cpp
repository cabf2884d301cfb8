#include "widgets/common/compact_grid.h"

#include <QHeaderView>
#include <QTableView>

namespace gyrus::widgets {

void configureCompactGrid(QTableView *view, int rowPadding)
{
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setWordWrap(false);
    view->horizontalHeader()->setDefaultSectionSize(64);
    view->horizontalHeader()->setMinimumSectionSize(28);
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + rowPadding);
}

}  // namespace gyrus::widgets
