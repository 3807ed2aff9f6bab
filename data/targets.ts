/**
 * Function-fitting targets on grids: the seed's sum of sines, generic 1-D and 2-D grids, and a Poisson
 * problem on the unit square with a known solution.
 *
 * @module
 */
import { uniforms } from "./_random.ts";
import { checkChoice, checkFunction, checkNumber, checkOptions, describe } from "../check/args.ts";

/** Checks a number of grid points (an integer >= `least`). */
function checkPoints(context: string, name: string, value: unknown, least = 2): number {
  return checkNumber(context, name, value, { integer: true, min: least });
}

/** Checks a domain [a, b] with finite a < b. */
function checkDomain(context: string, name: string, value: unknown): [number, number] {
  if (!Array.isArray(value) || value.length !== 2 || !value.every(Number.isFinite) || !(value[1] > value[0])) {
    throw new RangeError(`Cannot ${context}: ${name} must be [a, b] with finite a < b (got ${describe(value)})`);
  }
  return [value[0], value[1]];
}

/** Values of a function on a 1-D grid. */
export interface Grid1d {
  /** Grid points (length n), also usable as an [n, 1] input. */
  x: Float32Array;
  /** Function values (length n). */
  y: Float32Array;
}

/**
 * n evenly spaced points of [a, b] (both ends included) and f there.
 *
 * @param f Function.
 * @param options Points (default 1001) and domain (default [0, 1]).
 * @returns The grid.
 * @throws {RangeError} When n is not an integer >= 2 or the domain is not finite with a < b.
 * @example Three points of [0, 1]
 * ```ts
 * import assert from "node:assert";
 * import { grid1d } from "../mod.ts";
 * const { x, y } = grid1d((t) => 2 * t, { n: 3 });
 * assert.deepEqual([...x], [0, 0.5, 1]);
 * assert.deepEqual([...y], [0, 1, 2]);
 * ```
 */
export function grid1d(f: (x: number) => number, options: { n?: number; domain?: [number, number] } = {}): Grid1d {
  checkFunction("make 1-D grid", "f", f);
  const context = "make 1-D grid";
  checkOptions(context, options, ["n", "domain"]);
  const n = checkPoints(context, "options.n", options.n ?? 1001);
  const [a, b] = checkDomain(context, "options.domain", options.domain ?? [0, 1]);
  const x = Float32Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
  return { x, y: x.map(f) };
}

/**
 * A sum of K sines, f(x) = Σ_{k ∈ 2π·{0..K−1}} sin(k x + π b), on a grid of [0, 5] by default; see
 * `options.phase` for the two placements of the phase b.
 *
 * @param options Points, domain, frequencies, seed and phase placement.
 * @returns The grid and the phases used (per frequency, or per point).
 * @throws {RangeError} When n is not an integer >= 2 or the domain is not finite with a < b.
 * @example The original study's target at x = 1 is 20 sin(−0.6π)
 * ```ts
 * import assert from "node:assert";
 * import { sineSumTarget } from "../mod.ts";
 * const t = sineSumTarget({ phase: "per-point" });
 * assert.ok(Math.abs(t.y[200] - 20 * Math.sin(-0.6 * Math.PI)) < 1e-4);
 * ```
 */
export function sineSumTarget(
  options: {
    /** Points (default 1001). */
    n?: number;
    /** Domain (default [0, 5]). */
    domain?: [number, number];
    /** Number of frequencies K (default 20). */
    frequencies?: number;
    /** Seed of the per-frequency phases (default 0). */
    seed?: number;
    /**
     * Where the phase lives (default `"per-frequency"`): `"per-frequency"` draws b_k ~ U(−1, 1), one seeded
     * phase per frequency (a smooth random sum of sines). `"per-point"` is the original s-rank study's
     * target: `bs = np.linspace(-1, 1, N)` inside every sine, so the phase runs over the points,
     * f(x_i) = Σ_k sin(k x_i + π b_i); at integer x every k x is a multiple of 2π, so f = K sin(π b_i) there
     * (a comb of spikes up to ≈ K).
     */
    phase?: "per-frequency" | "per-point";
  } = {},
): Grid1d & { phases: Float64Array } {
  const context = "make sine-sum target";
  checkOptions(context, options, ["n", "domain", "frequencies", "phase", "seed"]);
  const count = checkPoints(context, "options.frequencies", options.frequencies ?? 20, 1);
  const n = checkPoints(context, "options.n", options.n ?? 1001);
  const domain = checkDomain(context, "options.domain", options.domain ?? [0, 5]);
  checkNumber(context, "options.seed", options.seed ?? 0, { integer: true, min: 0 });
  checkChoice(context, "options.phase", options.phase ?? "per-frequency", ["per-frequency", "per-point"]);
  if (options.phase === "per-point") {
    const phases = Float64Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));
    const grid = grid1d(() => 0, { n, domain });
    const y = Float32Array.from({ length: n }, (_, i) => {
      // The grid point in float64 (the Float32 x would blur k·x for k up to 2π·19).
      const x = domain[0] + ((domain[1] - domain[0]) * i) / (n - 1);
      let s = 0;
      for (let k = 0; k < count; k++) s += Math.sin(2 * Math.PI * k * x + Math.PI * phases[i]);
      return s;
    });
    return { x: grid.x, y, phases };
  }
  const phases = uniforms(count, options.seed ?? 0, 11).map((u) => 2 * u - 1);
  const f = (x: number) => {
    let s = 0;
    for (let k = 0; k < count; k++) s += Math.sin(2 * Math.PI * k * x + Math.PI * phases[k]);
    return s;
  };
  return { ...grid1d(f, { n, domain }), phases };
}

/** Values of a function on a 2-D grid. */
export interface Grid2d {
  /** Points `[nx * ny, 2]` row-major, x fastest. */
  points: Float32Array;
  /** Function values, length nx * ny. */
  values: Float32Array;
  /** Grid columns. */
  nx: number;
  /** Grid rows. */
  ny: number;
}

/**
 * nx × ny evenly spaced points of a box and f there (x varies fastest, matching {@linkcode heatmap}).
 *
 * @param f Function of (x, y).
 * @param options Grid size (default 64 x 64) and box (default [0,1]²).
 * @returns The grid.
 * @example x varies fastest
 * ```ts
 * import assert from "node:assert";
 * import { grid2d } from "../mod.ts";
 * const g = grid2d((x, y) => x + 10 * y, { nx: 2, ny: 2 });
 * assert.deepEqual([...g.points], [0, 0, 1, 0, 0, 1, 1, 1]);
 * assert.deepEqual([...g.values], [0, 1, 10, 11]);
 * ```
 */
export function grid2d(
  f: (x: number, y: number) => number,
  options: { nx?: number; ny?: number; xDomain?: [number, number]; yDomain?: [number, number] } = {},
): Grid2d {
  checkFunction("make 2-D grid", "f", f);
  const context = "make 2-D grid";
  checkOptions(context, options, ["nx", "ny", "xDomain", "yDomain"]);
  const nx = checkPoints(context, "options.nx", options.nx ?? 64),
    ny = checkPoints(context, "options.ny", options.ny ?? 64);
  const [x0, x1] = checkDomain(context, "options.xDomain", options.xDomain ?? [0, 1]);
  const [y0, y1] = checkDomain(context, "options.yDomain", options.yDomain ?? [0, 1]);
  const points = new Float32Array(nx * ny * 2), values = new Float32Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const x = x0 + ((x1 - x0) * i) / (nx - 1), y = y0 + ((y1 - y0) * j) / (ny - 1);
      points[2 * (j * nx + i)] = x;
      points[2 * (j * nx + i) + 1] = y;
      values[j * nx + i] = f(x, y);
    }
  }
  return { points, values, nx, ny };
}

/**
 * The Poisson problem −Δu = f on [0,1]² with u = 0 on the boundary and exact solution
 * u = sin(πx) sin(πy) (so f = 2π² sin(πx) sin(πy)): interior collocation points, boundary points and the
 * exact solution on an evaluation grid.
 *
 * @param options Interior grid per side (default 32), boundary points per side (default 64).
 * @returns Points ([n, 2] row-major), f at interior points, u at boundary points (zeros), and exact u.
 * @example One interior point, at the centre, where f = 2π²
 * ```ts
 * import assert from "node:assert";
 * import { poissonProblem } from "../mod.ts";
 * const p = poissonProblem({ interior: 1, boundary: 1 });
 * assert.deepEqual([...p.interior], [0.5, 0.5]);
 * assert.ok(Math.abs(p.source[0] - 2 * Math.PI ** 2) < 1e-5 && p.exact(0.5, 0.5) === 1);
 * ```
 */
export function poissonProblem(options: { interior?: number; boundary?: number } = {}): {
  interior: Float32Array;
  source: Float32Array;
  boundary: Float32Array;
  boundaryValues: Float32Array;
  exact: (x: number, y: number) => number;
} {
  const context = "make Poisson problem";
  checkOptions(context, options, ["interior", "boundary"]);
  const m = checkPoints(context, "options.interior", options.interior ?? 32, 1);
  const b = checkPoints(context, "options.boundary", options.boundary ?? 64, 1);
  const exact = (x: number, y: number) => Math.sin(Math.PI * x) * Math.sin(Math.PI * y);
  const interior = new Float32Array(m * m * 2), source = new Float32Array(m * m);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < m; i++) {
      const x = (i + 1) / (m + 1), y = (j + 1) / (m + 1);
      interior[2 * (j * m + i)] = x;
      interior[2 * (j * m + i) + 1] = y;
      source[j * m + i] = 2 * Math.PI ** 2 * exact(x, y);
    }
  }
  const boundary = new Float32Array(4 * b * 2);
  for (let k = 0; k < b; k++) {
    const t = k / b;
    const pts = [[t, 0], [1, t], [1 - t, 1], [0, 1 - t]];
    pts.forEach(([x, y], side) => {
      boundary[2 * (side * b + k)] = x;
      boundary[2 * (side * b + k) + 1] = y;
    });
  }
  return { interior, source, boundary, boundaryValues: new Float32Array(4 * b), exact };
}
