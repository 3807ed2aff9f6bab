/**
 * Test helpers on top of `node:assert` (JSR's @std/assert is unreachable from our machines).
 *
 * @module
 */
import assert from "node:assert";
import { grad, initGpu, type Runtime, type Tensor, Tensor as T } from "./_all.ts";

/**
 * The shared GPU runtime. Throws (so the test fails, never skips) when no WebGPU adapter exists.
 */
export function gpu(): Promise<Runtime> {
  return initGpu();
}

/** The mulberry32 stream of `seed`: n 32-bit words. */
function mulberry32(n: number, seed: number): Uint32Array {
  let s = seed >>> 0;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) >>> 0;
  }
  return out;
}

/** Deterministic uniform numbers in [-1, 1) (mulberry32). */
export function seededValues(n: number, seed: number): Float32Array {
  return Float32Array.from(mulberry32(n, seed), (w) => (w / 4294967296) * 2 - 1);
}

/** Deterministic float64 uniforms in the open interval (0, 1): the same stream, at the cells' midpoints. */
export function seededUniforms(n: number, seed: number): Float64Array {
  return Float64Array.from(mulberry32(n, seed), (w) => (w + 0.5) / 4294967296);
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| elementwise, and that nothing is NaN.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { atol?: number; rtol?: number } = {},
  what = "values",
): void {
  const atol = tol.atol ?? 1e-5, rtol = tol.rtol ?? 1e-5;
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(a) || Math.abs(a - e) > atol + rtol * Math.abs(e)) {
      assert.fail(`${what}[${i}]: got ${a}, expected ${e} (atol ${atol}, rtol ${rtol})`);
    }
  }
}

/**
 * Checks the analytic gradient of `f` at `inputs` against central finite differences of
 * L = Σ w ⊙ f(x) with fixed random weights w, with a tolerance derived from the step h rather than a
 * flat percentage: each float32 evaluation of L carries a rounding error of about eps₃₂·Σ|w f|, which
 * a central difference divides by h; Richardson extrapolation makes the truncation error O(h⁴). A 1% error
 * in any derivative rule fails with the defaults (tests/autodiff_test.ts proves it with wrong rules).
 */
export async function checkGradient(
  f: (...xs: Tensor[]) => Tensor,
  inputs: { data: ArrayLike<number>; shape: number[] }[],
  tol: { eps?: number; atol?: number; rtol?: number } = {},
): Promise<void> {
  const eps = tol.eps ?? 1e-2;
  const xs = inputs.map((i) => T.fromArray(i.data, i.shape));
  xs.forEach((x) => (x.requiresGrad = true));
  const y = f(...xs);
  const w = T.fromArray(seededValues(y.size, 99), y.shape);
  const analytic = await Promise.all(grad(y, xs, { seed: w, allowUnused: true }).map((g) => g.toArray()));
  const weights = await w.toArray();
  let magnitude = 0; // Σ|w f| at the base point: the scale of L's float32 rounding error
  const lossAt = async (k: number, values: Float32Array): Promise<number> => {
    const args = inputs.map((inp, j) => T.fromArray(j === k ? values : inp.data, inp.shape));
    const out = await f(...args).toArray();
    let s = 0, m = 0;
    for (let i = 0; i < out.length; i++) {
      s += out[i] * weights[i];
      m += Math.abs(out[i] * weights[i]);
    }
    magnitude = Math.max(magnitude, m);
    return s;
  };
  for (let k = 0; k < inputs.length; k++) {
    const base = Float32Array.from(inputs[k].data);
    const numeric = new Float64Array(base.length);
    const central = async (i: number, h: number): Promise<number> => {
      const plus = base.slice(), minus = base.slice();
      plus[i] += h;
      minus[i] -= h;
      // The step actually taken in float32 (x ± h is rounded too).
      return ((await lossAt(k, plus)) - (await lossAt(k, minus))) / (plus[i] - minus[i]);
    };
    // Richardson extrapolation of steps h and h/2: truncation error O(h⁴) instead of O(h²).
    for (let i = 0; i < base.length; i++) numeric[i] = (4 * (await central(i, eps / 2)) - (await central(i, eps))) / 3;
    // Rounding of the two differences, (4·2/h + 1/h)/3 times eps₃₂·Σ|w f|, with a safety factor of 16.
    const rounding = (16 * 2 ** -24 * magnitude * 3) / eps;
    assertClose(analytic[k], numeric, {
      atol: tol.atol ?? rounding,
      rtol: tol.rtol ?? 2e-3,
    }, `gradient of input ${k}`);
  }
}

/** Max |a - b| / max(|b|, floor). */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-30): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  return worst;
}

/**
 * Runs an experiment script with each case's flags and checks that it exits with code 2 before any work,
 * with a message matching the case's pattern and no stack trace (one test step per case).
 */
export async function refusesFlags(t: Deno.TestContext, script: string, cases: [string[], RegExp][]): Promise<void> {
  for (const [args, message] of cases) {
    await t.step(args.join(" "), async () => {
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL(`../experiments/${script}`, import.meta.url).pathname, ...args],
        stdout: "null",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(stderr);
      assert.equal(code, 2, err);
      assert.match(err, message);
      assert.ok(!/\n\s+at /.test(err), `no stack trace:\n${err}`);
    });
  }
}
