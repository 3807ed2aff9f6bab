import assert from "node:assert";
import * as r from "./_all.ts";
import { referenceReduce, referenceSoftmax } from "./_reference.ts";
import {
  dispatchReduce,
  REDUCE_CHUNK,
  REDUCE_FAMILY,
  REDUCE_VARIANTS,
  SERIAL_REDUCE_MAX_AXIS,
} from "../kernels/reduce.ts";
import { dispatchSoftmax, SERIAL_SOFTMAX_MAX_AXIS, SOFTMAX_FAMILY, SOFTMAX_VARIANTS } from "../kernels/softmax.ts";
import { chooseVariant } from "../kernels/choose_variant.ts";
import { assertClose, seededValues } from "./_helpers.ts";

const SHAPES = [[1], [7, 13], [33, 65, 17], [1024]];

Deno.test("sum/mean/max/min match reference along every axis", async (t) => {
  await r.initGpu();
  const ops = { sum: r.sum, mean: r.mean, max: r.max, min: r.min } as const;
  for (const shape of SHAPES) {
    const size = shape.reduce((p, d) => p * d, 1);
    const x = seededValues(size, size + 1);
    const tx = r.Tensor.fromArray(x, shape);
    for (const [name, op] of Object.entries(ops)) {
      await t.step(`${name} on ${shape.join("x")}`, async () => {
        for (let axis = 0; axis < shape.length; axis++) {
          const dims = r.splitAxis(shape, axis);
          const y = op(tx, { axis });
          assert.deepEqual(y.shape, shape.filter((_, i) => i !== axis));
          assertClose(await y.toArray(), referenceReduce(x, dims, name as r.ReduceOp), { atol: 1e-5, rtol: 1e-5 });
        }
        const all = op(tx, { keepDims: true });
        assert.deepEqual(all.shape, shape.map(() => 1));
        assertClose(await all.toArray(), referenceReduce(x, [1, size, 1], name as r.ReduceOp), {
          atol: 1e-5,
          rtol: 1e-5,
        });
      });
    }
  }
});

Deno.test("sum over an axis longer than one pass uses several passes and stays accurate", async () => {
  await r.initGpu();
  const n = REDUCE_CHUNK * 3 + 17;
  const x = seededValues(n * 2, 5).map((v) => v + 0.5);
  const y = await r.sum(r.Tensor.fromArray(x, [2, n]), { axis: 1 }).toArray();
  assertClose(y, referenceReduce(x, [2, n, 1], "sum"), { rtol: 1e-6, atol: 0 });
  const m = await r.mean(r.Tensor.fromArray(x, [2, n]), { axis: -1 }).toArray();
  assertClose(m, referenceReduce(x, [2, n, 1], "mean"), { rtol: 1e-6, atol: 0 });
});

Deno.test("softmax and logSoftmax match reference", async (t) => {
  await r.initGpu();
  for (const shape of [[1], [7, 13], [33, 65, 17], [2, 1024]]) {
    await t.step(shape.join("x"), async () => {
      const size = shape.reduce((p, d) => p * d, 1);
      const x = seededValues(size, 3).map((v) => v * 20);
      for (let axis = 0; axis < shape.length; axis++) {
        const dims = r.splitAxis(shape, axis);
        const tx = r.Tensor.fromArray(x, shape);
        assertClose(await r.softmax(tx, axis).toArray(), referenceSoftmax(x, dims), { atol: 1e-6, rtol: 1e-5 });
        assertClose(await r.logSoftmax(tx, axis).toArray(), referenceSoftmax(x, dims, true), {
          atol: 2e-5,
          rtol: 1e-5,
        });
      }
    });
  }
});

Deno.test("reductions reject a bad axis", async () => {
  await r.initGpu();
  assert.throws(
    () => r.sum(r.Tensor.fromArray([1, 2]), { axis: 1 }),
    (e: unknown) =>
      e instanceof RangeError && e.message === "Cannot resolve axis 1: out of range for a tensor of rank 1",
  );
});

Deno.test("reductions over axes past the serial limit use the workgroup tree correctly", async () => {
  await r.initGpu();
  const n = 5000;
  const x = seededValues(3 * n, 8);
  for (const op of ["sum", "mean", "max", "min"] as const) {
    const y = await ({ sum: r.sum, mean: r.mean, max: r.max, min: r.min })[op](r.Tensor.fromArray(x, [3, n]), {
      axis: 1,
    }).toArray();
    assertClose(y, referenceReduce(x, [3, n, 1], op), { atol: 1e-5, rtol: 1e-5 }, op);
  }
});

/** The variants this device can run (subgroup ones only where the device has the feature). */
function runnable<V extends string>(rt: r.Runtime, variants: readonly V[]): V[] {
  return variants.filter((v) => v !== "subgroup" || rt.subgroups);
}

Deno.test("every reduction variant matches the reference at awkward shapes, whatever the tuner would pick", async (t) => {
  const rt = await r.initGpu();
  // Short, medium (the serial limit), long (several workgroup passes), strided (inner > 1).
  const shapes: [number, number, number][] = [[1, 1, 1], [37, 3, 5], [5, 64, 3], [3, 65, 1], [2, 1024, 7], [
    1,
    REDUCE_CHUNK + 1000,
    2,
  ]];
  for (const variant of runnable(rt, REDUCE_VARIANTS)) {
    await t.step(variant, async () => {
      for (const [outer, axis, inner] of shapes) {
        if (variant === "serial" && axis > SERIAL_REDUCE_MAX_AXIS) {
          assert.throws(
            () => chooseVariant(rt, REDUCE_FAMILY, { axis }, "serial"),
            (e: unknown) => e instanceof RangeError && /exceeds 1024/.test(e.message),
          );
          continue;
        }
        const x = seededValues(outer * axis * inner, axis + inner).map((v) => v + 0.25);
        for (const op of ["sum", "mean", "max", "min"] as const) {
          const [tx, ty] = [r.Tensor.fromArray(x), r.Tensor.empty([outer * inner])];
          dispatchReduce(rt, { x: tx.buffer, y: ty.buffer, outer, axis, inner, op, variant });
          const tol = op === "sum" ? { atol: 1e-6 * axis, rtol: 1e-6 } : { atol: 1e-6, rtol: 1e-6 };
          assertClose(
            await ty.toArray(),
            referenceReduce(x, [outer, axis, inner], op),
            tol,
            `${op} ${outer}x${axis}x${inner}`,
          );
          [tx, ty].forEach((u) => u.dispose());
        }
      }
    });
  }
});

Deno.test("every softmax variant matches the reference, log and not, strided and not", async (t) => {
  const rt = await r.initGpu();
  const shapes: [number, number, number][] = [[1, 1, 1], [37, 10, 1], [3, 64, 5], [2, 65, 3], [3, 1500, 1]];
  for (const variant of runnable(rt, SOFTMAX_VARIANTS)) {
    await t.step(variant, async () => {
      for (const [outer, axis, inner] of shapes) {
        const x = seededValues(outer * axis * inner, axis).map((v) => v * 30);
        for (const log of [false, true]) {
          const [tx, ty] = [r.Tensor.fromArray(x), r.Tensor.empty([x.length])];
          dispatchSoftmax(rt, { x: tx.buffer, y: ty.buffer, outer, axis, inner, log, variant });
          assertClose(await ty.toArray(), referenceSoftmax(x, [outer, axis, inner], log), {
            atol: log ? 2e-5 : 1e-6,
            rtol: 1e-5,
          }, `${log ? "log" : ""}softmax ${outer}x${axis}x${inner}`);
          [tx, ty].forEach((u) => u.dispose());
        }
      }
    });
  }
  assert.throws(
    () => chooseVariant(rt, SOFTMAX_FAMILY, { axis: SERIAL_SOFTMAX_MAX_AXIS + 1 }, "serial"),
    (e: unknown) => e instanceof RangeError && /exceeds 4096/.test(e.message),
  );
  assert.throws(
    () => chooseVariant(rt, SOFTMAX_FAMILY, { axis: 10 }, "warp" as "tree"),
    (e: unknown) => e instanceof RangeError && /unknown variant "warp"/.test(e.message),
  );
  if (!rt.subgroups) {
    assert.throws(
      () => chooseVariant(rt, SOFTMAX_FAMILY, { axis: 10 }, "subgroup"),
      (e: unknown) => e instanceof RangeError && /lacks the "subgroups" feature/.test(e.message),
    );
  }
});
