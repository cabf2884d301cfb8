#pragma once
// The ETA every long job shows, from one rule: work proportional to the fraction done goes on at
// the pace it has gone so far. Jobs whose first part is not representative (a buffer filled
// before the first step, a corpus tokenised before the first batch) start the clock after it.

#include <QString>

namespace gyrus {

/// Seconds left when `fraction` (0..1) of the work took `elapsedSeconds`; < 0 while unknown
/// (nothing done yet).
double remainingSeconds(double fraction, double elapsedSeconds);

/// "ETA 42 s", "ETA 3 min 5 s", "ETA 1 h 2 min"; "ETA —" while unknown.
QString etaText(double seconds);

}  // namespace gyrus
