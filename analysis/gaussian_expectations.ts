/**
 * Gaussian expectations of activation products by Gauss–Hermite quadrature: the building block of the
 * infinite-width NNGP/NTK recursions.
 *
 * @module
 */

const GH_POINTS = 24;
const [GH_X, GH_W] = gaussHermite(GH_POINTS);

/** Nodes and weights of Gauss–Hermite quadrature (physicists'), by Newton on the recurrence. */
function gaussHermite(n: number): [Float64Array, Float64Array] {
  const x = new Float64Array(n), w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = i === 0
      ? Math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** (-1 / 6)
      : i === 1
      ? x[0] - (1.14 * n ** 0.426) / x[0]
      : i === 2
      ? 1.86 * x[1] - 0.86 * x[0]
      : i === 3
      ? 1.91 * x[2] - 0.91 * x[1]
      : 2 * x[i - 1] - x[i - 2];
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = Math.PI ** -0.25, p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / (j + 1)) * p2 - Math.sqrt(j / (j + 1)) * p3;
      }
      pp = Math.sqrt(2 * n) * p2;
      const dz = p1 / pp;
      z -= dz;
      if (Math.abs(dz) < 1e-15) break;
    }
    x[i] = z;
    w[i] = 2 / (pp * pp);
  }
  return [x, w];
}

const ACT: Record<string, [(u: number) => number, (u: number) => number]> = {
  tanh: [Math.tanh, (u) => 1 - Math.tanh(u) ** 2],
  sigmoid: [(u) => 1 / (1 + Math.exp(-u)), (u) => Math.exp(-u) / (1 + Math.exp(-u)) ** 2],
  elu: [(u) => (u > 0 ? u : Math.expm1(u)), (u) => (u > 0 ? 1 : Math.exp(u))],
  sin: [Math.sin, Math.cos],
  cos: [Math.cos, (u) => -Math.sin(u)],
};

/** E[φ(u)φ(v)] and E[φ'(u)φ'(v)] for (u, v) ~ N(0, [[a, c], [c, b]]). */
export function gaussianExpectations(fn: string, a: number, b: number, c: number): [number, number] {
  if (fn === "identity") return [c, 1];
  if (fn === "relu") {
    const norm = Math.sqrt(a * b);
    if (!(norm > 0)) return [0, 0.5];
    const rho = Math.max(-1, Math.min(1, c / norm));
    const theta = Math.acos(rho);
    return [
      (norm / (2 * Math.PI)) * (Math.sqrt(1 - rho * rho) + (Math.PI - theta) * rho),
      (Math.PI - theta) / (2 * Math.PI),
    ];
  }
  if (fn === "erf") {
    const d = (1 + 2 * a) * (1 + 2 * b);
    return [(2 / Math.PI) * Math.asin((2 * c) / Math.sqrt(d)), 4 / (Math.PI * Math.sqrt(d - 4 * c * c))];
  }
  const pair = ACT[fn];
  if (!pair) throw new RangeError(`No Gaussian expectation rule for activation "${fn}"`);
  // u = √a z1, v = (c/√a) z1 + √(b − c²/a) z2 with z ~ N(0, I); Gauss–Hermite in each coordinate.
  const sa = Math.sqrt(Math.max(a, 0));
  const l21 = sa > 0 ? c / sa : 0, l22 = Math.sqrt(Math.max(b - l21 * l21, 0));
  let e1 = 0, e2 = 0;
  for (let i = 0; i < GH_POINTS; i++) {
    const z1 = Math.SQRT2 * GH_X[i], u = sa * z1;
    const [fu, du] = [pair[0](u), pair[1](u)];
    for (let j = 0; j < GH_POINTS; j++) {
      const v = l21 * z1 + l22 * Math.SQRT2 * GH_X[j];
      const w = GH_W[i] * GH_W[j];
      e1 += w * fu * pair[0](v);
      e2 += w * du * pair[1](v);
    }
  }
  return [e1 / Math.PI, e2 / Math.PI];
}

// ---------------------------------------------------------------------------------------------
// Dense (matrix) phase.
