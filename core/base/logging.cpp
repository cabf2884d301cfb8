#include "core/base/logging.h"

Q_LOGGING_CATEGORY(lcCore, "gyrus.core")
Q_LOGGING_CATEGORY(lcEngine, "gyrus.engine")
Q_LOGGING_CATEGORY(lcTrain, "gyrus.train")
Q_LOGGING_CATEGORY(lcUi, "gyrus.ui")
Q_LOGGING_CATEGORY(lcIo, "gyrus.io")
