#pragma once

#include <QLoggingCategory>

// One category per area; switch them with QT_LOGGING_RULES, e.g. "gyrus.engine.debug=true".
Q_DECLARE_LOGGING_CATEGORY(lcCore)
Q_DECLARE_LOGGING_CATEGORY(lcEngine)
Q_DECLARE_LOGGING_CATEGORY(lcTrain)
Q_DECLARE_LOGGING_CATEGORY(lcUi)
Q_DECLARE_LOGGING_CATEGORY(lcIo)
