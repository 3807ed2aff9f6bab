/**
 * The Lanczos recurrence with full reorthogonalisation, on device vectors, shared by the eigensolver and
 * stochastic Lanczos quadrature; the tridiagonal matrices it builds are solved on the host in float64.
 *
 * @module
 */
import type { Tensor } from "../ops/tensor.ts";
import { div, mul, sub } from "../ops/arithmetic.ts";
import { sqrt } from "../ops/elementwise.ts";
import { concat } from "../ops/layout.ts";
import { noGrad, tidy } from "../ops/scope.ts";
import { BlockBasis, type CheckedOperator, dot } from "./_operator.ts";
import { symmetricEigen } from "./symmetric_eigen.ts";

/** The recurrence's coefficients so far: T has diagonal `alpha` and off-diagonal `beta` (one fewer used). */
export interface LanczosState {
  alpha: number[];
  beta: number[];
  /** The orthonormal Lanczos vectors q₀ … q_{m−1}. */
  basis: BlockBasis;
  /** The recurrence stopped because β vanished: the Krylov space is invariant, its Ritz values exact. */
  invariant: boolean;
}

/**
 * Runs Lanczos from the unit vector `q0` (consumed) for at most `steps` steps, calling `after` once per
 * step with the state (return true to stop). One read-back per step (α and β together).
 *
 * @param first A q0 when it is already known (consumed), saving one product.
 */
export async function runLanczos(
  context: string,
  op: CheckedOperator,
  q0: Tensor,
  steps: number,
  after: (state: LanczosState) => boolean | Promise<boolean>,
  first?: Tensor,
): Promise<LanczosState> {
  const state: LanczosState = { alpha: [], beta: [], basis: new BlockBasis(op.dim, steps), invariant: false };
  let q = q0, previous: Tensor | null = null, product = first ?? null;
  try {
    for (let j = 0; j < steps; j++) {
      const aq = product ?? op.apply(q);
      product = null;
      state.basis.push(q);
      const betaPrevious = state.beta.at(-1) ?? 0;
      const [w, coefficients] = noGrad(() =>
        tidy(() => {
          const alpha = dot(q, aq);
          let r = sub(aq, mul(q, alpha));
          if (previous) r = sub(r, mul(previous, betaPrevious));
          r = state.basis.orthogonalize(r);
          const beta = sqrt(dot(r, r));
          return [r, concat([alpha.reshape([1]), beta.reshape([1])])];
        })
      );
      aq.dispose();
      const [alpha, beta] = await coefficients.toArray();
      coefficients.dispose();
      if (!Number.isFinite(alpha) || !Number.isFinite(beta)) {
        w.dispose();
        throw new RangeError(
          `Cannot ${context}: the operator's product at Lanczos step ${j + 1} holds ${
            Number.isFinite(alpha) ? beta : alpha
          } (need finite values)`,
        );
      }
      state.alpha.push(alpha);
      state.beta.push(beta);
      const scale = Math.max(...state.alpha.map(Math.abs), ...state.beta);
      // β below float32's resolution of the operator: the Krylov space is invariant.
      state.invariant = beta <= 1e-6 * scale || state.basis.count === op.dim;
      previous?.dispose();
      previous = q;
      if (state.invariant || j === steps - 1 || await after(state)) {
        w.dispose();
        q = previous;
        previous = null;
        break;
      }
      q = noGrad(() => tidy(() => div(w, beta)));
      w.dispose();
    }
    return state;
  } catch (e) {
    state.basis.dispose();
    throw e;
  } finally {
    previous?.dispose();
    q.dispose();
    product?.dispose();
  }
}

/** Eigenvalues (ascending) and eigenvectors of the m × m tridiagonal T of a Lanczos state, in float64. */
export function tridiagonalEigen(alpha: readonly number[], beta: readonly number[]): {
  values: Float64Array;
  vectors: Float64Array[];
} {
  const m = alpha.length;
  const t = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    t[i * m + i] = alpha[i];
    if (i + 1 < m) t[(i + 1) * m + i] = t[i * m + i + 1] = beta[i];
  }
  return symmetricEigen(t, m);
}
