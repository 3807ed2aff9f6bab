/**
 * Memoises WGSL generators by their options, so a hot loop reuses one string object (whose hash V8
 * caches) instead of rebuilding kilobytes of shader text per dispatch.
 *
 * @module
 */

/**
 * Wraps a generator `(options) => wgsl` with a cache keyed by the JSON of the options.
 *
 * @param generate Pure function of plain-data options.
 * @returns The memoised generator.
 */
export function memoizeWgsl<T>(generate: (options: T) => string): (options: T) => string {
  const cache = new Map<string, string>();
  return (options: T): string => {
    const key = JSON.stringify(options);
    let wgsl = cache.get(key);
    if (wgsl === undefined) {
      wgsl = generate(options);
      if (cache.size > 4096) cache.clear();
      cache.set(key, wgsl);
    }
    return wgsl;
  };
}
