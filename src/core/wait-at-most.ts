/**
 * Waits for `work`, but at most `ms`: `true` if it settled in time (fulfilled or rejected: the
 * caller only waits, it does not use the outcome), `false` if the time ran out first. The timer
 * is cleared either way, so it never holds the process open.
 */
export async function waitAtMost(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([work.then(settled, settled), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function settled(): true {
  return true;
}
