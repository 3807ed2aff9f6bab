/**
 * Linear CKA in feature space (d×d Grams of centred columns, never n×n), and the host reads of Grams that
 * the CKA paths share.
 *
 * @module
 */
import { noGrad, tidy } from "../ops/scope.ts";
import type { Tensor } from "../ops/tensor.ts";
import { gram, matmul } from "../ops/matmul.ts";
import { concat, transpose } from "../ops/layout.ts";
import { centreColumns } from "./_matrix_args.ts";

/** Reads a float32 tensor as float64 values, refusing NaN and ±Infinity by name. */
export async function hostValues(what: string, name: string, t: Tensor): Promise<Float64Array> {
  const values = Float64Array.from(await t.toArray());
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(`Cannot ${what}: ${name} holds ${values[i]} at flat index ${i} (need finite values)`);
    }
  }
  return values;
}

/** ⟨a, b⟩ in float64. */
export function frobeniusDot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Largest d₁ + d₂ for which linear CKA forms one joint Gram of [X | Y]'s columns (64 MiB of float32); above
 * it the three Grams are formed separately.
 */
const JOINT_GRAM_MAX_FEATURES = 4096;

/**
 * The feature Grams XᵀX, YᵀY and YᵀX of centred columns, on the host. They come from the row Gram of
 * [X | Y]ᵀ, one symmetric product (about twice as fast on the software adapter as three products that read
 * X with a transposed stride), or from explicit transposes when d₁ + d₂ exceeds JOINT_GRAM_MAX_FEATURES.
 */
async function featureGrams(
  context: string,
  x: Tensor,
  y: Tensor,
): Promise<[Float64Array, Float64Array, Float64Array]> {
  const [dx, dy] = [x.shape[1], y.shape[1]], d = dx + dy;
  const joint = d <= JOINT_GRAM_MAX_FEATURES;
  const grams = noGrad(() =>
    tidy(() => {
      const [xt, yt] = [transpose(centreColumns(x)), transpose(centreColumns(y))];
      if (joint) return [gram(concat([xt, yt], 0))];
      const t = { transposeB: true };
      return [matmul(xt, xt, t), matmul(yt, yt, t), matmul(yt, xt, t)];
    })
  );
  try {
    if (!joint) {
      return [
        await hostValues(context, "x", grams[0]),
        await hostValues(context, "y", grams[1]),
        await hostValues(context, "x", grams[2]),
      ];
    }
    const g = await grams[0].toArray();
    const block = (r0: number, c0: number, rows: number, cols: number, name: string) => {
      const out = new Float64Array(rows * cols);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const v = g[(r0 + i) * d + c0 + j];
          if (!Number.isFinite(v)) {
            throw new RangeError(`Cannot ${context}: ${name} holds ${v} in its centred Gram (need finite values)`);
          }
          out[i * cols + j] = v;
        }
      }
      return out;
    };
    const xx = block(0, 0, dx, dx, "x"), yy = block(dx, dx, dy, dy, "y");
    return [xx, yy, block(dx, 0, dy, dx, "x")];
  } finally {
    grams.forEach((g) => g.dispose());
  }
}

/** Linear CKA from d×d Grams of centred features: ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F). */
export async function featureSpaceLinearCka(context: string, x: Tensor, y: Tensor): Promise<number> {
  const [gxx, gyy, gyx] = await featureGrams(context, x, y);
  const xx = frobeniusDot(gxx, gxx), yy = frobeniusDot(gyy, gyy);
  for (const [norm, name] of [[xx, "x"], [yy, "y"]] as const) {
    if (!(norm > 0)) {
      throw new RangeError(`Cannot ${context}: ${name} is constant over its examples (zero centred Gram)`);
    }
  }
  return frobeniusDot(gyx, gyx) / Math.sqrt(xx) / Math.sqrt(yy);
}
