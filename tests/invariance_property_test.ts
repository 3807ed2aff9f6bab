/**
 * Property tests (fast-check) of the invariances singular values and eigenvalues must have: scaling,
 * row/column permutation, transposition and orthogonal similarity, on random shapes and adversarial
 * spectra, each against an independent float64 reference (one-sided Jacobi for singular values, two-sided
 * Jacobi for eigenvalues, written apart from the library's solvers). The host float64 paths are tried from
 * 1e-300 to 1e300, the float32 device paths from 1e-30 to 1e30.
 *
 * @module
 */
import assert from "node:assert";
import fc from "npm:fast-check@4.11.0";
import * as r from "./_all.ts";
import { seededValues } from "./_helpers.ts";
import { referenceSvdvals } from "./_reference.ts";
import { oracleEigh, orthogonal, withSpectrum64 } from "./_linalg_oracle.ts";

/** The matrices drawn: kind, shape and seed give one m x n matrix in float64 with entries of size ~1. */
const KINDS = ["gaussian", "gradedColumns", "rankDeficient", "repeated", "tinyLarge"] as const;
type Kind = typeof KINDS[number];

function drawMatrix(kind: Kind, m: number, n: number, seed: number): Float64Array {
  const noise = seededValues(m * n, seed);
  const a = Float64Array.from(noise);
  if (kind === "gradedColumns") {
    // Columns graded over 6 decades: tiny singular values next to large ones (still normal float32 at 1e-30).
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j] *= 10 ** (-6 * j / Math.max(1, n - 1));
  } else if (kind === "rankDeficient" || kind === "repeated") {
    // u vᵀ sums: rank ⌈min/2⌉ (exact zeros), or two equal terms with orthogonal factors (a repeated value).
    const rank = kind === "repeated" ? Math.min(2, m, n) : Math.max(1, Math.ceil(Math.min(m, n) / 2));
    const u = orthogonal(m, seed + 1), v = orthogonal(n, seed + 2);
    a.fill(0);
    for (let k = 0; k < rank; k++) {
      const sigma = kind === "repeated" ? 1 : 1 / (k + 1);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j] += sigma * u[i * m + k] * v[j * n + k];
    }
  } else if (kind === "tinyLarge") {
    // One row 1e8 times the rest.
    for (let j = 0; j < n; j++) a[j] *= 1e8;
  }
  return a;
}

/** The spectra of the symmetric draws (the adversarial cases: graded, indefinite, ± pairs, repeated, rank-deficient). */
const SPECTRA: Record<string, (n: number) => number[]> = {
  graded: (n) => Array.from({ length: n }, (_, i) => 10 ** (-8 * i / Math.max(1, n - 1))),
  indefinite: (n) => Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (i + 1)),
  plusMinusPairs: (n) => Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (Math.floor(i / 2) + 1)),
  repeated: (n) => Array.from({ length: n }, (_, i) => (i < Math.ceil(n / 2) ? 3 : 1)),
  rankDeficient: (n) => Array.from({ length: n }, (_, i) => (i < Math.ceil(n / 3) ? i + 1 : 0)),
};

/** A random permutation of 0..n-1 from a seed (Fisher–Yates on seeded values). */
function permutation(n: number, seed: number): number[] {
  const p = [...Array(n).keys()], u = seededValues(n, seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(((u[i] + 1) / 2) * (i + 1)) % (i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** P A Q: rows taken in order `rows`, columns in order `cols`. */
function permute(a: ArrayLike<number>, m: number, n: number, rows: number[], cols: number[]): Float64Array {
  return Float64Array.from({ length: m * n }, (_, k) => a[rows[Math.floor(k / n)] * n + cols[k % n]]);
}

function transpose(a: ArrayLike<number>, m: number, n: number): Float64Array {
  return Float64Array.from({ length: m * n }, (_, k) => a[(k % m) * n + Math.floor(k / m)]);
}

/** Q S Qᵀ in float64, symmetrised exactly. */
function similar(s: ArrayLike<number>, n: number, seed: number): Float64Array {
  const q = orthogonal(n, seed), qs = new Float64Array(n * n), out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += q[i * n + k] * s[k * n + j];
      qs[i * n + j] = acc;
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += qs[i * n + k] * q[j * n + k];
      out[i * n + j] = out[j * n + i] = acc;
    }
  }
  return out;
}

/** The largest |got[i] − want[i]| over `top`: the absolute error, in units of the largest value. */
function worstError(got: ArrayLike<number>, want: ArrayLike<number>, top: number): number {
  assert.equal(got.length, want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / top);
  return worst;
}

const topOf = (values: ArrayLike<number>) => Math.max(...Array.from(values, Math.abs), Number.MIN_VALUE);

// The host paths promise (m + n)·eps₆₄·σ_max absolute per value; 1e-13 of the top value holds it up to
// m + n = 24 with room for the reference's own rounding.
const HOST_BOUND = 1e-13;

Deno.test("svdvalsHost(): scaling (1e-300…1e300), permutation and transposition keep the float64 reference's values", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...KINDS),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.double({ min: -300, max: 300, noNaN: true }),
      (kind, m, n, seed, e) => {
        const a = drawMatrix(kind, m, n, seed), c = 10 ** e;
        const want = referenceSvdvals(a, m, n), top = topOf(want);
        const where = `${kind} ${m}x${n}, seed ${seed}, c = ${c}`;
        const check = (what: string, values: Float64Array, rows: number, cols: number) => {
          const got = r.svdvalsHost(values.map((v) => v * c), rows, cols).map((v) => v / c);
          const error = worstError(got, want, top);
          assert.ok(error < HOST_BOUND, `${where}, ${what}: error ${error} of σ_max`);
        };
        check("A", a, m, n);
        check("P A Q", permute(a, m, n, permutation(m, seed + 3), permutation(n, seed + 4)), m, n);
        check("Aᵀ", transpose(a, m, n), n, m);
      },
    ),
    { numRuns: 150, seed: 35 },
  );
});

Deno.test("eigvalshHost(): scaling (1e-300…1e300), symmetric permutation and orthogonal similarity keep the spectrum", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...Object.keys(SPECTRA)),
      fc.integer({ min: 1, max: 14 }),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.double({ min: -300, max: 300, noNaN: true }),
      (name, n, seed, e) => {
        const lambda = SPECTRA[name](n), c = 10 ** e;
        const s = withSpectrum64(lambda, seed);
        // The reference: the two-sided Jacobi oracle, which must itself agree with the λ s was built from.
        const want = oracleEigh(s, n).values, top = topOf(lambda);
        const exact = Float64Array.from(lambda).sort();
        assert.ok(worstError(want, exact, top) < 1e-13, `${name}, n = ${n}: the oracle disagrees with λ`);
        const where = `${name}, n = ${n}, seed ${seed}, c = ${c}`;
        const check = (what: string, values: Float64Array) => {
          const got = r.eigvalshHost(values.map((v) => v * c), n).map((v) => v / c);
          const error = worstError(got, want, top);
          assert.ok(error < HOST_BOUND, `${where}, ${what}: error ${error} of |λ|_max`);
        };
        const p = permutation(n, seed + 5);
        check("S", s);
        check("P S Pᵀ", permute(s, n, n, p, p));
        check("Q S Qᵀ", similar(s, n, seed + 6));
      },
    ),
    { numRuns: 150, seed: 36 },
  );
});

// The device paths take float32 tensors. Scaling by a power of two and permuting are exact in float32, so
// the reference is the float64 answer for the very matrix uploaded; Q S Qᵀ is rounded to float32 on upload,
// so its reference is the oracle on the rounded matrix, and it must stay within float32 rounding of λ.
const DEVICE_BOUND = 1e-11;

Deno.test("svdvals() and eigvalsh() on the device: scaling (1e-30…1e30), permutation, transposition, orthogonal similarity", async () => {
  await r.initGpu();
  const upload = async (values: ArrayLike<number>, shape: number[]) => {
    const t = r.Tensor.fromArray(Array.from(values), shape);
    return { t, data: Float64Array.from(await t.toArray()) };
  };
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...KINDS),
      fc.constantFrom(...Object.keys(SPECTRA)),
      fc.integer({ min: 1, max: 10 }),
      fc.integer({ min: 1, max: 10 }),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.integer({ min: -99, max: 99 }),
      fc.constantFrom("auto" as const, "jacobi" as const),
      async (kind, name, m, n, seed, k, method) => {
        runs++;
        const c = 2 ** k; // 1.6e-30 … 6.3e29
        const where = `${kind}/${name} ${m}x${n}, seed ${seed}, c = 2^${k}, ${method}`;
        const a = Float32Array.from(drawMatrix(kind, m, n, seed));
        const svd = async (what: string, values: ArrayLike<number>, rows: number, cols: number, want: Float64Array) => {
          const { t } = await upload(Array.from(values, (v) => v * c), [rows, cols]);
          const got = (await r.svdvals(t, { method })).map((v) => v / c);
          t.dispose();
          const error = worstError(got, want, topOf(want));
          assert.ok(error < DEVICE_BOUND, `${where}, ${what}: error ${error} of σ_max`);
        };
        const want = referenceSvdvals(a, m, n);
        await svd("A", a, m, n, want);
        await svd("P A Q", permute(a, m, n, permutation(m, seed + 3), permutation(n, seed + 4)), m, n, want);
        await svd("Aᵀ", transpose(a, m, n), n, m, want);

        const lambda = SPECTRA[name](n), top = topOf(lambda);
        const exact = Float64Array.from(lambda).sort();
        const eig = async (what: string, values: ArrayLike<number>) => {
          const { t, data } = await upload(Array.from(values, (v) => v * c), [n, n]);
          const got = (await r.eigvalsh(t, { method })).map((v) => v / c);
          t.dispose();
          const reference = oracleEigh(data.map((v) => v / c), n).values;
          const error = worstError(got, reference, top);
          assert.ok(error < DEVICE_BOUND, `${where}, ${what}: error ${error} of |λ|_max`);
          // The invariance itself: within float32 rounding of the spectrum the matrix was built from.
          const drift = worstError(got, exact, top);
          assert.ok(drift < 1e-5, `${where}, ${what}: ${drift} of |λ|_max from λ`);
        };
        const s = withSpectrum64(lambda, seed);
        const p = permutation(n, seed + 5);
        await eig("S", s);
        await eig("P S Pᵀ", permute(s, n, n, p, p));
        await eig("Q S Qᵀ", similar(s, n, seed + 6));
      },
    ),
    { numRuns: 40, seed: 37 },
  );
  assert.equal(runs, 40);
});
