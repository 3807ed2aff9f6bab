/**
 * The bisection driver behind {@linkcode tridiagonalEigenvalues} and {@linkcode bidiagonalSingularValues},
 * with Sturm counts taken at several shifts in one interleaved pass.
 *
 * One count is a chain of dependent divisions, so a single shift at a time is bound by the division's
 * latency; four independent chains side by side keep the divider busy and take little longer than one.
 * Every interval is still halved at the same midpoints as it would be alone, so the values do not depend
 * on how the intervals are grouped: the results are those of one-shift-at-a-time bisection, bit for bit.
 *
 * @module
 */

/** Shifts counted per pass. */
export const LANES = 4;

/**
 * Counts values below each of `xs[0 … lanes)` into `out[0 … lanes)` (lanes ≤ {@linkcode LANES}).
 */
export type LaneCounts = (xs: Float64Array, lanes: number, out: Int32Array) => void;

/**
 * Bisection driver: fills `out` (ascending) with the `total` values in [lo, hi), where count(x) is the
 * number of values below x. Intervals split recursively, so values share the early halvings; an
 * interval is final once narrower than `tol` or 4·eps₆₄ of its endpoints. Up to {@linkcode LANES}
 * intervals are halved per call of `count`.
 */
export function bisect(count: LaneCounts, lo: number, hi: number, total: number, tol: number, out: Float64Array) {
  const stack: number[] = [lo, hi, 0, total];
  const left = new Float64Array(LANES), right = new Float64Array(LANES), mid = new Float64Array(LANES);
  const cLo = new Int32Array(LANES), cHi = new Int32Array(LANES), cMid = new Int32Array(LANES);
  while (stack.length > 0) {
    let lanes = 0;
    while (lanes < LANES && stack.length > 0) {
      const h = stack.pop()!, l = stack.pop()!, b = stack.pop()!, a = stack.pop()!;
      const width = b - a;
      if (width <= tol || width <= 4 * Number.EPSILON * Math.max(Math.abs(a), Math.abs(b))) {
        out.fill((a + b) / 2, l, h);
        continue;
      }
      left[lanes] = a, right[lanes] = b, cLo[lanes] = l, cHi[lanes] = h, mid[lanes] = a + width / 2;
      lanes++;
    }
    if (lanes === 0) continue;
    count(mid, lanes, cMid);
    for (let k = 0; k < lanes; k++) {
      // Rounding can make counts non-monotone by a value or so: keep them inside the interval's range.
      const c = Math.min(Math.max(cMid[k], cLo[k]), cHi[k]);
      if (c > cLo[k]) stack.push(left[k], mid[k], cLo[k], c);
      if (cHi[k] > c) stack.push(mid[k], right[k], c, cHi[k]);
    }
  }
}

/**
 * Sturm counts of a symmetric tridiagonal matrix (diagonal d, squared off-diagonal e2): the number of
 * negative pivots of the LDLᵀ factorisation of T − xI, a pivot below `pivmin` in magnitude taken as
 * −pivmin (LAPACK's dlaneg), four shifts per pass.
 */
export function tridiagonalCounts(d: Float64Array, e2: Float64Array, pivmin: number): LaneCounts {
  const n = d.length;
  return (xs, lanes, out) => {
    const x0 = xs[0], x1 = lanes > 1 ? xs[1] : x0, x2 = lanes > 2 ? xs[2] : x0, x3 = lanes > 3 ? xs[3] : x0;
    let q0 = d[0] - x0, q1 = d[0] - x1, q2 = d[0] - x2, q3 = d[0] - x3, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    for (let i = 1; i <= n; i++) {
      if (Math.abs(q0) < pivmin) q0 = -pivmin;
      if (Math.abs(q1) < pivmin) q1 = -pivmin;
      if (Math.abs(q2) < pivmin) q2 = -pivmin;
      if (Math.abs(q3) < pivmin) q3 = -pivmin;
      c0 += q0 < 0 ? 1 : 0, c1 += q1 < 0 ? 1 : 0, c2 += q2 < 0 ? 1 : 0, c3 += q3 < 0 ? 1 : 0;
      if (i === n) break;
      const di = d[i], ei = e2[i - 1];
      q0 = di - x0 - ei / q0, q1 = di - x1 - ei / q1, q2 = di - x2 - ei / q2, q3 = di - x3 - ei / q3;
    }
    storeCounts(out, lanes, c0, c1, c2, c3);
  };
}

/**
 * Counts of singular values of an upper bidiagonal matrix below x, from q = d² and ee = e² by the
 * differential stationary qd transform of BᵀB − x²I (one division per step, relatively accurate), a
 * pivot below `pivmin` in magnitude taken as −pivmin, four shifts per pass.
 */
export function bidiagonalCounts(q: Float64Array, ee: Float64Array, pivmin: number): LaneCounts {
  const n = q.length;
  return (xs, lanes, out) => {
    const x0 = xs[0], x1 = lanes > 1 ? xs[1] : x0, x2 = lanes > 2 ? xs[2] : x0, x3 = lanes > 3 ? xs[3] : x0;
    const t0 = x0 * x0, t1 = x1 * x1, t2 = x2 * x2, t3 = x3 * x3;
    let s0 = -t0, s1 = -t1, s2 = -t2, s3 = -t3, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    for (let i = 0; i < n - 1; i++) {
      const qi = q[i], ei = ee[i];
      let p0 = qi + s0, p1 = qi + s1, p2 = qi + s2, p3 = qi + s3;
      if (Math.abs(p0) < pivmin) p0 = -pivmin;
      if (Math.abs(p1) < pivmin) p1 = -pivmin;
      if (Math.abs(p2) < pivmin) p2 = -pivmin;
      if (Math.abs(p3) < pivmin) p3 = -pivmin;
      c0 += p0 < 0 ? 1 : 0, c1 += p1 < 0 ? 1 : 0, c2 += p2 < 0 ? 1 : 0, c3 += p3 < 0 ? 1 : 0;
      s0 = (ei * s0) / p0 - t0, s1 = (ei * s1) / p1 - t1, s2 = (ei * s2) / p2 - t2, s3 = (ei * s3) / p3 - t3;
    }
    const last = q[n - 1];
    c0 += last + s0 < 0 ? 1 : 0, c1 += last + s1 < 0 ? 1 : 0, c2 += last + s2 < 0 ? 1 : 0;
    storeCounts(out, lanes, c0, c1, c2, last + s3 < 0 ? c3 + 1 : c3);
  };
}

function storeCounts(out: Int32Array, lanes: number, c0: number, c1: number, c2: number, c3: number): void {
  out[0] = c0;
  if (lanes > 1) out[1] = c1;
  if (lanes > 2) out[2] = c2;
  if (lanes > 3) out[3] = c3;
}
