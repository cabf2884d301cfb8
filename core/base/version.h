#pragma once

#include <QString>

namespace gyrus {

/// The project version from CMake, e.g. "0.1.0".
QString versionString();

/// Application and organisation names used for QSettings and window titles.
inline constexpr const char *kApplicationName = "Gyrus";
inline constexpr const char *kOrganizationName = "Gyrus";

}  // namespace gyrus
