/**
 * Counts the event loop's iterations: a self-rescheduling setImmediate runs once per iteration, in the same order
 * relative to the other immediates from one iteration to the next. `current()` is the iteration under way.
 */
export function iterationCounter(): { current: () => number; stop: () => void } {
  let iteration = 0;
  let ticking = true;
  const tick = () => {
    iteration++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  return { current: () => iteration, stop: () => (ticking = false) };
}
